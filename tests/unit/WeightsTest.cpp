//===- WeightsTest.cpp - resource-backed weights --------------------------===//

#include "ir/HalfFloat.h"
#include "ir/Weights.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

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

/// APFloat's conversion (round to nearest even) as the oracle.
uint16_t apfloatBits(float f, const llvm::fltSemantics &semantics) {
  APFloat v(f);
  bool lost;
  v.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
  return uint16_t(v.bitcastToAPInt().getZExtValue());
}

// Random bit patterns (every exponent) and the f16 subnormal and overflow
// boundaries, where the bit tricks are most likely to be off by one.
TEST(HalfFloatTest, MatchesAPFloatBitForBit) {
  std::mt19937 rng(3);
  std::vector<uint32_t> patterns;
  for (int i = 0; i < 2000000; ++i)
    patterns.push_back(rng());
  for (uint32_t u = 0x33000000u; u < 0x38900000u; u += 97) // f16 subnormals
    patterns.push_back(u);
  for (uint32_t u = 0x477fe000u; u < 0x47800100u; ++u) // f16 overflow
    patterns.push_back(u);
  patterns.push_back(0x7f7fffffu); // bf16 overflow to infinity
  for (uint32_t u : patterns) {
    for (uint32_t bits : {u, u | 0x80000000u}) {
      float f;
      std::memcpy(&f, &bits, 4);
      if (std::isnan(f))
        continue;
      uint16_t bf = half::toBF16(f), h = half::toF16(f);
      ASSERT_EQ(bf, apfloatBits(f, APFloat::BFloat())) << std::hexfloat << f;
      ASSERT_EQ(h, apfloatBits(f, APFloat::IEEEhalf())) << std::hexfloat << f;
      // Reading back is exact.
      APFloat wide(APFloat::IEEEhalf(), APInt(16, h));
      bool lost;
      wide.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
      ASSERT_EQ(half::fromF16(h), wide.convertToFloat());
      ASSERT_EQ(half::fromBF16(bf), half::round(f, /*isBF16=*/true));
    }
  }
}

TEST(HalfFloatTest, NaNsStayNaN) {
  for (uint32_t bits : {0x7fc00000u, 0x7f800001u, 0xffffffffu, 0x7fffffffu}) {
    float f;
    std::memcpy(&f, &bits, 4);
    EXPECT_TRUE(std::isnan(half::fromBF16(half::toBF16(f)))) << std::hex << bits;
    EXPECT_TRUE(std::isnan(half::fromF16(half::toF16(f)))) << std::hex << bits;
  }
}

// A weight converted at compile time reads back as its rounded values.
TEST_F(WeightsTest, ConvertedWeightRoundsToTheHalfType) {
  auto type = RankedTensorType::get({4}, b.getF32Type());
  AsmResourceBlob blob = allocateF32Blob(4, false);
  float values[] = {1.0f, 1.00390625f, 1.01171875f, 70000.0f};
  std::memcpy(blob.getMutableData().data(), values, sizeof(values));
  ModuleOp module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToStart(module.getBody());
  auto constant = b.create<ConstantOp>(b.getUnknownLoc(), type,
                                       makeF32Weight(type, "w", std::move(blob)),
                                       b.getStringAttr("w"));
  std::vector<float> out;
  std::string error;
  Value bf = convertedWeight(b, constant, b.getBF16Type());
  ASSERT_TRUE(bf);
  EXPECT_TRUE(cast<ShapedType>(bf.getType()).getElementType().isBF16());
  ASSERT_TRUE(succeeded(readAsFloats(bf.getDefiningOp<ConstantOp>().getValue(), out, error)))
      << error;
  // Ties go to even (1.00390625 -> 1.0, 1.01171875 -> 1.015625).
  EXPECT_EQ(out, (std::vector<float>{1.0f, 1.0f, 1.015625f, 70144.0f}));
  Value h = convertedWeight(b, constant, b.getF16Type());
  ASSERT_TRUE(succeeded(readAsFloats(h.getDefiningOp<ConstantOp>().getValue(), out, error)));
  EXPECT_EQ(out[1], 1.00390625f);
  EXPECT_TRUE(std::isinf(out[3])); // beyond f16's 65504
  EXPECT_FALSE(convertedWeight(b, constant, b.getF64Type()));
  module.erase();
}

} // namespace
