//===- Analysis.h - parameter and MAC counts of a graph ---------*- C++ -*-===//
//
// Counts follow torchvision's conventions so that they can be compared with the
// numbers people quote: parameters are learned tensors only (batch-norm running
// statistics are buffers), and MACs count multiply-accumulates of convolutions
// and matrix products (elementwise work is not counted).
//
// Example: for torchvision's resnet50 at 224x224, countParameters() is
// 25,557,032 and the sum of countMacs() over its ops is about 4.09 G.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_IR_ANALYSIS_H
#define TILEC_IR_ANALYSIS_H

#include "ir/TilecDialect.h"

#include "mlir/IR/Operation.h"

namespace tilec {

/// True if `constant` is a buffer, not a learned parameter: every use of it is
/// the running mean or variance of a batch_norm.
bool isBuffer(ConstantOp constant);

/// True if `constant` is a learned parameter: it has a `name` (unnamed constants
/// are literals of the graph, such as an attention scale) and is not a buffer.
bool isParameter(ConstantOp constant);

/// Number of learned parameter elements among `op`'s constant operands.
int64_t countOperandParameters(mlir::Operation *op);

/// Number of learned parameter elements held by constants under `root`.
int64_t countParameters(mlir::Operation *root);

/// Multiply-accumulates performed by `op` (0 for ops that do none; a dispatch
/// counts the ops of its body).
int64_t countMacs(mlir::Operation *op);

/// Sum of countMacs over every op under `root`.
int64_t countTotalMacs(mlir::Operation *root);

} // namespace tilec

#endif // TILEC_IR_ANALYSIS_H
