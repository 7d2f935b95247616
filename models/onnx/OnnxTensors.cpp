//===- OnnxTensors.cpp - TensorProto data, inline or external -------------===//

#include "models/onnx/OnnxTensors.h"

#include "ir/Weights.h"

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace mlir;
using namespace tilec::onnx_import;
namespace fs = std::filesystem;

namespace {

int64_t elementSize(int32_t type) {
  switch (type) {
  case onnx::TensorProto::FLOAT: case onnx::TensorProto::INT32: case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::INT64: case onnx::TensorProto::UINT64: case onnx::TensorProto::DOUBLE:
    return 8;
  case onnx::TensorProto::INT16: case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16: case onnx::TensorProto::BFLOAT16:
    return 2;
  case onnx::TensorProto::INT8: case onnx::TensorProto::UINT8: case onnx::TensorProto::BOOL:
    return 1;
  default:
    return 0;
  }
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0) // zero or subnormal
    return (sign ? -1.0f : 1.0f) * std::ldexp(float(mantissa), -24);
  if (exponent == 31)
    exponent = 255 - 112; // inf / nan
  uint32_t bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bfloatToFloat(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// The raw little-endian bytes of a tensor stored as raw_data or externally.
/// Returns false with no error if the data is in the typed fields instead.
bool rawBytes(const onnx::TensorProto &t, const std::string &baseDir, int64_t bytes,
              std::string &storage, std::string &error) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &entry : t.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::strtoll(entry.value().c_str(), nullptr, 10);
      else if (entry.key() == "length")
        length = std::strtoll(entry.value().c_str(), nullptr, 10);
    }
    fs::path base = fs::weakly_canonical(fs::path(baseDir.empty() ? "." : baseDir));
    fs::path file = fs::weakly_canonical(base / location);
    auto rel = file.lexically_relative(base);
    if (location.empty() || fs::path(location).is_absolute() || rel.empty() ||
        *rel.begin() == "..") {
      error = "tensor '" + t.name() + "': external data path '" + location +
              "' must be a relative path inside the model's folder";
      return false;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      error = "tensor '" + t.name() + "': cannot open external data file '" + file.string() + "'";
      return false;
    }
    if (offset < 0 || (length >= 0 && length != bytes)) {
      error = "tensor '" + t.name() + "': external data has length " + std::to_string(length) +
              " at offset " + std::to_string(offset) + ", expected " + std::to_string(bytes) +
              " bytes";
      return false;
    }
    in.seekg(0, std::ios::end);
    if (int64_t(in.tellg()) < offset + bytes) {
      error = "tensor '" + t.name() + "': external data file '" + file.string() +
              "' is shorter than offset " + std::to_string(offset) + " + " +
              std::to_string(bytes) + " bytes";
      return false;
    }
    storage.resize(bytes);
    in.seekg(offset);
    if (!in.read(storage.data(), bytes)) {
      error = "tensor '" + t.name() + "': external data file '" + file.string() +
              "' is shorter than offset " + std::to_string(offset) + " + " +
              std::to_string(bytes) + " bytes";
      return false;
    }
    return true;
  }
  if (!t.has_raw_data())
    return false;
  if (int64_t(t.raw_data().size()) != bytes) {
    error = "tensor '" + t.name() + "' holds " + std::to_string(t.raw_data().size()) +
            " bytes of raw data, its dims need " + std::to_string(bytes);
    return false;
  }
  return true;
}

} // namespace

FailureOr<std::vector<int64_t>> tilec::onnx_import::tensorDims(const onnx::TensorProto &tensor,
                                                               std::string &error) {
  std::vector<int64_t> dims(tensor.dims().begin(), tensor.dims().end());
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d > 0 && n > kMaxElements / d)) {
      error = "tensor '" + tensor.name() + "' has absurd dims (negative or over " +
              std::to_string(kMaxElements) + " elements)";
      return failure();
    }
    n *= d;
  }
  return dims;
}

std::string tilec::onnx_import::elementTypeName(int32_t type) {
  if (onnx::TensorProto_DataType_IsValid(type))
    return onnx::TensorProto_DataType_Name(onnx::TensorProto_DataType(type));
  return "type #" + std::to_string(type);
}

FailureOr<AsmResourceBlob> tilec::onnx_import::readFloatBlob(const onnx::TensorProto &t,
                                                             const std::string &baseDir,
                                                             int64_t numel, std::string &error) {
  int64_t bytes = numel * 4;
  // Check that the data is really there before allocating: a corrupt model may
  // claim huge dims.
  if (t.data_location() != onnx::TensorProto::EXTERNAL && !t.has_raw_data() &&
      int64_t(t.float_data_size()) != numel) {
    error = "tensor '" + t.name() + "' has " + std::to_string(t.float_data_size()) +
            " float values, its dims need " + std::to_string(numel);
    return failure();
  }
  if (t.has_raw_data() && t.data_location() != onnx::TensorProto::EXTERNAL &&
      int64_t(t.raw_data().size()) != bytes) {
    error = "tensor '" + t.name() + "' holds " + std::to_string(t.raw_data().size()) +
            " bytes of raw data, its dims need " + std::to_string(bytes);
    return failure();
  }
  std::string storage;
  bool raw = rawBytes(t, baseDir, bytes, storage, error); // reads external data, size-checked
  if (!error.empty())
    return failure();
  AsmResourceBlob blob = allocateF32Blob(numel, /*zeroed=*/false);
  if (!blob.getData().data() && numel > 0) {
    error = "out of memory reading tensor '" + t.name() + "'";
    return failure();
  }
  const char *src = raw ? (storage.empty() ? t.raw_data().data() : storage.data())
                        : reinterpret_cast<const char *>(t.float_data().data());
  std::memcpy(blob.getMutableData().data(), src, bytes);
  return blob;
}

LogicalResult tilec::onnx_import::toHostTensor(const onnx::TensorProto &t,
                                               const std::string &baseDir, HostTensor &out,
                                               std::string &error) {
  FailureOr<std::vector<int64_t>> dims = tensorDims(t, error);
  if (failed(dims))
    return failure();
  int32_t type = t.data_type();
  int64_t size = elementSize(type);
  if (size == 0) {
    error = "tensor '" + t.name() + "' has unsupported element type " + elementTypeName(type);
    return failure();
  }
  out = HostTensor();
  out.shape = *dims;
  int64_t n = out.numel();
  std::string storage;
  bool raw = rawBytes(t, baseDir, n * size, storage, error);
  if (!error.empty())
    return failure();
  const char *bytes = raw ? (storage.empty() ? t.raw_data().data() : storage.data()) : nullptr;
  bool isFloat = type == onnx::TensorProto::FLOAT || type == onnx::TensorProto::DOUBLE ||
                 type == onnx::TensorProto::FLOAT16 || type == onnx::TensorProto::BFLOAT16;
  out.kind = isFloat ? HostTensor::Float : HostTensor::Int;
  // Typed fields: float_data, double_data, int64_data, uint64_data, and int32_data
  // for every type of 32 bits or less (including the bits of float16/bfloat16).
  int64_t typedCount = type == onnx::TensorProto::FLOAT    ? t.float_data_size()
                       : type == onnx::TensorProto::DOUBLE ? t.double_data_size()
                       : type == onnx::TensorProto::INT64  ? t.int64_data_size()
                       : (type == onnx::TensorProto::UINT64 || type == onnx::TensorProto::UINT32)
                           ? t.uint64_data_size()
                           : t.int32_data_size();
  if (!raw && typedCount != n) {
    error = "tensor '" + t.name() + "' has " + std::to_string(typedCount) +
            " values, its dims need " + std::to_string(n);
    return failure();
  }
  (isFloat ? out.floats.resize(n) : out.ints.resize(n)); // sizes checked: safe to allocate
  for (int64_t i = 0; i < n; ++i) {
    auto read = [&](auto zero) {
      decltype(zero) v;
      std::memcpy(&v, bytes + i * sizeof(v), sizeof(v));
      return v;
    };
    switch (type) {
    case onnx::TensorProto::FLOAT:
      out.floats[i] = raw ? read(float()) : t.float_data(i);
      break;
    case onnx::TensorProto::DOUBLE:
      out.floats[i] = float(raw ? read(double()) : t.double_data(i));
      break;
    case onnx::TensorProto::FLOAT16:
      out.floats[i] = halfToFloat(raw ? read(uint16_t()) : uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::BFLOAT16:
      out.floats[i] = bfloatToFloat(raw ? read(uint16_t()) : uint16_t(t.int32_data(i)));
      break;
    case onnx::TensorProto::INT64:
      out.ints[i] = raw ? read(int64_t()) : t.int64_data(i);
      break;
    case onnx::TensorProto::UINT64:
      out.ints[i] = int64_t(raw ? read(uint64_t()) : t.uint64_data(i));
      break;
    case onnx::TensorProto::UINT32:
      out.ints[i] = raw ? read(uint32_t()) : int64_t(t.uint64_data(i));
      break;
    case onnx::TensorProto::INT32:
      out.ints[i] = raw ? read(int32_t()) : t.int32_data(i);
      break;
    case onnx::TensorProto::INT16:
      out.ints[i] = raw ? read(int16_t()) : t.int32_data(i);
      break;
    case onnx::TensorProto::UINT16:
      out.ints[i] = raw ? read(uint16_t()) : t.int32_data(i);
      break;
    case onnx::TensorProto::INT8:
      out.ints[i] = raw ? read(int8_t()) : t.int32_data(i);
      break;
    default: // UINT8, BOOL
      out.ints[i] = raw ? read(uint8_t()) : t.int32_data(i);
      break;
    }
  }
  return success();
}
