//===- RuntimeTensors.h - reference tensors as the runtime's buffers -*- C++ -*-===//
//
// The reference interpreter holds every value as float; the runtime takes
// each model input and output in the model's element type (tilec_dtype).
// RuntimeTensors packs float inputs into 16-bit buffers where the model wants
// bf16 / f16 (rounding to nearest even, as tilec.convert does) and unpacks
// 16-bit outputs after a run, so callers (the tuner's worker, `tilec run`,
// the conformance tests) can treat every model as float in and float out.
//
//   RuntimeTensors io;
//   io.addInput(x, TILEC_BF16);          // x.data is rounded in place
//   io.addOutput(y.shape, TILEC_F32);
//   tilec_model_run(m, io.inputs.data(), io.inputs.size(), io.outputs.data(), ...);
//   io.readOutput(0, y);
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_REFERENCE_RUNTIMETENSORS_H
#define TILEC_REFERENCE_RUNTIMETENSORS_H

#include "ir/HalfFloat.h"
#include "reference/Tensor.h"
#include "tilec/runtime.h"

#include <deque>

namespace tilec::reference {

class RuntimeTensors {
public:
  std::vector<tilec_tensor> inputs, outputs;

  /// Passes `t` as an input of `type`; a 16-bit input is packed and `t`'s
  /// values are rounded in place, so a reference run on `t` sees what the
  /// model sees.
  void addInput(Tensor &t, tilec_dtype type) {
    void *data = t.data.data();
    if (type != TILEC_F32) {
      std::vector<uint16_t> &packed = storage.emplace_back(t.data.size());
      for (size_t i = 0; i < t.data.size(); ++i) {
        packed[i] = pack(t.data[i], type);
        t.data[i] = unpack(packed[i], type);
      }
      data = packed.data();
    }
    inputs.push_back({data, type, int32_t(t.rank()), t.shape.data()});
  }

  /// An output buffer of `shape` in `type`; float outputs are written
  /// straight into `t` (which must outlive the run).
  void addOutput(Tensor &t, tilec_dtype type) {
    void *data = t.data.data();
    if (type != TILEC_F32)
      data = storage.emplace_back(t.data.size()).data();
    outputs.push_back({data, type, int32_t(t.rank()), t.shape.data()});
  }

  /// After a run: output `i` as floats in `t` (a no-op for f32 outputs).
  void readOutput(size_t i, Tensor &t) const {
    const tilec_tensor &o = outputs[i];
    if (o.dtype == TILEC_F32)
      return;
    const auto *packed = static_cast<const uint16_t *>(o.data);
    for (size_t j = 0; j < t.data.size(); ++j)
      t.data[j] = unpack(packed[j], o.dtype);
  }

private:
  static uint16_t pack(float f, tilec_dtype type) { return half::narrow(f, type == TILEC_BF16); }
  static float unpack(uint16_t h, tilec_dtype type) { return half::widen(h, type == TILEC_BF16); }
  std::deque<std::vector<uint16_t>> storage; // stable addresses
};

} // namespace tilec::reference

#endif // TILEC_REFERENCE_RUNTIMETENSORS_H
