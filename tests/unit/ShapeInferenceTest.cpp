//===- ShapeInferenceTest.cpp - result types and verifier messages --------===//

#include "ir/TilecDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tilec;

namespace {

class ShapeInferenceTest : public ::testing::Test {
protected:
  ShapeInferenceTest() : b(&context) {
    context.loadDialect<TilecDialect, func::FuncDialect>();
    module = ModuleOp::create(b.getUnknownLoc());
    b.setInsertionPointToEnd(module->getBody());
  }

  /// A value of the given shape (a function argument).
  Value arg(ArrayRef<int64_t> shape) {
    auto type = RankedTensorType::get(shape, b.getF32Type());
    if (!function) {
      function = b.create<func::FuncOp>(b.getUnknownLoc(), "f", b.getFunctionType({}, {}));
      b.setInsertionPointToEnd(function.addEntryBlock());
    }
    return function.getBody().front().addArgument(type, b.getUnknownLoc());
  }

  static std::vector<int64_t> shape(Value v) {
    auto s = cast<ShapedType>(v.getType()).getShape();
    return {s.begin(), s.end()};
  }

  /// Parses and verifies `ir`; returns the first error message ("" if none).
  std::string firstError(StringRef ir) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(ir, &context);
    return message;
  }

  MLIRContext context;
  OpBuilder b;
  OwningOpRef<ModuleOp> module;
  func::FuncOp function;
};

TEST_F(ShapeInferenceTest, ConvWithAsymmetricPaddingStrideAndDilation) {
  Value x = arg({2, 6, 11, 7}), w = arg({4, 3, 3, 3});
  auto conv = b.create<Conv2DOp>(b.getUnknownLoc(), x, w, Value(), b.getDenseI64ArrayAttr({2, 1}),
                                 b.getDenseI64ArrayAttr({0, 1, 2, 1}),
                                 b.getDenseI64ArrayAttr({1, 2}), b.getI64IntegerAttr(2),
                                 /*layout=*/StringAttr());
  // H: (11 + 0 + 2 - 3) / 2 + 1 = 6; W: (7 + 1 + 1 - 5) / 1 + 1 = 5.
  EXPECT_EQ(shape(conv.getOutput()), (std::vector<int64_t>{2, 4, 6, 5}));
}

TEST_F(ShapeInferenceTest, PoolingCeilModeDropsWindowStartingInPadding) {
  Value x = arg({1, 1, 6, 6});
  auto pool = b.create<MaxPool2DOp>(b.getUnknownLoc(), x, b.getDenseI64ArrayAttr({2, 2}),
                                    b.getDenseI64ArrayAttr({2, 2}),
                                    b.getDenseI64ArrayAttr({1, 1, 1, 1}),
                                    b.getDenseI64ArrayAttr({1, 1}), b.getBoolAttr(true), StringAttr());
  // ceil((6 + 2 - 2) / 2) + 1 = 4, and the 4th window starts at 6 < 6 + 1: kept.
  EXPECT_EQ(shape(pool.getOutput()), (std::vector<int64_t>{1, 1, 4, 4}));
  auto noPad = b.create<MaxPool2DOp>(b.getUnknownLoc(), arg({1, 1, 5, 5}),
                                     b.getDenseI64ArrayAttr({2, 2}), b.getDenseI64ArrayAttr({2, 2}),
                                     b.getDenseI64ArrayAttr({0, 0, 0, 0}),
                                     b.getDenseI64ArrayAttr({1, 1}), b.getBoolAttr(true), StringAttr());
  EXPECT_EQ(shape(noPad.getOutput()), (std::vector<int64_t>{1, 1, 3, 3}));
}

TEST_F(ShapeInferenceTest, MatmulBroadcastsBatchDimensions) {
  auto mm = b.create<MatmulOp>(b.getUnknownLoc(), arg({2, 1, 5, 3}), arg({4, 3, 6}));
  EXPECT_EQ(shape(mm.getOutput()), (std::vector<int64_t>{2, 4, 5, 6}));
}

TEST_F(ShapeInferenceTest, ReshapeInfersMinusOneAndFlattenMergesRange) {
  Value x = arg({2, 3, 4, 5});
  auto r = b.create<ReshapeOp>(b.getUnknownLoc(), x, b.getDenseI64ArrayAttr({-1, 10}));
  EXPECT_EQ(shape(r.getOutput()), (std::vector<int64_t>{12, 10}));
  auto f = b.create<FlattenOp>(b.getUnknownLoc(), x, b.getI64IntegerAttr(1),
                               b.getI64IntegerAttr(2));
  EXPECT_EQ(shape(f.getOutput()), (std::vector<int64_t>{2, 12, 5}));
}

TEST_F(ShapeInferenceTest, SliceClampsAndSteps) {
  auto s = b.create<SliceOp>(b.getUnknownLoc(), arg({5, 11}), b.getDenseI64ArrayAttr({1}),
                             b.getDenseI64ArrayAttr({-9}), b.getDenseI64ArrayAttr({100}),
                             b.getDenseI64ArrayAttr({3}));
  // Elements 2, 5, 8 of 11.
  EXPECT_EQ(shape(s.getOutput()), (std::vector<int64_t>{5, 3}));
}

TEST_F(ShapeInferenceTest, ConcatReduceAndTranspose) {
  auto c = b.create<ConcatOp>(b.getUnknownLoc(), ValueRange{arg({2, 3, 4}), arg({2, 5, 4})},
                              b.getI64IntegerAttr(-2));
  EXPECT_EQ(shape(c.getOutput()), (std::vector<int64_t>{2, 8, 4}));
  auto r = b.create<ReduceSumOp>(b.getUnknownLoc(), c.getOutput(), b.getDenseI64ArrayAttr({0, 2}),
                                 b.getBoolAttr(false));
  EXPECT_EQ(shape(r.getOutput()), (std::vector<int64_t>{8}));
  auto t = b.create<TransposeOp>(b.getUnknownLoc(), c.getOutput(),
                                 b.getDenseI64ArrayAttr({2, 0, 1}));
  EXPECT_EQ(shape(t.getOutput()), (std::vector<int64_t>{4, 2, 8}));
}

TEST_F(ShapeInferenceTest, VerifierErrorsNameTheOpAndTheProblem) {
  EXPECT_EQ(firstError(R"(
    func.func @f(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
      %y = tilec.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
      return %y : tensor<1x4x6x6xf32>
    })"),
            "'tilec.conv2d' op weight has 2 input channels per group but input has 3 channels "
            "in 1 group(s)");
  EXPECT_EQ(firstError(R"(
    func.func @f(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> tensor<2x3xf32> {
      %z = tilec.add %x, %y : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
      return %z : tensor<2x3xf32>
    })"),
            "'tilec.add' op operand shapes 'tensor<2x3xf32>' and 'tensor<4xf32>' do not broadcast");
  EXPECT_EQ(firstError(R"(
    func.func @f(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %z = tilec.softmax %x {axis = 2} : tensor<2x3xf32>
      return %z : tensor<2x3xf32>
    })"),
            "'tilec.softmax' op axis 2 is out of range for rank 2");
}

TEST_F(ShapeInferenceTest, DropoutFoldsAway) {
  Value x = arg({3});
  auto d = b.create<DropoutOp>(b.getUnknownLoc(), x, b.getF64FloatAttr(0.5));
  SmallVector<OpFoldResult> results;
  ASSERT_TRUE(succeeded(d->fold(results)));
  EXPECT_EQ(dyn_cast<Value>(results[0]), x);
}

} // namespace
