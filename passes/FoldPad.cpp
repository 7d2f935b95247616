//===- FoldPad.cpp - zero padding into the consuming convolution ----------===//
//
// Assumes: NCHW convolutions; the pad is a constant-zero pad of dims 2 and 3.
// Guarantees: same values (a zero-padded conv is a conv with more padding); a
// pad of the batch or channel dims, a non-zero pad value, or a pad with another
// use is left alone.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/Builders.h"

namespace tilec {
#define GEN_PASS_DEF_FOLDPADPASS
#include "passes/Passes.h.inc"
} // namespace tilec

using namespace mlir;
using namespace tilec;

namespace {

struct FoldPadPass : public tilec::impl::FoldPadPassBase<FoldPadPass> {
  void runOnOperation() override {
    getOperation().walk([](Conv2DOp conv) {
      auto pad = conv.getInput().getDefiningOp<PadOp>();
      if (!pad || !pad->hasOneUse() || pad.getValue().convertToDouble() != 0.0)
        return;
      ArrayRef<int64_t> p = pad.getPads(); // [begin x4, end x4] for NCHW
      if (p.size() != 8 || p[0] || p[1] || p[4] || p[5])
        return;
      ArrayRef<int64_t> c = conv.getPadding(); // [top, left, bottom, right]
      OpBuilder b(conv);
      conv.setPaddingAttr(
          b.getDenseI64ArrayAttr({c[0] + p[2], c[1] + p[3], c[2] + p[6], c[3] + p[7]}));
      conv.getInputMutable().assign(pad.getInput());
      pad.erase();
    });
  }
};

} // namespace
