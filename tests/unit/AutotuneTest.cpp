//===- AutotuneTest.cpp - database, search space, cost model, wire format -===//

#include "autotune/CostModel.h"
#include "autotune/Database.h"
#include "autotune/Measure.h"
#include "autotune/SearchSpace.h"
#include "autotune/Task.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <set>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

using namespace tilec;
using namespace tilec::autotune;
using codegen::Schedule;

namespace {

/// A fresh database file per test, removed afterwards.
class DatabaseTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("tilec-dbtest-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string path(const std::string &name) const { return (dir / name).string(); }

  static Record record(const std::string &sig, const std::string &schedule, double us,
                       const std::string &status = "ok", const std::string &fp = "cpu:a|t2") {
    Record r;
    r.key = {fp, sig, "cg1"};
    r.schedule = schedule;
    r.status = status;
    r.medianUs = us;
    r.timesUs = {us, us * 1.01};
    if (status != "ok")
      r.error = "injected";
    return r;
  }

  std::filesystem::path dir;
};

TEST_F(DatabaseTest, BestIsTheFastestValidRecordOfExactlyThisKey) {
  std::string error;
  auto db = Database::open(path("t.db"), error);
  ASSERT_TRUE(db) << error;
  ASSERT_TRUE(db->insert(record("conv", "wg=1 reg=- vec=8 conv=direct", 50), error));
  ASSERT_TRUE(db->insert(record("conv", "wg=2 reg=- vec=8 conv=direct", 40), error));
  ASSERT_TRUE(db->insert(record("conv", "wg=4 reg=- vec=8 conv=direct", 0, "wrong"), error));
  ASSERT_TRUE(
      db->insert(record("conv", "wg=8 reg=- vec=8 conv=direct", 1, "ok", "cpu:b|t2"), error));
  std::optional<Record> best = db->best({"cpu:a|t2", "conv", "cg1"});
  ASSERT_TRUE(best);
  EXPECT_EQ(best->schedule, "wg=2 reg=- vec=8 conv=direct");
  EXPECT_DOUBLE_EQ(best->medianUs, 40);
  EXPECT_EQ(best->timesUs.size(), 2u);
  EXPECT_FALSE(best->createdAt.empty());
  EXPECT_FALSE(best->commit.empty());
  // Another code generator version or machine: nothing, never a silent fallback.
  EXPECT_FALSE(db->best({"cpu:a|t2", "conv", "cg2"}));
  EXPECT_FALSE(db->best({"cpu:c|t2", "conv", "cg1"}));
  EXPECT_EQ(db->records({"cpu:a|t2", "conv", "cg1"}).size(), 3u);
  EXPECT_EQ(db->integrityCheck(), "ok");
}

TEST_F(DatabaseTest, MergeKeepsTheBestValidRecordPerKey) {
  std::string error;
  auto a = Database::open(path("a.db"), error);
  auto b = Database::open(path("b.db"), error);
  ASSERT_TRUE(a && b) << error;
  ASSERT_TRUE(a->insert(record("conv", "wg=1 reg=- vec=8 conv=direct", 50), error));
  ASSERT_TRUE(a->insert(record("pool", "wg=1 reg=- vec=8 conv=direct", 5), error));
  ASSERT_TRUE(b->insert(record("conv", "wg=2 reg=- vec=8 conv=direct", 30), error));
  ASSERT_TRUE(b->insert(record("pool", "wg=2 reg=- vec=8 conv=direct", 9), error));
  ASSERT_TRUE(b->insert(record("gemm", "wg=2 reg=- vec=8 conv=direct", 0, "crash"), error));
  EXPECT_EQ(a->merge(*b, error), 1) << error; // only conv improves; a crash is not merged
  EXPECT_DOUBLE_EQ(a->best({"cpu:a|t2", "conv", "cg1"})->medianUs, 30);
  EXPECT_DOUBLE_EQ(a->best({"cpu:a|t2", "pool", "cg1"})->medianUs, 5);
  EXPECT_FALSE(a->best({"cpu:a|t2", "gemm", "cg1"}));
  EXPECT_EQ(a->merge(*b, error), 0); // idempotent
}

TEST_F(DatabaseTest, JsonLinesRoundTrip) {
  Record r = record("conv(1x3x8x8xf32){pad = \"x\"}", "wg=1x2 reg=1x8 vec=8 conv=gemm", 12.5);
  r.rootKind = "conv";
  r.loops = "conv result=1x2 loops=1x8 red=01 1x1=1";
  std::string error;
  std::optional<Record> back = Database::fromJson(Database::toJson(r), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->key, r.key);
  EXPECT_EQ(back->schedule, r.schedule);
  EXPECT_EQ(back->timesUs, r.timesUs);
  EXPECT_EQ(back->loops, r.loops);
  EXPECT_FALSE(Database::fromJson("{\"fingerprint\": 3}", error));
  EXPECT_NE(error.find("fingerprint"), std::string::npos) << error;
  EXPECT_FALSE(Database::fromJson("not json", error));
  // An "ok" record without a time is refused: it would win every comparison.
  std::string noTime = Database::toJson(record("c", "wg=1", 0));
  EXPECT_FALSE(Database::fromJson(noTime, error));
}

TEST_F(DatabaseTest, PruneKeepsTheBestPerKeyAndDropsFailures) {
  std::string error;
  auto db = Database::open(path("p.db"), error);
  ASSERT_TRUE(db) << error;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(db->insert(record("conv", "wg=" + std::to_string(i), 10.0 + i), error));
  ASSERT_TRUE(db->insert(record("conv", "wg=9", 0, "timeout"), error));
  Record old = record("conv", "wg=1", 1);
  old.key.codegenVersion = "cg0";
  ASSERT_TRUE(db->insert(old, error));
  EXPECT_EQ(db->prune(2, /*dropOtherVersions=*/true, "cg1", error), 5) << error;
  std::vector<Record> left = db->all();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_DOUBLE_EQ(left[0].medianUs, 10);
  EXPECT_DOUBLE_EQ(left[1].medianUs, 11);
}

TEST_F(DatabaseTest, MigratesAVersion1File) {
  // A database as the first schema wrote it.
  sqlite3 *raw = nullptr;
  ASSERT_EQ(sqlite3_open(path("v1.db").c_str(), &raw), SQLITE_OK);
  const char *v1 =
      "CREATE TABLE records(id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, signature TEXT NOT"
      " NULL, codegen_version TEXT NOT NULL, schedule TEXT NOT NULL, status TEXT NOT NULL,"
      " median_us REAL, times_us TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '',"
      " created_at TEXT NOT NULL, machine TEXT NOT NULL, tilec_commit TEXT NOT NULL);"
      "INSERT INTO records VALUES(1, 'cpu:a|t2', 'conv', 'cg1', 'wg=1', 'ok', 7.0, '[7.0]', '',"
      " '2026-01-01T00:00:00Z', 'm', 'c');"
      "PRAGMA user_version=1;";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  std::string error;
  auto db = Database::open(path("v1.db"), error);
  ASSERT_TRUE(db) << error;
  EXPECT_EQ(db->schemaVersion(), kSchemaVersion);
  std::optional<Record> kept = db->best({"cpu:a|t2", "conv", "cg1"});
  ASSERT_TRUE(kept);
  EXPECT_DOUBLE_EQ(kept->medianUs, 7);
  EXPECT_EQ(kept->loops, "");
}

TEST_F(DatabaseTest, RefusesNewerSchemasAndForeignFiles) {
  {
    sqlite3 *raw = nullptr;
    ASSERT_EQ(sqlite3_open(path("new.db").c_str(), &raw), SQLITE_OK);
    sqlite3_exec(raw, "PRAGMA user_version=99;", nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  std::string error;
  EXPECT_FALSE(Database::open(path("new.db"), error));
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
  std::ofstream(path("junk.db")) << "this is not a database at all, but long enough to look "
                                    "like a header to sqlite's reader: 0123456789abcdef";
  EXPECT_FALSE(Database::open(path("junk.db"), error));
  EXPECT_NE(error.find("junk.db"), std::string::npos) << error;
}

codegen::Target avx2() {
  codegen::Target t;
  t.arch = "haswell";
  t.vectorBits = 256;
  t.vectorRegisters = 16;
  return t;
}

codegen::DispatchShape convShape() {
  // 1x64x56x56 output, 64 input channels, 3x3 window: (n, f, oh, ow, c, kh, kw).
  return {"conv",
          {1, 64, 56, 56},
          {1, 64, 56, 56, 64, 3, 3},
          {false, false, false, false, true, true, true},
          false};
}

TEST(SearchSpaceTest, SamplesAndMutationsAreLegal) {
  std::vector<codegen::DispatchShape> shapes = {
      convShape(),
      {"matmul", {1, 197, 768}, {1, 197, 768, 768}, {false, false, false, true}, false},
      {"depthwise",
       {1, 96, 113, 113},
       {1, 113, 113, 96, 3, 3},
       {false, false, false, false, true, true},
       false},
      {"pool",
       {1, 64, 28, 28},
       {1, 64, 28, 28, 3, 3},
       {false, false, false, false, true, true},
       false},
      {"softmax", {1, 12, 197, 197}, {}, {}, false},
      {"conv",
       {1, 256, 14, 14},
       {1, 256, 14, 14, 1024, 1, 1},
       {false, false, false, false, true, true, true},
       true},
  };
  std::mt19937 rng(1);
  for (const codegen::DispatchShape &shape : shapes) {
    SearchSpace space(shape, avx2());
    EXPECT_GT(space.cardinality(), 10) << shape.rootKind;
    std::set<std::string> distinct;
    for (int i = 0; i < 200; ++i) {
      Schedule s = space.sample(rng);
      EXPECT_EQ(space.check(s), "") << shape.rootKind << ": " << s.str();
      Schedule m = space.mutate(s, rng);
      EXPECT_EQ(space.check(m), "") << shape.rootKind << ": " << m.str();
      distinct.insert(s.str());
      if (shape.rootKind == "softmax")
        EXPECT_EQ(s.workgroupTile.back(), 197) << "the reduced dimension stays whole";
    }
    EXPECT_GE(double(distinct.size()), std::min(20.0, space.cardinality() / 2)) << shape.rootKind;
  }
}

TEST(SearchSpaceTest, GpuSpacesDrawWarpAndThreadTiles) {
  std::string error;
  codegen::Target sm90 = *codegen::parseTarget("cuda:sm_90", error);
  codegen::Target sm75 = *codegen::parseTarget("cuda:sm_75", error);
  codegen::DispatchShape bf16Gemm{"matmul", {1024, 768}, {1024, 768, 512}, {false, false, true},
                                  false, 16};
  codegen::DispatchShape f32Gemm = bf16Gemm;
  f32Gemm.operandBits = 32;
  codegen::DispatchShape conv{"conv_nhwc",
                              {1, 56, 56, 64},
                              {1, 56, 56, 64, 3, 3, 64},
                              {false, false, false, false, true, true, true},
                              false};
  struct Expect {
    codegen::DispatchShape shape;
    codegen::Target target;
    bool warps;
  };
  std::mt19937 rng(3);
  codegen::DispatchShape tf32Gemm = bf16Gemm;
  tf32Gemm.operandBits = 19;
  for (const Expect &e : {Expect{bf16Gemm, sm90, true}, Expect{f32Gemm, sm90, false},
                          Expect{bf16Gemm, sm75, false}, Expect{conv, sm90, false},
                          Expect{tf32Gemm, sm90, true}}) {
    SearchSpace space(e.shape, e.target);
    int warpTiles = 0, threadTiles = 0, pipelines = 0;
    for (int i = 0; i < 200; ++i) {
      Schedule s = space.sample(rng);
      pipelines += s.stages > 1;
      EXPECT_EQ(space.check(s), "") << s.str();
      Schedule m = space.mutate(s, rng);
      EXPECT_EQ(space.check(m), "") << m.str();
      warpTiles += !s.mmaShape.empty();
      threadTiles += s.mmaShape.empty() && !s.registerTile.empty();
      EXPECT_EQ(features(e.shape, s, e.target, 1).size(), featureNames().size());
    }
    EXPECT_EQ(warpTiles > 0, e.warps) << e.shape.rootKind << " on " << e.target.str();
    EXPECT_GT(threadTiles, 0) << e.shape.rootKind << " on " << e.target.str();
    EXPECT_GT(pipelines, 0) << "stages are searched: " << e.shape.rootKind;
  }
  // Elementwise and data-movement kernels draw the vectors each thread takes
  // (the default's 16 bytes of bf16, half that, one element).
  {
    codegen::DispatchShape moves{"elementwise", {64, 12, 197, 64}, {}, {}, false};
    moves.resultBits = 16;
    SearchSpace space(moves, sm90);
    EXPECT_EQ(codegen::defaultSchedule(moves, sm90).vectorWidth, 8);
    std::set<int64_t> widths;
    for (int i = 0; i < 100; ++i) {
      Schedule s = space.sample(rng);
      EXPECT_EQ(space.check(s), "") << s.str();
      widths.insert(s.vectorWidth);
    }
    EXPECT_EQ(widths, (std::set<int64_t>{1, 4, 8}));
  }
  // sm_90's warpgroup tiles (wgmma) are drawn for 16-bit GEMMs whose rows,
  // columns and K divide into 64s, legal as drawn; never on sm_80.
  codegen::Target sm80 = *codegen::parseTarget("cuda:sm_80", error);
  for (const codegen::Target &t : {sm90, sm80}) {
    SearchSpace space(bf16Gemm, t);
    int warpgroups = 0, inFlight = 0;
    for (int i = 0; i < 200; ++i) {
      Schedule s = space.sample(rng);
      EXPECT_EQ(space.check(s), "") << s.str();
      warpgroups += codegen::isWarpgroupMma(s.mmaShape);
      inFlight += s.inFlight > 0;
      Schedule m = space.mutate(s, rng);
      EXPECT_EQ(space.check(m), "") << m.str();
    }
    EXPECT_EQ(warpgroups > 0, t.warpgroupMma()) << t.str();
    EXPECT_EQ(inFlight > 0, t.warpgroupMma()) << "inflight=1 is drawn for wgmma only";
  }
  // Tensor-core attention is drawn for 16-bit attention on CUDA sm_80+ (a
  // head's rows per block, legal as drawn), never for f32 or on ROCm.
  codegen::DispatchShape attention{"attention", {64, 12, 208, 64}, {64, 12, 208, 64, 197},
                                   {false, false, false, false, true}, false, 16};
  codegen::DispatchShape f32Attention = attention;
  f32Attention.operandBits = 32;
  codegen::Target gfx90a = *codegen::parseTarget("rocm:gfx90a", error);
  for (const Expect &e : {Expect{attention, sm90, true}, Expect{attention, sm80, true},
                          Expect{f32Attention, sm90, false}, Expect{attention, gfx90a, false}}) {
    SearchSpace space(e.shape, e.target);
    int tensorCore = 0;
    for (int i = 0; i < 100; ++i) {
      Schedule s = space.sample(rng);
      EXPECT_EQ(space.check(s), "") << s.str();
      tensorCore += codegen::isWarpAttentionSchedule(s, "attention");
      Schedule m = space.mutate(s, rng);
      EXPECT_EQ(space.check(m), "") << m.str();
    }
    EXPECT_EQ(tensorCore > 0, e.warps) << e.shape.operandBits << " bits on " << e.target.str();
  }
}

TEST(TaskTest, SixteenBitShapesRoundTrip) {
  codegen::DispatchShape shape{"matmul", {197, 768}, {197, 768, 768}, {false, false, true}, false,
                               16};
  std::optional<codegen::DispatchShape> back = decodeShape(encodeShape(shape));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->operandBits, 16);
  shape.operandBits = 19; // f32 allowed TF32
  back = decodeShape(encodeShape(shape));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->operandBits, 19);
  // Records written before the field existed still decode (as 32-bit).
  back = decodeShape("matmul result=197x768 loops=197x768x768 red=001 1x1=0");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->operandBits, 32);
}

TEST(SearchSpaceTest, RejectsRegisterSpillsAndAdaptsOtherShapes) {
  SearchSpace space(convShape(), avx2());
  Schedule s = codegen::defaultSchedule(convShape(), avx2());
  EXPECT_EQ(space.check(s), "");
  // 16 accumulator vectors: legal for verifySchedule's f32 count, but no
  // register is left for the operands on a 16-register ISA.
  s.registerTile = {1, 8, 2, 8, 1, 1, 1};
  EXPECT_NE(space.check(s).find("accumulator registers"), std::string::npos);
  // A schedule tuned for 1x128x28x28 fitted to 1x64x56x56: tiles become divisors.
  Schedule other;
  other.workgroupTile = {1, 128, 4, 28};
  other.registerTile = {1, 4, 2, 8, 1, 1, 1};
  other.vectorWidth = 8;
  std::optional<Schedule> fitted = space.adapt(other);
  ASSERT_TRUE(fitted);
  EXPECT_EQ(fitted->workgroupTile, (std::vector<int64_t>{1, 64, 4, 28}));
  EXPECT_EQ(space.check(*fitted), "");
}

TEST(SearchSpaceTest, FeaturesHaveAFixedLength) {
  std::mt19937 rng(2);
  SearchSpace space(convShape(), avx2());
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(features(convShape(), space.sample(rng), avx2(), 2).size(), featureNames().size());
  codegen::DispatchShape soft{"softmax", {1, 12, 197, 197}, {}, {}, false};
  EXPECT_EQ(features(soft, SearchSpace(soft, avx2()).sample(rng), avx2(), 2).size(),
            featureNames().size());
}

TEST(TaskTest, ShapeEncodingRoundTrips) {
  codegen::DispatchShape shape = convShape();
  std::optional<codegen::DispatchShape> back = decodeShape(encodeShape(shape));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->rootKind, "conv");
  EXPECT_EQ(back->resultShape, shape.resultShape);
  EXPECT_EQ(back->rootLoops, shape.rootLoops);
  EXPECT_EQ(back->rootReduction, shape.rootReduction);
  EXPECT_FALSE(decodeShape("conv result=1x2"));
}

TEST(CostModelTest, TopKRecall) {
  EXPECT_DOUBLE_EQ(topKRecall({1, 2, 3, 4}, {4, 3, 2, 1}, 2), 1.0);
  EXPECT_DOUBLE_EQ(topKRecall({1, 2, 3, 4}, {1, 2, 3, 4}, 2), 0.0);
  EXPECT_DOUBLE_EQ(topKRecall({1, 2, 3, 4}, {4, 1, 3, 2}, 2), 0.5);
}

/// A synthetic machine: time grows with workgroup count and with register
/// tiles away from 4 filters x 2 rows. The model, trained on some shapes,
/// must rank schedules of a shape it never saw far better than chance.
TEST(CostModelTest, LearnsARankingThatTransfersToUnseenShapes) {
  auto synthetic = [](const codegen::DispatchShape &shape, const Schedule &s) {
    double grid = 1;
    for (size_t i = 0; i < shape.resultShape.size(); ++i)
      grid *= double(shape.resultShape[i]) / double(s.workgroupTile[i]);
    double reg = s.registerTile.empty()
                     ? 8.0
                     : std::abs(std::log2(double(s.registerTile[1]) / 4)) +
                           std::abs(std::log2(double(s.registerTile[2]) / 2)) + 1;
    return 100 * reg + 0.5 * grid + std::abs(std::log2(grid / 16)) * 20;
  };
  std::vector<codegen::DispatchShape> shapes;
  for (int64_t c : {32, 64, 128, 256})
    for (int64_t hw : {7, 14, 28, 56})
      shapes.push_back({"conv",
                        {1, c, hw, hw},
                        {1, c, hw, hw, c, 3, 3},
                        {false, false, false, false, true, true, true},
                        false});
  std::mt19937 rng(3);
  CostModel model;
  codegen::DispatchShape heldOut = shapes[6]; // 1x64x28x28
  for (const codegen::DispatchShape &shape : shapes) {
    if (shape.resultShape == heldOut.resultShape)
      continue;
    SearchSpace space(shape, avx2());
    for (int i = 0; i < 40; ++i) {
      Schedule s = space.sample(rng);
      model.add(encodeShape(shape), features(shape, s, avx2(), 2), synthetic(shape, s));
    }
  }
  std::string error;
  ASSERT_TRUE(model.train(error)) << error;
  ASSERT_TRUE(model.trained());
  SearchSpace space(heldOut, avx2());
  std::vector<std::vector<float>> rows;
  std::vector<double> times;
  for (int i = 0; i < 200; ++i) {
    Schedule s = space.sample(rng);
    rows.push_back(features(heldOut, s, avx2(), 2));
    times.push_back(synthetic(heldOut, s));
  }
  double recall = topKRecall(times, model.predict(rows), 20);
  EXPECT_GT(recall, 0.4) << "chance is 0.1";
}

TEST(MeasureTest, WireFormatRoundTrips) {
  MeasureRequest r{"abc", "module {\n}\n", "wg=1 reg=- vec=8 conv=direct", 250.5};
  MeasureRequest back;
  ASSERT_TRUE(decodeRequest(encodeRequest(r), back));
  EXPECT_EQ(back.moduleText, r.moduleText);
  EXPECT_EQ(back.schedule, r.schedule);
  EXPECT_DOUBLE_EQ(back.cutoffUs, 250.5);
  EXPECT_FALSE(decodeRequest("M 1 2 3\nab", back));
  MeasureResult m{"wrong", 0, {}, "output 0 differs\n\tbadly"};
  MeasureResult mb = decodeResult(encodeResult(m));
  EXPECT_EQ(mb.status, "wrong");
  EXPECT_EQ(mb.error, "output 0 differs  badly");
  MeasureResult ok{"ok", 12.5, {12.0, 12.5, 13.0}, ""};
  MeasureResult okb = decodeResult(encodeResult(ok));
  EXPECT_TRUE(okb.valid());
  EXPECT_DOUBLE_EQ(okb.medianUs, 12.5);
  EXPECT_EQ(okb.timesUs.size(), 3u);
  EXPECT_EQ(decodeResult("garbage").status, "crash");
}

} // namespace
