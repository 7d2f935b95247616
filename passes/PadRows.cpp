//===- PadRows.cpp - whole tensor-core tiles for 16-bit matrix products ---===//
//
// Assumes: set-precision ran (16-bit operands are what tensor cores take),
// no dispatches yet.
// Guarantees: with multiple=N > 0, every linear and matmul with bf16/f16
// operands (or f32 ones marked tilec.tf32) whose row count M (lhs dim -2)
// is >= 2N and not a multiple of N computes on its lhs zero-padded to the
// next multiple of N, followed by a slice of the first M rows; the values
// the graph computes are unchanged (a zero row of A gives a zero row of
// A*B + bias, which the slice drops). An attention's query rows are padded
// the same way (each query row is independent; keys and values are
// unchanged): GPU blocks then take 16 query rows each instead of a whole
// head (197 rows do not divide). With any-precision=true every product and
// attention is, whatever the precision of its operands (GPU targets: SIMT
// GEMMs and the per-thread attention split their rows into blocks that
// divide them too; 197 rows were one-row blocks). Elementwise ops that only
// a padded product's slice feeds and whose other operands do not vary along
// its rows then compute on the padded rows, before the slice.
// Everything else is unchanged.
// Before that, a linear or a matmul whose weight is shared by its leading
// dims (rhs of rank 2; lhs [B, T, K]: ViT's token batches) computes on its
// lhs flattened to [B * T, K] (a view) and reshapes the result back, its
// elementwise epilogue moved ahead of that reshape (Reshapes.h): one GEMM of
// B * T rows instead of B products of T, which at batch 64 needs no padding
// at all (64 * 197 = 16 * 788) and takes the large tensor-core tiles.
//
// Why a graph rewrite: GPU code generation splits a product into blocks that
// divide its shape; 197 rows (ViT) only divide into 1-row blocks, which
// tensor cores (16-row tiles) cannot take. Padded, the product is 208 rows,
// the pad fuses into the kernel that produces the lhs or gets one of its
// own, and the slice into its consumer.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Reshapes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_PADROWSPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

struct PadRowsPass : public tilec::impl::PadRowsPassBase<PadRowsPass> {
  using PadRowsPassBase::PadRowsPassBase;

  void runOnOperation() override {
    if (multiple < 0) {
      getOperation().emitError("tilec-pad-rows: multiple must be >= 0, got " +
                               std::to_string(int64_t(multiple)));
      return signalPassFailure();
    }
    if (multiple == 0 && !anyPrecision)
      return;
    SmallVector<Operation *> products;
    getOperation().walk([&](Operation *op) {
      if (((multiple > 0 || anyPrecision) && isa<MatmulOp, LinearOp>(op)) || isa<AttentionOp>(op))
        products.push_back(op);
    });
    for (Operation *op : products)
      if (Operation *flat = flattenRows(op))
        padRowsAndSink(flat);
      else if (SliceOp slice = padRows(op); slice && !isa<AttentionOp>(op))
        hoistSliceAboveElementwise(slice);
  }

  /// A product with a shared weight as one GEMM over all its rows (file
  /// comment); the 2-d product, or null (unchanged).
  Operation *flattenRows(Operation *op) {
    if (!isa<LinearOp, MatmulOp>(op))
      return nullptr;
    auto lhsType = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    auto rhsType = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!lhsType || !rhsType || !resultType || lhsType.getRank() < 3 || rhsType.getRank() != 2 ||
        resultType.getRank() != lhsType.getRank() || !lhsType.hasStaticShape() ||
        !resultType.hasStaticShape() || !padded(op, lhsType.getElementType()))
      return nullptr;
    int64_t rows = lhsType.getNumElements() / lhsType.getShape().back();
    OpBuilder b(op);
    Location loc = op->getLoc();
    SmallVector<int64_t> flatShape = {rows, lhsType.getShape().back()};
    auto flat = b.create<ReshapeOp>(loc, RankedTensorType::get(flatShape, lhsType.getElementType()),
                                    op->getOperand(0), b.getDenseI64ArrayAttr(flatShape));
    Operation *product = b.clone(*op);
    product->setOperand(0, flat.getResult());
    product->getResult(0).setType(RankedTensorType::get({rows, resultType.getShape().back()},
                                                        resultType.getElementType()));
    auto back = b.create<ReshapeOp>(loc, resultType, product->getResult(0),
                                    b.getDenseI64ArrayAttr(resultType.getShape()));
    op->getResult(0).replaceAllUsesWith(back.getResult());
    op->erase();
    return product;
  }

  /// padRows on a flattened product, then its epilogue moved ahead of the
  /// reshape back.
  void padRowsAndSink(Operation *product) {
    auto back = cast<ReshapeOp>(*product->getResult(0).getUsers().begin());
    SliceOp slice = padRows(product);
    sinkReshapeBelowElementwise(back);
    if (slice)
      hoistSliceAboveElementwise(slice);
  }

  /// Whether `op`'s rows are padded: every product and attention with
  /// any-precision, else those with tensor-core operands when a multiple is
  /// set (attention: whenever its operands are 16-bit).
  bool padded(Operation *op, Type element) {
    if (anyPrecision)
      return true;
    return multiple > 0 && hasTensorCoreOperands(op, element);
  }

  SliceOp padRows(Operation *op) {
    Value lhs = op->getOperand(0);
    auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
    auto rhsType = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!lhsType || !rhsType || !resultType || lhsType.getRank() < 2 ||
        resultType.getRank() != lhsType.getRank() || !lhsType.hasStaticShape() ||
        !resultType.hasStaticShape())
      return nullptr;
    // Attention: the query's rows (its keys and values stay: padded query
    // rows only add output rows, which the slice drops).
    Type element = lhsType.getElementType();
    if (!padded(op, element) || rhsType.getElementType() != element)
      return nullptr;
    int64_t m = multiple > 0 ? int64_t(multiple) : 16;
    int64_t rank = lhsType.getRank(), rows = lhsType.getDimSize(rank - 2);
    if (rows < 2 * m || rows % m == 0)
      return nullptr;
    int64_t padded = (rows + m - 1) / m * m;
    OpBuilder b(op);
    Location loc = op->getLoc();
    SmallVector<int64_t> pads(2 * rank, 0);
    pads[rank + rank - 2] = padded - rows;
    SmallVector<int64_t> shape(lhsType.getShape());
    shape[rank - 2] = padded;
    auto pad = b.create<PadOp>(loc, RankedTensorType::get(shape, element), lhs,
                               b.getDenseI64ArrayAttr(pads), b.getF64FloatAttr(0.0));
    Operation *product = b.clone(*op);
    product->setOperand(0, pad.getResult());
    SmallVector<int64_t> resultShape(resultType.getShape());
    resultShape[rank - 2] = padded;
    product->getResult(0).setType(RankedTensorType::get(resultShape, resultType.getElementType()));
    auto slice = b.create<SliceOp>(
        loc, resultType, product->getResult(0), b.getDenseI64ArrayAttr({rank - 2}),
        b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({rows}), b.getDenseI64ArrayAttr({1}));
    op->getResult(0).replaceAllUsesWith(slice.getResult());
    op->erase();
    return slice;
  }

  /// `slice` takes a padded product's first rows. Elementwise ops that only
  /// it feeds, whose other operands do not vary along those rows (a bias
  /// [C], a scalar), compute on the padded rows instead, the slice after
  /// them: they join the product's kernel as its epilogue, and the slice of
  /// a matrix's leading rows is a view (plan-memory places it in the
  /// product's bytes; ViT-B/16 at batch 1: the QKV projection's bias and
  /// convert, the MLP's bias, GELU and convert, each a kernel of their own
  /// before). The padded rows' values (the bias, GELU of it) are never read.
  /// Stops at any other consumer (a residual add reads the sliced rows).
  void hoistSliceAboveElementwise(SliceOp slice) {
    int64_t axis = slice.getAxes()[0];
    while (Operation *user = soleElementwiseUser(slice.getResult())) {
      auto sliced = cast<RankedTensorType>(slice.getType());
      auto result = cast<RankedTensorType>(user->getResult(0).getType());
      SmallVector<Value> operands;
      for (Value o : user->getOperands()) {
        auto t = dyn_cast<RankedTensorType>(o.getType());
        int64_t offset = sliced.getRank() - (t ? t.getRank() : 0);
        if (o == slice.getResult())
          operands.push_back(slice.getInput());
        else if (t && (axis < offset || t.getDimSize(axis - offset) == 1))
          operands.push_back(o);
        else
          return;
      }
      auto full = cast<RankedTensorType>(slice.getInput().getType());
      Operation *moved = rebuildElementwise(user, operands, full.getShape());
      OpBuilder b(user);
      auto next =
          b.create<SliceOp>(slice.getLoc(), result, moved->getResult(0), slice.getAxesAttr(),
                            slice.getStartsAttr(), slice.getEndsAttr(), slice.getStepsAttr());
      user->getResult(0).replaceAllUsesWith(next.getResult());
      user->erase();
      slice.erase();
      slice = next;
    }
  }
};

} // namespace
