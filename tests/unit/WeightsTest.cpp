//===- WeightsTest.cpp - resource-backed weights --------------------------===//

#include "ir/Weights.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir;
using namespace tilec;

namespace {

class WeightsTest : public ::testing::Test {
protected:
  WeightsTest() : b(&context) { context.loadDialect<TilecDialect>(); }
  MLIRContext context;
  OpBuilder b;
};

TEST_F(WeightsTest, BlobsAreAlignedAndZeroedOnRequest) {
  AsmResourceBlob blob = allocateF32Blob(1000, /*zeroed=*/true);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(blob.getData().data()) % 64, 0u);
  EXPECT_EQ(blob.getData().size(), 4000u);
  for (char c : blob.getData())
    ASSERT_EQ(c, 0);
}

TEST_F(WeightsTest, ReadsResourceDenseAndSplatAttributes) {
  auto type = RankedTensorType::get({3}, b.getF32Type());
  AsmResourceBlob blob = allocateF32Blob(3, false);
  float values[] = {1.5f, -2.0f, 3.25f};
  std::memcpy(blob.getMutableData().data(), values, sizeof(values));
  std::vector<float> out;
  std::string error;
  ASSERT_TRUE(succeeded(readAsFloats(makeF32Weight(type, "w", std::move(blob)), out, error)));
  EXPECT_EQ(out, (std::vector<float>{1.5f, -2.0f, 3.25f}));
  ASSERT_TRUE(succeeded(readAsFloats(DenseElementsAttr::get(type, 0.5f), out, error)));
  EXPECT_EQ(out, (std::vector<float>{0.5f, 0.5f, 0.5f}));
  auto ints = DenseElementsAttr::get(RankedTensorType::get({1}, b.getI32Type()), int32_t(1));
  EXPECT_TRUE(failed(readAsFloats(ints, out, error)));
  EXPECT_EQ(error, "unsupported constant element type (expected f32, f16 or bf16)");
}

TEST_F(WeightsTest, SetWeightReplacesDataAndChecksTheSize) {
  auto type = RankedTensorType::get({2}, b.getF32Type());
  auto module = b.create<ModuleOp>(b.getUnknownLoc());
  b.setInsertionPointToEnd(module.getBody());
  auto constant = b.create<ConstantOp>(b.getUnknownLoc(), DenseElementsAttr::get(type, 0.0f),
                                       b.getStringAttr("fc.bias"));
  std::string error;
  EXPECT_TRUE(failed(setWeight(constant, {1.0f, 2.0f, 3.0f}, error)));
  EXPECT_EQ(error, "weight 'fc.bias' has 2 elements, got 3");
  ASSERT_TRUE(succeeded(setWeight(constant, {7.0f, 8.0f}, error))) << error;
  std::vector<float> out;
  ASSERT_TRUE(succeeded(readAsFloats(constant.getValue(), out, error)));
  EXPECT_EQ(out, (std::vector<float>{7.0f, 8.0f}));
  module->erase();
}

} // namespace
