//===- CopyKernels.cpp - data-movement kernels reshaped for GPU threads ---===//
//
// See prepareCopyKernelsForThreads (GpuThreads.h): before applySchedule, a
// GPU kernel that only moves data (its result a view of an input, a
// concatenation, a constant pad) is rewritten as one linalg op over its
// result, which tiles into blocks and threads like an elementwise kernel
// instead of running as copies or a pad on one thread.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/GpuThreads.h"

#include "codegen/common/ApplySchedule.h"
#include "codegen/common/LowerToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace tilec::codegen;

namespace {

/// GPU targets: a kernel whose result is a view of an input (a slice, a
/// reshape: ViT's QKV split) would be one copy run by one thread; its result
/// is written by a linalg.copy instead, which tiles into blocks and threads
/// like any elementwise kernel.
void copyViewResult(func::FuncOp kernel) {
  Operation *view = findMarked(kernel, kConsumerAttr);
  if (!isa_and_nonnull<tensor::ExtractSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
          view))
    return;
  auto type = dyn_cast<RankedTensorType>(view->getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return;
  OpBuilder b(view->getContext());
  b.setInsertionPointAfter(view);
  Value empty = b.create<tensor::EmptyOp>(view->getLoc(), type.getShape(), type.getElementType());
  auto copy = b.create<linalg::CopyOp>(view->getLoc(), view->getResult(0), empty);
  view->getResult(0).replaceAllUsesExcept(copy.getResult(0), copy);
  view->removeAttr(kConsumerAttr);
  copy->setAttr(kConsumerAttr, b.getUnitAttr());
}

/// GPU targets: a concatenation (a chain of insert_slices into a new tensor,
/// ending at `last`: ViT's class-token concat) would be copies run by one
/// thread, and one with consumers in its kernel (the position embedding
/// added at batch 64) a whole intermediate tensor allocated inside the
/// kernel; it becomes one elementwise generic that reads each output element
/// from the input covering it (every input read at a clamped index, then
/// selected), which tiles into blocks and threads with its consumers.
void concatAsGather(func::FuncOp kernel, tensor::InsertSliceOp last) {
  RankedTensorType type = last.getResultType();
  if (!type.hasStaticShape())
    return;
  int64_t rank = type.getRank(), axis = -1;
  struct Piece {
    Value source;
    int64_t offset, size;
  };
  SmallVector<Piece> pieces;
  Value dest = last.getResult();
  while (auto insert = dest.getDefiningOp<tensor::InsertSliceOp>()) {
    if (!insert.hasUnitStride() || insert.getSourceType().getRank() != rank ||
        !insert.getSourceType().hasStaticShape())
      return;
    int64_t along = -1, offset = 0;
    for (auto [d, o] : llvm::enumerate(insert.getStaticOffsets())) {
      if (ShapedType::isDynamic(o))
        return;
      if (o != 0 || insert.getSourceType().getDimSize(d) != type.getDimSize(d)) {
        if (along >= 0 && along != int64_t(d))
          return;
        along = d;
        offset = o;
      }
    }
    if (along < 0)
      along = axis >= 0 ? axis : 0;
    if (axis >= 0 && along != axis)
      return;
    axis = along;
    pieces.push_back({insert.getSource(), offset, insert.getSourceType().getDimSize(axis)});
    dest = insert.getDest();
  }
  if (!dest.getDefiningOp<tensor::EmptyOp>() || pieces.size() < 2)
    return;
  // The pieces must tile the axis exactly once.
  llvm::sort(pieces, [](const Piece &a, const Piece &b) { return a.offset < b.offset; });
  int64_t covered = 0;
  for (const Piece &p : pieces) {
    if (p.offset != covered)
      return;
    covered += p.size;
  }
  if (covered != type.getDimSize(axis))
    return;
  OpBuilder b(last);
  Location loc = last.getLoc();
  Value empty = b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto gather = b.create<linalg::GenericOp>(
      loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)}, iters,
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> index;
        for (int64_t d = 0; d < rank; ++d)
          index.push_back(nb.create<linalg::IndexOp>(l, d));
        Value i = index[axis], value;
        for (const Piece &p : pieces) {
          // clamp(i - offset, 0, size - 1): in bounds whichever piece is read.
          Value local =
              nb.create<arith::SubIOp>(l, i, nb.create<arith::ConstantIndexOp>(l, p.offset));
          local = nb.create<arith::MaxSIOp>(l, local, nb.create<arith::ConstantIndexOp>(l, 0));
          local =
              nb.create<arith::MinSIOp>(l, local, nb.create<arith::ConstantIndexOp>(l, p.size - 1));
          SmallVector<Value> at = index;
          at[axis] = local;
          Value v = nb.create<tensor::ExtractOp>(l, p.source, at);
          if (!value) {
            value = v;
            continue;
          }
          Value inside = nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, i,
                                                  nb.create<arith::ConstantIndexOp>(l, p.offset));
          value = nb.create<arith::SelectOp>(l, inside, v, value);
        }
        nb.create<linalg::YieldOp>(l, value);
      });
  last.getResult().replaceAllUsesWith(gather.getResult(0));
  if (last->hasAttr(kConsumerAttr))
    gather->setAttr(kConsumerAttr, b.getUnitAttr());
  eraseDeadOps(kernel);
}

/// concatAsGather for every concatenation of the kernel: each chain's last
/// insert_slice (one whose result no insert_slice writes into).
void concatsAsGathers(func::FuncOp kernel) {
  SmallVector<tensor::InsertSliceOp> ends;
  kernel.walk([&](tensor::InsertSliceOp insert) {
    bool extended = llvm::any_of(insert.getResult().getUses(), [](OpOperand &use) {
      auto next = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
      return next && use.get() == next.getDest();
    });
    if (!extended)
      ends.push_back(insert);
  });
  for (tensor::InsertSliceOp last : ends)
    concatAsGather(kernel, last);
}

/// GPU targets: a kernel that is a constant pad (tilec-pad-rows' zero rows
/// before a tensor-core GEMM) would be one pad run by one thread; it becomes
/// one elementwise generic reading each output element from the source at a
/// clamped index, or the padding value outside it, which tiles into blocks
/// and threads. So does a zero pad of rows that a product in the same kernel
/// takes as its left operand (form-dispatches puts it there): marked with
/// its runs (whole source rows), the staged contraction reads it per K block
/// from the source (implicit padding, StagedContraction.cpp).
void padAsGather(func::FuncOp kernel, tensor::PadOp pad) {
  if (!pad.getResultType().hasStaticShape() || !pad.getSourceType().hasStaticShape())
    return;
  Value padValue = pad.getConstantPaddingValue();
  if (!padValue)
    return;
  SmallVector<int64_t> low = llvm::to_vector(pad.getStaticLow());
  if (llvm::any_of(low, ShapedType::isDynamic) ||
      llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
    return;
  RankedTensorType type = pad.getResultType();
  ArrayRef<int64_t> sizes = pad.getSourceType().getShape();
  int64_t rank = type.getRank();
  OpBuilder b(pad);
  Location loc = pad.getLoc();
  Value empty = b.create<tensor::EmptyOp>(loc, type.getShape(), type.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  Value source = pad.getSource();
  auto gather = b.create<linalg::GenericOp>(
      loc, TypeRange{type}, ValueRange{}, ValueRange{empty},
      ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)}, iters,
      [&](OpBuilder &nb, Location l, ValueRange) {
        SmallVector<Value> at;
        Value inside;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = nb.create<linalg::IndexOp>(l, d);
          if (low[d] == 0 && sizes[d] == type.getDimSize(d)) {
            at.push_back(i);
            continue;
          }
          Value src = nb.create<arith::SubIOp>(l, i, nb.create<arith::ConstantIndexOp>(l, low[d]));
          Value zero = nb.create<arith::ConstantIndexOp>(l, 0);
          Value last = nb.create<arith::ConstantIndexOp>(l, sizes[d] - 1);
          Value in = nb.create<arith::AndIOp>(
              l, nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, src, zero),
              nb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sle, src, last));
          inside = inside ? nb.create<arith::AndIOp>(l, inside, in) : in;
          at.push_back(nb.create<arith::MinSIOp>(l, nb.create<arith::MaxSIOp>(l, src, zero), last));
        }
        Value v = nb.create<tensor::ExtractOp>(l, source, at);
        if (inside)
          v = nb.create<arith::SelectOp>(l, inside, v, padValue);
        nb.create<linalg::YieldOp>(l, v);
      });
  // Rows padded, the last dim whole: each row a run of contiguous elements.
  if (rank == 2 && low[1] == 0 && sizes[1] == type.getDimSize(1) &&
      matchPattern(padValue, m_AnyZeroFloat())) {
    gather->setAttr(kGatherRunsAttr, b.getI64IntegerAttr(sizes[1]));
    gather->setAttr(kPaddedRowsAttr, b.getUnitAttr());
  }
  pad.getResult().replaceAllUsesWith(gather.getResult(0));
  if (pad->hasAttr(kConsumerAttr))
    gather->setAttr(kConsumerAttr, b.getUnitAttr());
  eraseDeadOps(kernel);
}

} // namespace

void tilec::codegen::prepareCopyKernelsForThreads(func::FuncOp kernel) {
  copyViewResult(kernel);
  concatsAsGathers(kernel);
  if (auto pad = dyn_cast_or_null<tensor::PadOp>(findMarked(kernel, kConsumerAttr)))
    padAsGather(kernel, pad);
  // Zero rows before a product's left operand (implicit padding).
  SmallVector<tensor::PadOp> rowPads;
  kernel.walk([&](tensor::PadOp pad) {
    auto product = pad->hasOneUse() ? dyn_cast<linalg::LinalgOp>(*pad->getUsers().begin())
                                    : linalg::LinalgOp();
    auto root = product ? product->getAttrOfType<StringAttr>(kRootAttr) : StringAttr();
    if (root && root.getValue() == "matmul" && product.getNumDpsInputs() == 2 &&
        product.getDpsInputs()[0] == pad.getResult() && pad.getResultType().getRank() == 2)
      rowPads.push_back(pad);
  });
  for (tensor::PadOp pad : rowPads)
    padAsGather(kernel, pad);
}
