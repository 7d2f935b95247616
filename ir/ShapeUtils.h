//===- ShapeUtils.h - broadcasting and strides, shared by all layers -*- C++ -*-===//
//
// The shape arithmetic that shape inference, the reference interpreter and the
// ONNX importer's constant folding must agree on, in one place.
//
// Example: broadcastShapes({2, 1, 4}, {3, 1}) == {2, 3, 4};
//          rowMajorStrides({2, 3, 4}) == {12, 4, 1};
//          broadcastIndices({2, 3}, {3}) == {0, 1, 2, 0, 1, 2}.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_IR_SHAPEUTILS_H
#define TILEC_IR_SHAPEUTILS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>
#include <vector>

namespace tilec {

/// NumPy broadcasting of two shapes (aligned on the right), or nullopt.
std::optional<llvm::SmallVector<int64_t>> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                                          llvm::ArrayRef<int64_t> b);

/// Row-major strides of `shape`.
std::vector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

/// For each element of a tensor of shape `outShape`, the linear index of the
/// element of a tensor of shape `inShape` that NumPy broadcasting reads.
std::vector<int64_t> broadcastIndices(llvm::ArrayRef<int64_t> outShape,
                                      llvm::ArrayRef<int64_t> inShape);

/// "[2, 3, 4]": a shape as error messages print it.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace tilec

#endif // TILEC_IR_SHAPEUTILS_H
