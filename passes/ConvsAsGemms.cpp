//===- ConvsAsGemms.cpp - 16-bit convolutions as tensor-core GEMMs --------===//
//
// Assumes: assign-layouts and set-precision ran (channels-last convolutions
// with HWIO weights, 16-bit operands), no dispatches yet.
// Guarantees: with enabled=true, every channels-last conv2d with groups = 1,
// bf16 / f16 input and weight (or f32 ones marked tilec.tf32, which the
// product keeps), C_out % 8 == 0 and at least 32 output pixels is replaced
// by reshape(matmul(windows, filters) [+ bias]) with the same values (each
// output pixel's window times the weight); windows are tilec.im2col, or a
// reshape of the input for 1x1, stride-1, unpadded convolutions over a
// multiple of 16 channels. The reduction K = KH * KW * C_in is padded to a
// multiple of 16 (whole tensor-core K steps) where it is not one: the
// windows' extra columns and the filters' extra rows are zero (a constant
// weight padded here, once; another one by a tilec.pad). Everything else is
// unchanged.
//
// Why: GPU code generation has tensor-core kernels for GEMMs (mma.sync,
// MFMA); convolutions run as SIMT multiply-adds. As GEMMs, ResNet's
// convolutions use the tensor cores, at the price of writing the windows out
// once (9x the input for 3x3; 1x1 convolutions, most of ResNet-50's, need no
// copy). Stems (7x7 or 3x3 over 3 channels: K = 147 or 27) and 1x1
// convolutions over 24 or 40 channels (MobileNet, EfficientNet) reach the
// tensor cores through the padding of K. The epilogue (bias) stays in the
// GEMM's kernel; ops after the final reshape (a view) get kernels of their
// own.
//
//===----------------------------------------------------------------------===//

#include "ir/Weights.h"
#include "passes/Passes.h"
#include "passes/Reshapes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_CONVSASGEMMSPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

struct ConvsAsGemmsPass : public tilec::impl::ConvsAsGemmsPassBase<ConvsAsGemmsPass> {
  using ConvsAsGemmsPassBase::ConvsAsGemmsPassBase;

  void runOnOperation() override {
    if (!enabled)
      return;
    SmallVector<Conv2DOp> convs;
    getOperation().walk([&](Conv2DOp c) { convs.push_back(c); });
    for (Conv2DOp c : convs)
      rewrite(c);
  }

  void rewrite(Conv2DOp conv) {
    auto x = dyn_cast<RankedTensorType>(conv.getInput().getType());
    auto w = dyn_cast<RankedTensorType>(conv.getWeight().getType());
    auto y = dyn_cast<RankedTensorType>(conv.getType());
    if (!conv.isChannelsLast() || conv.getGroups() != 1 || !x || !w || !y ||
        !x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape())
      return;
    Type element = x.getElementType();
    if (!hasTensorCoreOperands(conv, element) || w.getElementType() != element)
      return;
    int64_t kh = w.getDimSize(0), kw = w.getDimSize(1), cin = w.getDimSize(2),
            cout = w.getDimSize(3);
    int64_t k = kh * kw * cin;
    if (cout % 8 != 0)
      return;
    int64_t paddedK = (k + 15) / 16 * 16;
    // Fewer than 32 output pixels (a squeeze-excite block's 1x1 convolutions
    // on a pooled vector): no whole tensor-core tile, and the convolution
    // fuses with its neighbours as it is.
    int64_t rows = y.getDimSize(0) * y.getDimSize(1) * y.getDimSize(2);
    if (rows < 32)
      return;
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    // The im2col matrix takes whole tensor-core tiles of rows itself (zero
    // rows) instead of a pad kernel after it (tilec-pad-rows); a 1x1
    // convolution's reshaped input is padded by tilec-pad-rows.
    int64_t paddedRows = rows;
    if (rowMultiple > 0 && rows % rowMultiple != 0)
      paddedRows = (rows + rowMultiple - 1) / rowMultiple * rowMultiple;
    Value windows;
    bool pointwise = kh == 1 && kw == 1 && paddedK == k &&
                     llvm::all_of(conv.getStrides(), [](int64_t s) { return s == 1; }) &&
                     llvm::all_of(conv.getPadding(), [](int64_t p) { return p == 0; });
    if (pointwise)
      windows = b.create<ReshapeOp>(loc, RankedTensorType::get({rows, k}, element),
                                    conv.getInput(), b.getDenseI64ArrayAttr({rows, k}));
    else
      windows = b.create<Im2ColOp>(
          loc, RankedTensorType::get({paddedRows, paddedK}, element), conv.getInput(),
          b.getDenseI64ArrayAttr({kh, kw}), conv.getStridesAttr(), conv.getPaddingAttr(),
          conv.getDilationsAttr(), paddedRows != rows ? b.getI64IntegerAttr(paddedRows) : nullptr,
          paddedK != k ? b.getI64IntegerAttr(paddedK) : nullptr);
    int64_t productRows = pointwise ? rows : paddedRows;
    Value weight = filters(b, conv.getWeight(), k, paddedK, cout);
    auto product = RankedTensorType::get({rows, cout}, y.getElementType());
    auto matmul = b.create<MatmulOp>(
        loc, RankedTensorType::get({productRows, cout}, y.getElementType()), windows, weight);
    if (conv->hasAttr(kTF32Attr))
      matmul->setAttr(kTF32Attr, b.getUnitAttr());
    Value result = matmul;
    if (productRows != rows)
      result = b.create<SliceOp>(loc, product, result, b.getDenseI64ArrayAttr({0}),
                                 b.getDenseI64ArrayAttr({0}), b.getDenseI64ArrayAttr({rows}),
                                 b.getDenseI64ArrayAttr({1}));
    if (Value bias = conv.getBias())
      result = b.create<AddOp>(loc, product, result, bias);
    auto nhwc = b.create<ReshapeOp>(loc, y, result, b.getDenseI64ArrayAttr(y.getShape()));
    conv.getResult().replaceAllUsesWith(nhwc.getResult());
    Operation *original = conv.getWeight().getDefiningOp();
    conv.erase();
    // A constant weight replaced by its padded copy.
    if (isa_and_nonnull<ConstantOp>(original) && original->use_empty())
      original->erase();
    sinkReshapeBelowElementwise(nhwc);
  }

  /// The HWIO `weight` as a [paddedK, cout] matrix: a reshape (a view),
  /// with paddedK - k zero rows after it where paddedK > k (a new constant
  /// for a constant weight, else a tilec.pad).
  static Value filters(OpBuilder &b, Value weight, int64_t k, int64_t paddedK, int64_t cout) {
    Location loc = weight.getLoc();
    Type element = cast<RankedTensorType>(weight.getType()).getElementType();
    if (paddedK != k)
      if (auto constant = weight.getDefiningOp<ConstantOp>())
        if (Value padded = zeroPaddedRows(b, constant, k, paddedK))
          return padded;
    Value matrix = b.create<ReshapeOp>(loc, RankedTensorType::get({k, cout}, element), weight,
                                       b.getDenseI64ArrayAttr({k, cout}));
    if (paddedK == k)
      return matrix;
    return b.create<PadOp>(loc, RankedTensorType::get({paddedK, cout}, element), matrix,
                           b.getDenseI64ArrayAttr({0, 0, paddedK - k, 0}), b.getF64FloatAttr(0.0));
  }
};

} // namespace
