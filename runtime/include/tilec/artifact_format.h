//===- artifact_format.h - the compiled-model file, byte by byte ----------===//
//
// One file per model and target (DESIGN.md, "Artifact"):
//
//   [header, 256 bytes]  magic "TILECAR\0", format version, sizes, checksum,
//                        target, tilec version, model name
//   [plan]               inputs, outputs, kernels with their buffer arguments
//   [weights]            every constant the kernels read, 64-byte aligned
//   [code]               CPU: a shared object; CUDA: per kernel a cubin + PTX;
//                        ROCm: per kernel a HSACO code object
//
// All integers are little-endian. The checksum (FNV-1a 64) covers everything
// after the header, so a truncated or damaged file is refused before any of it
// is used. Written by the compiler (codegen/), read by the runtime; this header
// has no dependencies so both can include it.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_RUNTIME_ARTIFACT_FORMAT_H
#define TILEC_RUNTIME_ARTIFACT_FORMAT_H

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace tilec::artifact {

inline constexpr char kMagic[8] = {'T', 'I', 'L', 'E', 'C', 'A', 'R', '\0'};
/// Bumped on any change to the layout below; the runtime refuses other versions.
/// 2: inputs and outputs carry their element type (16-bit models, --precision).
/// 3: kernels carry the tensor maps (TMA descriptors) the runtime encodes.
inline constexpr uint32_t kFormatVersion = 3;
inline constexpr uint64_t kHeaderBytes = 256;
inline constexpr uint64_t kAlignment = 64;

enum class TargetKind : uint32_t { Cpu = 0, Cuda = 1, Rocm = 2 };

struct Header {
  char magic[8];
  uint32_t formatVersion;
  uint32_t targetKind;
  uint64_t fileBytes;
  uint64_t checksum;  ///< FNV-1a 64 of bytes [kHeaderBytes, fileBytes)
  uint64_t planOffset, planBytes;
  uint64_t weightsOffset, weightsBytes;
  uint64_t codeOffset, codeBytes;
  char target[48];        ///< "cpu:sapphirerapids", "cuda:sm_90", ...
  char tilecVersion[32];
  char model[96];
};
static_assert(sizeof(Header) <= kHeaderBytes, "header must fit its reserved bytes");

/// Where a kernel argument lives at run time.
enum class BufferKind : uint32_t {
  Arena = 0,   ///< offset into the activation arena planned at compile time
  Weight = 1,  ///< offset into the weights section
  Input = 2,   ///< the caller's input `index`
};

struct BufferRef {
  BufferKind kind = BufferKind::Arena;
  uint32_t index = 0;   ///< input number (Input)
  uint64_t offset = 0;  ///< bytes (Arena, Weight)
  uint64_t bytes = 0;
};

/// Element types of model inputs and outputs (tilec_dtype's values).
enum class ElementType : uint32_t { F32 = 0, BF16 = 1, F16 = 2 };

inline uint64_t elementBytes(ElementType t) { return t == ElementType::F32 ? 4 : 2; }

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  ElementType type = ElementType::F32;
  BufferRef buffer;  ///< outputs: where the result is before it is copied out
};

/// A CUDA tensor map (TMA descriptor, sm_90) the runtime encodes at load for
/// a kernel (cuTensorMapEncodeTiled): kernel argument `arg` seen as a
/// row-major [rows, columns] matrix of `elementBytes`-byte elements, copied
/// in boxes of boxRows x boxColumns into shared memory with a
/// `swizzleBytes`-byte swizzle (0: none); out-of-bounds elements read as
/// zeros. The kernel takes the device address of each encoded map after its
/// buffer arguments, in this order.
struct TensorMap {
  uint32_t arg = 0;
  uint32_t elementBytes = 2;
  uint64_t rows = 0, columns = 0;
  uint32_t boxRows = 0, boxColumns = 0;
  uint32_t swizzleBytes = 128;
};

struct Kernel {
  std::string symbol;     ///< entry point in the code section
  std::string signature;  ///< the dispatch signature (tuning database key)
  std::string schedule;   ///< Schedule::str()
  int64_t grid = 1;       ///< workgroups
  std::vector<int64_t> block;  ///< GPU threads per workgroup (empty on CPU)
  int64_t sharedBytes = 0;     ///< GPU shared memory per workgroup
  std::vector<BufferRef> args;  ///< operands, then results
  std::vector<TensorMap> tensorMaps;  ///< passed after args (CUDA, TMA loads)
};

struct Plan {
  uint64_t arenaBytes = 0;
  /// CPU: ISA features the code uses, comma-separated ("avx512f,fma"); the
  /// runtime refuses to run on a CPU without them.
  std::string requiredIsa;
  /// How the model was given to `tilec compile` (its command-line arguments,
  /// one per line), so `tilec run --check` can rebuild the reference.
  std::string source;
  std::vector<TensorInfo> inputs, outputs;
  std::vector<Kernel> kernels;
};

/// GPU code per kernel (CUDA: cubin and PTX; ROCm: HSACO, no text).
struct GpuCode {
  std::string symbol;
  std::string binary;
  std::string text;
};

inline uint64_t fnv1a(const uint8_t *data, uint64_t size, uint64_t hash = 14695981039346656037ull) {
  for (uint64_t i = 0; i < size; ++i)
    hash = (hash ^ data[i]) * 1099511628211ull;
  return hash;
}

/// Appends plain values and length-prefixed strings to a byte vector.
class Writer {
public:
  std::vector<uint8_t> bytes;
  template <typename T> void put(T v) {
    const auto *p = reinterpret_cast<const uint8_t *>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void putString(const std::string &s) {
    put<uint64_t>(s.size());
    bytes.insert(bytes.end(), s.begin(), s.end());
  }
  void putShape(const std::vector<int64_t> &shape) {
    put<uint64_t>(shape.size());
    for (int64_t d : shape)
      put<int64_t>(d);
  }
  void putBuffer(const BufferRef &b) {
    put<uint32_t>(uint32_t(b.kind));
    put<uint32_t>(b.index);
    put<uint64_t>(b.offset);
    put<uint64_t>(b.bytes);
  }
};

/// Reads what Writer wrote; every read is bounds-checked and sets `ok = false`
/// (returning zero values) past the end, so a damaged plan cannot crash.
class Reader {
public:
  Reader(const uint8_t *data, uint64_t size) : data(data), size(size) {}
  bool ok = true;
  template <typename T> T get() {
    T v{};
    if (!ok || size - pos < sizeof(T)) {
      ok = false;
      return v;
    }
    std::memcpy(&v, data + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string getString() {
    uint64_t n = get<uint64_t>();
    if (!ok || n > size - pos) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char *>(data + pos), n);
    pos += n;
    return s;
  }
  std::vector<int64_t> getShape() {
    uint64_t n = get<uint64_t>();
    std::vector<int64_t> shape;
    if (n > 16) {
      ok = false;
      return shape;
    }
    for (uint64_t i = 0; i < n && ok; ++i)
      shape.push_back(get<int64_t>());
    return shape;
  }
  BufferRef getBuffer() {
    BufferRef b;
    b.kind = BufferKind(get<uint32_t>());
    b.index = get<uint32_t>();
    b.offset = get<uint64_t>();
    b.bytes = get<uint64_t>();
    if (uint32_t(b.kind) > 2)
      ok = false;
    return b;
  }
  uint64_t count(uint64_t limit) {
    uint64_t n = get<uint64_t>();
    if (n > limit)
      ok = false;
    return ok ? n : 0;
  }

private:
  const uint8_t *data;
  uint64_t size;
  uint64_t pos = 0;
};

inline void writeTensor(Writer &w, const TensorInfo &t) {
  w.putString(t.name);
  w.putShape(t.shape);
  w.put<uint32_t>(uint32_t(t.type));
  w.putBuffer(t.buffer);
}

inline TensorInfo readTensor(Reader &r) {
  TensorInfo t;
  t.name = r.getString();
  t.shape = r.getShape();
  t.type = ElementType(r.get<uint32_t>());
  t.buffer = r.getBuffer();
  return t;
}

inline std::vector<uint8_t> serializePlan(const Plan &plan) {
  Writer w;
  w.put<uint64_t>(plan.arenaBytes);
  w.putString(plan.requiredIsa);
  w.putString(plan.source);
  w.put<uint64_t>(plan.inputs.size());
  for (const TensorInfo &t : plan.inputs)
    writeTensor(w, t);
  w.put<uint64_t>(plan.outputs.size());
  for (const TensorInfo &t : plan.outputs)
    writeTensor(w, t);
  w.put<uint64_t>(plan.kernels.size());
  for (const Kernel &k : plan.kernels) {
    w.putString(k.symbol);
    w.putString(k.signature);
    w.putString(k.schedule);
    w.put<int64_t>(k.grid);
    w.putShape(k.block);
    w.put<int64_t>(k.sharedBytes);
    w.put<uint64_t>(k.args.size());
    for (const BufferRef &b : k.args)
      w.putBuffer(b);
    w.put<uint64_t>(k.tensorMaps.size());
    for (const TensorMap &m : k.tensorMaps) {
      w.put<uint32_t>(m.arg);
      w.put<uint32_t>(m.elementBytes);
      w.put<uint64_t>(m.rows);
      w.put<uint64_t>(m.columns);
      w.put<uint32_t>(m.boxRows);
      w.put<uint32_t>(m.boxColumns);
      w.put<uint32_t>(m.swizzleBytes);
    }
  }
  return w.bytes;
}

/// False when the bytes are not a well-formed plan.
inline bool deserializePlan(const uint8_t *data, uint64_t size, Plan &plan) {
  Reader r(data, size);
  plan.arenaBytes = r.get<uint64_t>();
  plan.requiredIsa = r.getString();
  plan.source = r.getString();
  uint64_t n = r.count(1 << 16);
  for (uint64_t i = 0; i < n && r.ok; ++i)
    plan.inputs.push_back(readTensor(r));
  n = r.count(1 << 16);
  for (uint64_t i = 0; i < n && r.ok; ++i)
    plan.outputs.push_back(readTensor(r));
  n = r.count(1 << 20);
  for (uint64_t i = 0; i < n && r.ok; ++i) {
    Kernel k;
    k.symbol = r.getString();
    k.signature = r.getString();
    k.schedule = r.getString();
    k.grid = r.get<int64_t>();
    k.block = r.getShape();
    k.sharedBytes = r.get<int64_t>();
    uint64_t args = r.count(1 << 12);
    for (uint64_t a = 0; a < args && r.ok; ++a)
      k.args.push_back(r.getBuffer());
    uint64_t maps = r.count(1 << 8);
    for (uint64_t m = 0; m < maps && r.ok; ++m) {
      TensorMap t;
      t.arg = r.get<uint32_t>();
      t.elementBytes = r.get<uint32_t>();
      t.rows = r.get<uint64_t>();
      t.columns = r.get<uint64_t>();
      t.boxRows = r.get<uint32_t>();
      t.boxColumns = r.get<uint32_t>();
      t.swizzleBytes = r.get<uint32_t>();
      if (t.arg >= k.args.size())
        r.ok = false;
      k.tensorMaps.push_back(t);
    }
    if (k.grid < 1)
      r.ok = false;
    plan.kernels.push_back(std::move(k));
  }
  return r.ok;
}

inline std::vector<uint8_t> serializeGpuCode(const std::vector<GpuCode> &code) {
  Writer w;
  w.put<uint64_t>(code.size());
  for (const GpuCode &c : code) {
    w.putString(c.symbol);
    w.putString(c.binary);
    w.putString(c.text);
  }
  return w.bytes;
}

inline bool deserializeGpuCode(const uint8_t *data, uint64_t size, std::vector<GpuCode> &code) {
  Reader r(data, size);
  uint64_t n = r.count(1 << 20);
  for (uint64_t i = 0; i < n && r.ok; ++i) {
    GpuCode c;
    c.symbol = r.getString();
    c.binary = r.getString();
    c.text = r.getString();
    code.push_back(std::move(c));
  }
  return r.ok;
}

} // namespace tilec::artifact

#endif // TILEC_RUNTIME_ARTIFACT_FORMAT_H
