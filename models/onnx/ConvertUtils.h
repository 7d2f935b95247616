//===- ConvertUtils.h - helpers shared by the ONNX op converters -*- C++ -*-===//
//
// Internal to models/onnx: small helpers for the converters in OnnxOps.cpp
// (products, elementwise, normalization, pooling) and OnnxDataOps.cpp (shapes
// and data movement), and the data converters the dispatch table names.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_MODELS_ONNX_CONVERTUTILS_H
#define TILEC_MODELS_ONNX_CONVERTUTILS_H

#include "models/onnx/Importer.h"

namespace tilec::onnx_import {

inline mlir::DenseI64ArrayAttr array(Importer &im, llvm::ArrayRef<int64_t> values) {
  return im.builder().getDenseI64ArrayAttr(values);
}

/// A one-element literal of the graph (not a parameter).
mlir::Value scalar(Importer &im, float value);

inline int64_t product(llvm::ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

/// Creates OpT from `args` and makes it the node's output 0.
template <typename OpT, typename... Args>
mlir::LogicalResult emit(Importer &im, const onnx::NodeProto &n, Args &&...args) {
  mlir::FailureOr<mlir::Value> y = im.create<OpT>(n, std::forward<Args>(args)...);
  if (mlir::failed(y))
    return mlir::failure();
  im.setOutput(n, 0, *y);
  return mlir::success();
}

// Shape and data-movement converters (OnnxDataOps.cpp).
#define TILEC_ONNX_CONVERTER(name)                                                         \
  mlir::LogicalResult name(Importer &im, const onnx::NodeProto &n);
TILEC_ONNX_CONVERTER(convertShape)
TILEC_ONNX_CONVERTER(convertReshape)
TILEC_ONNX_CONVERTER(convertFlatten)
TILEC_ONNX_CONVERTER(convertUnsqueezeSqueeze)
TILEC_ONNX_CONVERTER(convertConcat)
TILEC_ONNX_CONVERTER(convertTranspose)
TILEC_ONNX_CONVERTER(convertSlice)
TILEC_ONNX_CONVERTER(convertPad)
TILEC_ONNX_CONVERTER(convertExpand)
TILEC_ONNX_CONVERTER(convertGather)
TILEC_ONNX_CONVERTER(convertSplit)
TILEC_ONNX_CONVERTER(convertPassThrough)
TILEC_ONNX_CONVERTER(convertCast)
TILEC_ONNX_CONVERTER(convertConstant)
TILEC_ONNX_CONVERTER(convertConstantOfShape)
TILEC_ONNX_CONVERTER(convertHostOnly)
#undef TILEC_ONNX_CONVERTER

} // namespace tilec::onnx_import

#endif // TILEC_MODELS_ONNX_CONVERTUTILS_H
