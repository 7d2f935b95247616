//===- InterpreterTest.cpp - hand-computed cases and input checking -------===//

#include "models/Zoo.h"
#include "reference/Interpreter.h"
#include "reference/Kernels.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tilec;
using namespace tilec::reference;

namespace {

Tensor tensor(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t(std::move(shape));
  t.data = std::move(data);
  return t;
}

TEST(KernelsTest, ConvByHand) {
  // 1x1x3x3 input, 2x2 all-ones kernel, bias 10, stride 1, padding top=1 only.
  Tensor in = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = tensor({1, 1, 2, 2}, {1, 1, 1, 1});
  Tensor bias = tensor({1}, {10});
  Tensor out({1, 1, 3, 2});
  Window2D window;
  window.kernel = {2, 2};
  window.padding = {1, 0, 0, 0};
  conv2d(in, w, &bias, window, 1, out, 1);
  EXPECT_EQ(out.data, (std::vector<float>{13, 15, 22, 26, 34, 38}));
}

TEST(KernelsTest, AvgPoolDivisorWithAndWithoutPadding) {
  Tensor in = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
  Window2D window;
  window.kernel = {2, 2};
  window.strides = {2, 2};
  window.padding = {1, 1, 1, 1};
  Tensor with({1, 1, 2, 2}), without({1, 1, 2, 2});
  avgPool2d(in, window, /*countIncludePad=*/true, with);
  avgPool2d(in, window, /*countIncludePad=*/false, without);
  EXPECT_EQ(with.data, (std::vector<float>{0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(without.data, (std::vector<float>{1, 2, 3, 4}));
}

TEST(KernelsTest, BroadcastIndices) {
  EXPECT_EQ(broadcastIndices({2, 3}, {3}), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(broadcastIndices({2, 3}, {2, 1}), (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() { models::loadZooDialects(context); }
  MLIRContext context;
};

TEST_F(InterpreterTest, RejectsInputsOfTheWrongShapeOrCount) {
  auto module = parseSourceString<ModuleOp>(R"(
    func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
      %y = tilec.relu %x : tensor<2x3xf32>
      return %y : tensor<2x3xf32>
    })", &context);
  ASSERT_TRUE(module);
  auto main = module->lookupSymbol<func::FuncOp>("main");
  Interpreter interpreter;
  std::string error;
  EXPECT_TRUE(failed(interpreter.run(main, {Tensor({3, 2})}, error)));
  EXPECT_EQ(error, "input #0 has shape [3, 2] but @main expects [2, 3]");
  EXPECT_TRUE(failed(interpreter.run(main, {}, error)));
  EXPECT_EQ(error, "@main takes 1 input(s), got 0");
  auto ok = interpreter.run(main, {tensor({2, 3}, {-1, 2, -3, 4, -5, 6})}, error);
  ASSERT_TRUE(succeeded(ok)) << error;
  EXPECT_EQ((*ok)[0].data, (std::vector<float>{0, 2, 0, 4, 0, 6}));
}

TEST_F(InterpreterTest, ReportsAWeightWithoutData) {
  auto module = parseSourceString<ModuleOp>(R"(
    func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
      %w = tilec.constant {name = "w"} dense_resource<missing> : tensor<2xf32>
      %y = tilec.add %x, %w : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
      return %y : tensor<2xf32>
    })", &context);
  ASSERT_TRUE(module);
  std::string error;
  auto result = Interpreter().run(module->lookupSymbol<func::FuncOp>("main"), {Tensor({2})}, error);
  EXPECT_TRUE(failed(result));
  EXPECT_NE(error.find("weight resource 'missing' has no data"), std::string::npos) << error;
}

TEST_F(InterpreterTest, ResultsDoNotDependOnTheThreadCount) {
  std::string error;
  auto module = models::buildModel(context, "resnet18", {.resolution = 64}, error);
  ASSERT_TRUE(succeeded(module)) << error;
  auto main = module->get().lookupSymbol<func::FuncOp>("main");
  Tensor input({1, 3, 64, 64});
  for (int64_t i = 0; i < input.numel(); ++i)
    input.data[i] = float((i * 7919) % 257) / 128.0f - 1.0f;
  auto one = Interpreter({.threads = 1}).run(main, {input}, error);
  auto two = Interpreter({.threads = 2}).run(main, {input}, error);
  ASSERT_TRUE(succeeded(one) && succeeded(two)) << error;
  EXPECT_EQ((*one)[0].data, (*two)[0].data);
}

} // namespace
