//===- Weights.cpp - weight tensors held as dense_resource blobs ----------===//

#include "ir/Weights.h"

#include "ir/HalfFloat.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace tilec;

AsmResourceBlob tilec::allocateF32Blob(size_t numElements, bool zeroed) {
  return allocateBlob(numElements * sizeof(float), zeroed);
}

AsmResourceBlob tilec::allocateBlob(size_t dataBytes, bool zeroed) {
  constexpr size_t kAlign = 64;
  size_t bytes = std::max<size_t>(dataBytes, kAlign);
  // calloc returns fresh (lazily zeroed) pages for large sizes; aligned_alloc has
  // no zeroing variant, so over-allocate and keep the raw pointer for freeing.
  size_t padded = bytes + kAlign;
  char *raw = static_cast<char *>(zeroed ? std::calloc(padded, 1) : std::malloc(padded));
  if (!raw)
    return AsmResourceBlob();
  size_t shift = kAlign - reinterpret_cast<uintptr_t>(raw) % kAlign;
  char *aligned = raw + shift;
  aligned[-1] = static_cast<char>(shift); // shift is in [1, 64]
  auto deleter = [](void *data, size_t, size_t) {
    char *p = static_cast<char *>(data);
    std::free(p - static_cast<unsigned char>(p[-1]));
  };
  return AsmResourceBlob(ArrayRef<char>(aligned, dataBytes), kAlign,
                         deleter, /*dataIsMutable=*/true);
}

ElementsAttr tilec::makeF32Weight(RankedTensorType type, StringRef name,
                                  AsmResourceBlob blob) {
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

LogicalResult tilec::readAsFloats(ElementsAttr attr, std::vector<float> &out,
                                  std::string &error) {
  auto type = cast<ShapedType>(attr.getType());
  Type element = type.getElementType();
  size_t count = type.getNumElements();
  if (!element.isF32() && !element.isF16() && !element.isBF16()) {
    error = "unsupported constant element type (expected f32, f16 or bf16)";
    return failure();
  }
  out.resize(count);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    const AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob) {
      error = "weight resource '" + resource.getRawHandle().getKey().str() +
              "' has no data (missing from the file's dialect_resources section?)";
      return failure();
    }
    size_t width = element.isF32() ? 4 : 2;
    if (blob->getData().size() != count * width) {
      error = "weight resource '" + resource.getRawHandle().getKey().str() + "' holds " +
              std::to_string(blob->getData().size()) + " bytes, expected " +
              std::to_string(count) + " values of " + std::to_string(width) + " bytes";
      return failure();
    }
    const char *data = blob->getData().data();
    if (width == 4) {
      std::memcpy(out.data(), data, count * sizeof(float));
      return success();
    }
    bool bf16 = element.isBF16();
    for (size_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, data + 2 * i, 2);
      out[i] = half::widen(h, bf16);
    }
    return success();
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(attr)) {
    size_t i = 0;
    for (APFloat v : dense.getValues<APFloat>())
      out[i++] = v.convertToFloat();
    return success();
  }
  error = "unsupported constant attribute kind (expected dense or dense_resource)";
  return failure();
}

LogicalResult tilec::setWeight(ConstantOp constant, ArrayRef<float> data, std::string &error) {
  auto type = cast<RankedTensorType>(constant.getOutput().getType());
  if (size_t(type.getNumElements()) != data.size()) {
    error = "weight '" + constant.getName().value_or("?").str() + "' has " +
            std::to_string(type.getNumElements()) + " elements, got " +
            std::to_string(data.size());
    return failure();
  }
  if (!type.getElementType().isF32()) {
    error = "only f32 weights can be replaced";
    return failure();
  }
  AsmResourceBlob blob = allocateF32Blob(data.size(), /*zeroed=*/false);
  std::memcpy(blob.getMutableData().data(), data.data(), data.size() * sizeof(float));
  constant.setValueAttr(makeF32Weight(type, constant.getName().value_or("weight"),
                                      std::move(blob)));
  return success();
}

std::optional<double> tilec::scalarConstantValue(Value v) {
  auto constant = v ? v.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!constant || cast<ShapedType>(v.getType()).getNumElements() != 1)
    return std::nullopt;
  std::vector<float> data;
  std::string error;
  if (failed(readAsFloats(constant.getValue(), data, error)))
    return std::nullopt;
  return data[0];
}

/// A new constant next to `constant`, named after it plus `suffix`, of
/// `type` (f32, bf16 or f16 elements) holding `values` (one per element,
/// rounded to nearest even for 16 bits; exact for values read from 16 bits).
static Value weightLike(OpBuilder &b, ConstantOp constant, RankedTensorType type,
                        ArrayRef<float> values, StringRef suffix) {
  Type element = type.getElementType();
  size_t width = element.isF32() ? 4 : 2;
  AsmResourceBlob blob = allocateBlob(values.size() * width, /*zeroed=*/false);
  char *out = blob.getMutableData().data();
  if (width == 4)
    std::memcpy(out, values.data(), values.size() * 4);
  else
    for (size_t i = 0; i < values.size(); ++i) {
      uint16_t h = half::narrow(values[i], element.isBF16());
      std::memcpy(out + 2 * i, &h, 2);
    }
  std::string name = (constant.getName() ? constant.getName()->str() : "weight") + suffix.str();
  return b.create<ConstantOp>(constant.getLoc(), type,
                              DenseResourceElementsAttr::get(type, name, std::move(blob)),
                              b.getStringAttr(name));
}

Value tilec::permutedWeight(OpBuilder &b, ConstantOp constant, ArrayRef<int64_t> shape,
                            ArrayRef<int64_t> perm, StringRef suffix,
                            ArrayRef<int64_t> resultShape) {
  if (!constant.getOutput().getType().getElementType().isF32())
    return nullptr;
  std::vector<float> data;
  std::string error;
  if (failed(readAsFloats(constant.getValue(), data, error)))
    return nullptr;
  SmallVector<int64_t> outShape;
  for (int64_t p : perm)
    outShape.push_back(shape[p]);
  std::vector<int64_t> inStrides =
      rowMajorStrides(std::vector<int64_t>(shape.begin(), shape.end()));
  std::vector<float> out(data.size());
  // Walk the output in row-major order with an index counter.
  SmallVector<int64_t> index(outShape.size(), 0);
  for (size_t flat = 0; flat < data.size(); ++flat) {
    int64_t source = 0;
    for (size_t d = 0; d < index.size(); ++d)
      source += index[d] * inStrides[perm[d]];
    out[flat] = data[source];
    for (int64_t d = int64_t(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  auto type = RankedTensorType::get(resultShape.empty() ? ArrayRef<int64_t>(outShape) : resultShape,
                                    b.getF32Type());
  return weightLike(b, constant, type, out, suffix);
}

Value tilec::zeroPaddedRows(OpBuilder &b, ConstantOp constant, int64_t rows,
                            int64_t paddedRows) {
  auto type = cast<RankedTensorType>(constant.getOutput().getType());
  Type element = type.getElementType();
  int64_t count = type.getNumElements();
  if (!(element.isF32() || element.isBF16() || element.isF16()) || rows <= 0 ||
      paddedRows < rows || count % rows != 0)
    return nullptr;
  std::vector<float> data;
  std::string error;
  if (failed(readAsFloats(constant.getValue(), data, error)))
    return nullptr;
  int64_t columns = count / rows;
  data.resize(size_t(paddedRows * columns), 0.f); // the zero rows after the others
  return weightLike(b, constant, RankedTensorType::get({paddedRows, columns}, element), data,
                    ".padded");
}

Value tilec::convertedWeight(OpBuilder &b, ConstantOp constant, Type element) {
  auto type = cast<RankedTensorType>(constant.getOutput().getType());
  if (!element.isBF16() && !element.isF16())
    return nullptr;
  std::vector<float> data;
  std::string error;
  if (failed(readAsFloats(constant.getValue(), data, error)))
    return nullptr;
  return weightLike(b, constant, RankedTensorType::get(type.getShape(), element), data,
                    element.isBF16() ? ".bf16" : ".f16");
}
