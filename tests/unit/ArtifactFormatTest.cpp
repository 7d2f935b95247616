//===- ArtifactFormatTest.cpp - the plan's bytes, written and read back ---===//

#include "tilec/artifact_format.h"

#include <gtest/gtest.h>

using namespace tilec::artifact;

namespace {

Plan planWithTensorMaps() {
  Plan p;
  p.arenaBytes = 1 << 20;
  Kernel k;
  k.symbol = "tilec_k0";
  k.signature = "matmul";
  k.schedule = "wg=128x128 reg=64x128x0 vec=1 conv=direct cache=0x0x64 mma=64x128x16 tma=1";
  k.block = {256};
  k.sharedBytes = 98304;
  k.args = {{BufferKind::Arena, 0, 0, 4096 * 2}, {BufferKind::Weight, 0, 64, 8192 * 2},
            {BufferKind::Arena, 0, 65536, 4096 * 4}};
  k.tensorMaps = {{0, 2, 64, 64, 64, 64, 128}, {1, 2, 64, 128, 64, 64, 128}};
  p.kernels.push_back(k);
  return p;
}

// A kernel's tensor maps (format 3) survive the round trip, in order.
TEST(ArtifactFormat, TensorMapsRoundTrip) {
  Plan p = planWithTensorMaps();
  std::vector<uint8_t> bytes = serializePlan(p);
  Plan q;
  ASSERT_TRUE(deserializePlan(bytes.data(), bytes.size(), q));
  ASSERT_EQ(q.kernels.size(), 1u);
  const std::vector<TensorMap> &maps = q.kernels[0].tensorMaps;
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[1].arg, 1u);
  EXPECT_EQ(maps[1].rows, 64u);
  EXPECT_EQ(maps[1].columns, 128u);
  EXPECT_EQ(maps[1].boxRows, 64u);
  EXPECT_EQ(maps[1].boxColumns, 64u);
  EXPECT_EQ(maps[1].swizzleBytes, 128u);
  EXPECT_EQ(maps[0].elementBytes, 2u);
  EXPECT_TRUE(q.kernels[0].args.size() == 3 && q.kernels[0].args[2].offset == 65536);
}

// A map naming an argument the kernel does not have, or a plan cut short
// anywhere, is refused (never read past the end).
TEST(ArtifactFormat, DamagedTensorMapsRefused) {
  Plan p = planWithTensorMaps();
  p.kernels[0].tensorMaps[1].arg = 3;
  std::vector<uint8_t> bytes = serializePlan(p);
  Plan q;
  EXPECT_FALSE(deserializePlan(bytes.data(), bytes.size(), q));
  bytes = serializePlan(planWithTensorMaps());
  for (size_t cut = 0; cut < bytes.size(); cut += 7) {
    Plan r;
    EXPECT_FALSE(deserializePlan(bytes.data(), cut, r)) << "cut at " << cut;
  }
}

} // namespace
