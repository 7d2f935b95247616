//===- Weights.h - weight tensors held as dense_resource blobs --*- C++ -*-===//
//
// Weights live in the module as `dense_resource` blobs (DESIGN.md: a 550 MB
// VGG-16 stays cheap to hold and print). These helpers create such blobs, read
// them back as floats, and replace a constant's data by name (how real weights
// are attached to a zoo graph).
//
// Example:
//   mlir::AsmResourceBlob blob = allocateF32Blob(64, /*zeroed=*/true);
//   fill(blob.getMutableData());
//   auto attr = makeF32Weight(type, "conv1.weight", std::move(blob));
//   builder.create<ConstantOp>(loc, attr, builder.getStringAttr("conv1.weight"));
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_IR_WEIGHTS_H
#define TILEC_IR_WEIGHTS_H

#include "ir/TilecDialect.h"

#include "mlir/IR/AsmState.h"

#include <optional>
#include <string>
#include <vector>

namespace tilec {

/// A heap blob of `numElements` floats, 64-byte aligned. With `zeroed`, the memory
/// comes from calloc, so untouched pages cost nothing (used to build graphs whose
/// weights are never read, e.g. for `tilec models`).
mlir::AsmResourceBlob allocateF32Blob(size_t numElements, bool zeroed);

/// The same for `bytes` bytes of any element type.
mlir::AsmResourceBlob allocateBlob(size_t bytes, bool zeroed);

/// A `dense_resource` attribute of `type` (f32 elements) owning `blob`; `name` is
/// a hint for the resource key (made unique by MLIR if it is taken).
mlir::ElementsAttr makeF32Weight(mlir::RankedTensorType type, llvm::StringRef name,
                                 mlir::AsmResourceBlob blob);

/// Reads any f32, f16 or bf16 elements attribute (dense, splat or resource) into
/// floats in row-major order. Fails with a message in `error` for other types or a
/// resource whose blob is missing or has the wrong size.
mlir::LogicalResult readAsFloats(mlir::ElementsAttr attr, std::vector<float> &out,
                                 std::string &error);

/// A new f32 constant next to `constant` holding its values, read as a tensor
/// of `shape` (same element count), with the dims permuted (output dim i is
/// dim perm[i]), typed `resultShape` if given (same element count) or the
/// permuted shape; named after `constant` plus `suffix`. Weight re-layout at
/// compile time (transposed linear weights, HWIO filters). Null when the
/// constant is not f32 or cannot be read.
/// Example: permutedWeight(b, w /*[N, K]*/, {N, K}, {1, 0}, ".packed_kn") is W^T.
mlir::Value permutedWeight(mlir::OpBuilder &b, ConstantOp constant, llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<int64_t> perm, llvm::StringRef suffix,
                           llvm::ArrayRef<int64_t> resultShape = {});

/// A new constant next to `constant` holding its values rounded (to nearest
/// even) to `element` (bf16 or f16), named after it plus ".bf16" / ".f16":
/// weights of reduced-precision contractions, converted once at compile time.
/// Null for another element type or an unreadable constant.
mlir::Value convertedWeight(mlir::OpBuilder &b, ConstantOp constant, mlir::Type element);

/// A new constant next to `constant` (f32, bf16 or f16; read as `rows` x
/// the rest, row-major) of `paddedRows` (>= rows) rows, the extra ones zero,
/// named after it plus ".padded": a convolution's filter matrix padded to
/// whole tensor-core K steps at compile time. Null for another element type,
/// an unreadable constant or an element count that `rows` does not divide.
mlir::Value zeroPaddedRows(mlir::OpBuilder &b, ConstantOp constant, int64_t rows,
                           int64_t paddedRows);

/// The value of `v` if it is a one-element tilec.constant (a scale, an epsilon).
std::optional<double> scalarConstantValue(mlir::Value v);

/// Replaces the data of `constant` (which keeps its name and type) by `data`.
/// Fails with a message in `error` if the element count differs.
mlir::LogicalResult setWeight(ConstantOp constant, llvm::ArrayRef<float> data,
                              std::string &error);

} // namespace tilec

#endif // TILEC_IR_WEIGHTS_H
