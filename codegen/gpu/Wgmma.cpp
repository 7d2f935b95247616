//===- Wgmma.cpp - warp strips onto sm_90's warpgroup MMA ----------------===//
//
// NVIDIA sm_90: wgmma.mma_async m64nNk16 from swizzled workgroup memory.
// See TensorCores.h (convertWarpgroupContractions) and docs/design/codegen.md
// ("Warpgroup tiles").
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/LaneFragments.h"
#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/TensorCores.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace tilec::codegen;
using namespace tilec::codegen::detail;

namespace {

/// Elements of one 128-byte row of 16-bit values: wgmma's 128-byte swizzle
/// unit, and the width of a staged operand's panels.
constexpr int64_t kPanel = 64;

/// The 128-byte swizzled layout both staged operands take (PTX ISA,
/// "Shared Memory Matrix Layout", 128B swizzling): a buffer [..., R, C] of
/// 16-bit values (C a multiple of 64) is C / 64 panels of R rows of 64
/// values, one after the other; within a panel, row r's 16-byte chunk j
/// (8 values) sits at chunk j xor (r mod 8). The panels start on 1024-byte
/// boundaries (R a multiple of 8, the buffer 1024-byte aligned), where the
/// hardware's swizzle pattern repeats.
///
///   unswizzled(r, c) = (c / 64) * R * 64 + r * 64 + c mod 64
///   swizzled(r, c)   = (c / 64) * R * 64 + r * 64
///                      + ((c mod 64) / 8 xor r mod 8) * 8 + c mod 8
///
/// A K-major operand (A [M, K], or B stored [N, K]) has C = 64, the K block:
/// one panel whose rows are M (or N) and whose chunks are K. An MN-major one
/// (B stored [K, N]) has R = the K block and a panel per 64 columns of N.
struct SwizzledLayout {
  int64_t rows, cols; ///< R, C

  /// Indices of the element stored at logical position `idx` (a write's
  /// first element; a vector of up to 8 values never crosses a chunk).
  SmallVector<Value> swizzle(RewriterBase &rw, Location loc, ValueRange idx) const {
    MLIRContext *ctx = rw.getContext();
    size_t n = idx.size();
    Value r = idx[n - 2], c = idx[n - 1];
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx);
    Value chunk = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(1, 0, (d0 % kPanel).floorDiv(8), ctx), ValueRange{c});
    Value phase =
        rw.create<affine::AffineApplyOp>(loc, AffineMap::get(1, 0, d0 % 8, ctx), ValueRange{r});
    Value moved = rw.create<arith::XOrIOp>(loc, chunk, phase);
    // d0 = c, d1 = r, d2 = the swizzled chunk.
    AffineExpr linear = d0.floorDiv(kPanel) * (rows * kPanel) + d1 * kPanel + d2 * 8 + d0 % 8;
    SmallVector<Value> out(idx.begin(), idx.end());
    out[n - 2] = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(3, 0, linear.floorDiv(cols), ctx), ValueRange{c, r, moved});
    out[n - 1] = rw.create<affine::AffineApplyOp>(
        loc, AffineMap::get(3, 0, linear % cols, ctx), ValueRange{c, r, moved});
    return out;
  }

  /// Byte offset of logical position `idx` before swizzling (where a matrix
  /// descriptor starts: the hardware swizzles the addresses it derives).
  Value unswizzledBytes(RewriterBase &rw, Location loc, ValueRange idx) const {
    MLIRContext *ctx = rw.getContext();
    size_t n = idx.size();
    // Leading dims (stages, unit batch dims): row-major over R x C tiles.
    AffineExpr linear = getAffineConstantExpr(0, ctx);
    for (size_t i = 0; i + 2 < n; ++i)
      linear = linear + getAffineDimExpr(i, ctx) * leadStrides[i];
    AffineExpr r = getAffineDimExpr(n - 2, ctx), c = getAffineDimExpr(n - 1, ctx);
    linear = linear + c.floorDiv(kPanel) * (rows * kPanel) + r * kPanel + c % kPanel;
    return rw.create<affine::AffineApplyOp>(loc, AffineMap::get(n, 0, linear * 2, ctx), idx);
  }

  SmallVector<int64_t> leadStrides; ///< elements per index of each leading dim
};

/// The swizzled layout of a staged operand buffer, or nullopt (with why)
/// where it cannot take one: 16-bit elements, static identity layout, rows
/// a multiple of 8 and columns of 64.
std::optional<SwizzledLayout> swizzledLayoutOf(Value buffer, std::string &why) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.hasStaticShape() || !type.getLayout().isIdentity() || type.getRank() < 2 ||
      type.getElementTypeBitWidth() != 16) {
    why = "a staged operand is not a static 16-bit buffer";
    return std::nullopt;
  }
  int64_t rank = type.getRank();
  SwizzledLayout l;
  l.rows = type.getDimSize(rank - 2);
  l.cols = type.getDimSize(rank - 1);
  if (l.rows % 8 != 0 || l.cols % kPanel != 0) {
    why = "a staged operand tile is " + std::to_string(l.rows) + "x" + std::to_string(l.cols) +
          "; wgmma's swizzle needs rows in multiples of 8 and columns of 64";
    return std::nullopt;
  }
  l.leadStrides.assign(rank - 2, 0);
  int64_t stride = l.rows * l.cols;
  for (int64_t i = rank - 3; i >= 0; --i) {
    l.leadStrides[i] = stride;
    stride *= type.getDimSize(i);
  }
  return l;
}

/// Every write into a staged operand buffer moved to its swizzled place:
/// cp.async copies, and vector or scalar stores (staging without cp.async,
/// implicit GEMM windows). Fails on any other use than the warp
/// contractions' operand reads.
LogicalResult swizzleWrites(RewriterBase &rw, Value buffer, const SwizzledLayout &layout) {
  for (OpOperand &use : llvm::make_early_inc_range(buffer.getUses())) {
    Operation *user = use.getOwner();
    rw.setInsertionPoint(user);
    Location loc = user->getLoc();
    if (auto copy = dyn_cast<nvgpu::DeviceAsyncCopyOp>(user)) {
      if (copy.getDst() != buffer)
        return copy.emitError("wgmma staging: a staged operand is copied from");
      if (8 % copy.getDstElements().getZExtValue() != 0)
        return copy.emitError("wgmma staging: a copy wider than 16 bytes");
      SmallVector<Value> at = layout.swizzle(rw, loc, copy.getDstIndices());
      rw.modifyOpInPlace(copy, [&] { copy.getDstIndicesMutable().assign(at); });
      continue;
    }
    if (auto write = dyn_cast<vector::TransferWriteOp>(user)) {
      VectorType v = write.getVectorType();
      if (v.getRank() != 1 || 8 % v.getNumElements() != 0 ||
          !write.getPermutationMap().isMinorIdentity())
        return write.emitError("wgmma staging: a write that is not a row of up to 8 values");
      SmallVector<Value> at = layout.swizzle(rw, loc, write.getIndices());
      rw.modifyOpInPlace(write, [&] { write.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto store = dyn_cast<vector::StoreOp>(user)) {
      if (store.getVectorType().getRank() != 1 || 8 % store.getVectorType().getNumElements() != 0)
        return store.emitError("wgmma staging: a write that is not a row of up to 8 values");
      SmallVector<Value> at = layout.swizzle(rw, loc, store.getIndices());
      rw.modifyOpInPlace(store, [&] { store.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto store = dyn_cast<memref::StoreOp>(user)) {
      SmallVector<Value> at = layout.swizzle(rw, loc, store.getIndices());
      rw.modifyOpInPlace(store, [&] { store.getIndicesMutable().assign(at); });
      continue;
    }
    if (auto read = dyn_cast<vector::TransferReadOp>(user)) {
      bool operand = llvm::all_of(read->getUsers(), [](Operation *u) {
        auto c = dyn_cast<vector::ContractionOp>(u);
        return c && isWarpContraction(c);
      });
      if (operand)
        continue; // becomes a matrix descriptor
    }
    if (isa<memref::DeallocOp>(user))
      continue;
    // A panel a TMA load writes (Tma.h): the tensor map's 128-byte swizzle
    // puts each chunk where this layout does.
    if (auto panel = dyn_cast<memref::ReinterpretCastOp>(user);
        panel && llvm::all_of(panel->getUsers(),
                              [](Operation *u) { return isa<nvgpu::TmaAsyncLoadOp>(u); }))
      continue;
    return user->emitError("wgmma staging: an unexpected use of a staged operand buffer");
  }
  return success();
}

/// The warpgroup instruction for 16xNx16 warp contractions (each warp's
/// 16-row strip of its warpgroup's 64xN tile; GpuThreads stacks a
/// warpgroup's four warps along M). Each lane's fragment is its N / 2
/// accumulators as an LLVM struct (the instruction's register operands):
/// value i of lane l in warp w of the group is row 16 w + l / 4 + 8 ((i / 2)
/// mod 2), column 8 (i / 4) + 2 (l mod 4) + i mod 2 (PTX ISA, wgmma
/// m64nNk16 accumulator D; the mma.sync m16n8 layout repeated N / 8 times).
struct WgmmaLowering : FragmentLowering {
  WgmmaLowering(RewriterBase &rw, Value lane, Value warpInGroup, int64_t n, bool bf16,
                const DenseMap<Value, SwizzledLayout> &layouts)
      : FragmentLowering(rw, lane, "wgmma"), warpInGroup(warpInGroup), n(n), bf16(bf16),
        layouts(layouts) {
    SmallVector<Type> fields(n / 2, Float32Type::get(rw.getContext()));
    fragmentType = LLVM::LLVMStructType::getLiteral(rw.getContext(), fields);
  }
  Value warpInGroup;
  int64_t n;
  bool bf16;
  const DenseMap<Value, SwizzledLayout> &layouts;
  Type fragmentType;

  bool isAccumulator(Type t) override {
    auto v = dyn_cast<VectorType>(t);
    return v && v.getShape() == ArrayRef<int64_t>{16, n} && v.getElementType().isF32();
  }

  Value splat(Location loc, Type, Attribute element) override {
    Value f = rw.create<LLVM::UndefOp>(loc, fragmentType);
    Value x = rw.create<arith::ConstantOp>(loc, cast<TypedAttr>(element));
    for (int64_t i = 0; i < n / 2; ++i)
      f = rw.create<LLVM::InsertValueOp>(loc, f, x, ArrayRef<int64_t>{i});
    return f;
  }

  /// Value i's (row, column) in a warp's 16xN tile, affine in the lane.
  std::pair<AffineExpr, AffineExpr> coordinates(int64_t i) {
    AffineExpr l = getAffineDimExpr(0, rw.getContext());
    return {l.floorDiv(4) + 8 * ((i / 2) % 2), 8 * (i / 4) + (l % 4) * 2 + i % 2};
  }

  /// The accumulator transfer's memref indices of value i: vector dim 0 is
  /// the tile's rows where the contraction's accumulator map starts with m.
  SmallVector<Value> indicesOf(Location loc, ValueRange base, AffineMap perm, AffineMap accMap,
                               unsigned m, int64_t i) {
    auto [row, col] = coordinates(i);
    SmallVector<AffineExpr, 2> vec = {row, col};
    if (accMap.getDimPosition(0) != m)
      std::swap(vec[0], vec[1]);
    return laneIndices(rw, loc, lane, base, perm, vec);
  }

  Value loadAccumulator(vector::TransferReadOp read, vector::ContractionOp c) override {
    Location loc = read.getLoc();
    AffineMap accMap = c.getIndexingMapsArray()[2];
    unsigned m = accMap.getDimPosition(0);
    Value f = rw.create<LLVM::UndefOp>(loc, fragmentType);
    for (int64_t i = 0; i < n / 2; ++i) {
      SmallVector<Value> at =
          indicesOf(loc, read.getIndices(), read.getPermutationMap(), accMap, m, i);
      Value x = rw.create<memref::LoadOp>(loc, read.getSource(), at);
      f = rw.create<LLVM::InsertValueOp>(loc, f, x, ArrayRef<int64_t>{i});
    }
    return f;
  }

  LogicalResult storeAccumulator(vector::TransferWriteOp write, Value f) override {
    Location loc = write.getLoc();
    // The accumulator's dims are the write's vector dims (m, n) in order.
    AffineMap perm = write.getPermutationMap();
    auto memref = cast<MemRefType>(write.getSource().getType());
    // Values 2j and 2j + 1 are neighbours in a row: one 8-byte store where
    // the row is the memref's contiguous dim.
    bool pairs = perm.isMinorIdentity() && memref.getLayout().isIdentity();
    MLIRContext *ctx = rw.getContext();
    AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
    for (int64_t i = 0; i < n / 2; i += pairs ? 2 : 1) {
      SmallVector<Value> at = indicesOf(loc, write.getIndices(), perm, identity, 0, i);
      if (pairs) {
        auto type = VectorType::get({2}, rw.getF32Type());
        Value v = rw.create<arith::ConstantOp>(loc, rw.getZeroAttr(type));
        for (int64_t e = 0; e < 2; ++e) {
          Value x = rw.create<LLVM::ExtractValueOp>(loc, f, ArrayRef<int64_t>{i + e});
          v = rw.create<vector::InsertOp>(loc, x, v, ArrayRef<int64_t>{e});
        }
        rw.create<vector::StoreOp>(loc, v, write.getSource(), at);
      } else {
        Value x = rw.create<LLVM::ExtractValueOp>(loc, f, ArrayRef<int64_t>{i});
        rw.create<memref::StoreOp>(loc, x, write.getSource(), at);
      }
    }
    return success();
  }

  /// The matrix descriptor of a warpgroup operand (PTX ISA, "Matrix
  /// Descriptor Format"): start address (bits 0-13, in 16 bytes), leading
  /// dimension byte offset (16-29), stride dimension byte offset (32-45),
  /// swizzle mode (62-63; 1 = 128 bytes). K-major: 8-row groups 1024 bytes
  /// apart (the stride offset; the leading one is unused, 1 by convention).
  /// MN-major: the same stride between groups of 8 K rows, and 64-column
  /// panels R * 128 bytes apart (the leading offset).
  Value descriptor(Location loc, vector::TransferReadOp read, bool kMajor, int64_t mDimOfA) {
    const SwizzledLayout &l = layouts.find(read.getSource())->second;
    SmallVector<Value> at(read.getIndices());
    // A: the warpgroup's rows start 16 rows per warp before this warp's.
    if (mDimOfA >= 0) {
      MLIRContext *ctx = rw.getContext();
      AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
      at[mDimOfA] = rw.create<affine::AffineApplyOp>(loc, AffineMap::get(2, 0, d0 - d1 * 16, ctx),
                                                     ValueRange{at[mDimOfA], warpInGroup});
    }
    Value offset = l.unswizzledBytes(rw, loc, at);
    Value base = rw.create<memref::ExtractAlignedPointerAsIndexOp>(loc, read.getSource());
    Value address = rw.create<arith::AddIOp>(loc, base, offset);
    Type i64 = rw.getI64Type();
    auto constant = [&](int64_t v) { return rw.create<arith::ConstantIntOp>(loc, v, i64); };
    Value a = rw.create<arith::IndexCastUIOp>(loc, i64, address);
    a = rw.create<arith::ShRUIOp>(loc, rw.create<arith::AndIOp>(loc, a, constant(0x3FFFF)),
                                  constant(4));
    int64_t leading = kMajor ? 1 : (l.rows * 128) >> 4, stride = 1024 >> 4;
    int64_t fields = (leading << 16) | (stride << 32) | (int64_t(1) << 62);
    return rw.create<arith::OrIOp>(loc, a, constant(fields));
  }

  FailureOr<Value> contract(vector::ContractionOp c, Value acc) override {
    Location loc = c.getLoc();
    auto lhs = c.getLhs().getDefiningOp<vector::TransferReadOp>();
    auto rhs = c.getRhs().getDefiningOp<vector::TransferReadOp>();
    for (vector::TransferReadOp r : {lhs, rhs})
      if (!layouts.count(r.getSource()) || !r.getPermutationMap().isMinorIdentity())
        return c.emitError("wgmma lowering: an operand not read from a staged buffer");
    auto maps = c.getIndexingMapsArray();
    auto isReduction = [&](unsigned d) {
      return c.getIteratorTypesArray()[d] == vector::IteratorType::reduction;
    };
    // An operand is K-major when K is its contiguous (last) dim.
    bool aK = isReduction(maps[0].getDimPosition(1)), bK = isReduction(maps[1].getDimPosition(1));
    int64_t rankA = cast<MemRefType>(lhs.getSource().getType()).getRank();
    // A's M is the memref dim of its vector dim that is not K.
    int64_t mDim = aK ? rankA - 2 : rankA - 1;
    Value descA = descriptor(loc, lhs, aK, mDim);
    Value descB = descriptor(loc, rhs, bK, -1);
    MLIRContext *ctx = rw.getContext();
    auto type = bf16 ? NVVM::WGMMATypes::bf16 : NVVM::WGMMATypes::f16;
    // Layouts as the instruction names them: A row-major and B column-major
    // are K-major (imm-trans 0); the others transposed (MN-major).
    auto layoutA = aK ? NVVM::MMALayout::row : NVVM::MMALayout::col;
    auto layoutB = bK ? NVVM::MMALayout::col : NVVM::MMALayout::row;
    auto mma = rw.create<NVVM::WgmmaMmaAsyncOp>(
        loc, fragmentType, acc, descA, descB, NVVM::MMAShapeAttr::get(ctx, 64, n, 16), type, type,
        NVVM::WGMMATypes::f32, NVVM::WGMMAScaleOut::one, NVVM::WGMMAScaleIn::one,
        NVVM::WGMMAScaleIn::one, layoutA, layoutB, nullptr);
    return mma.getResult();
  }
};

/// Whether the run's instructions only pass their accumulators to each other
/// and, around the loop that holds them, to themselves: registers no other
/// instruction touches while a group is in flight.
bool carriedAlone(ArrayRef<NVVM::WgmmaMmaAsyncOp> run, scf::ForOp loop) {
  DenseSet<Operation *> inRun;
  for (NVVM::WgmmaMmaAsyncOp op : run)
    inRun.insert(op);
  for (NVVM::WgmmaMmaAsyncOp op : run) {
    Value acc = op.getInouts();
    auto arg = dyn_cast<BlockArgument>(acc);
    bool fromRun = acc.getDefiningOp() && inRun.contains(acc.getDefiningOp());
    bool fromLoop = arg && arg.getOwner() == loop.getBody() && arg.getArgNumber() > 0;
    if (!fromRun && !fromLoop)
      return false;
    for (Operation *user : op->getUsers())
      if (!inRun.contains(user) && !isa<scf::YieldOp>(user))
        return false;
  }
  return true;
}

/// Each run of warpgroup instructions in a block (a K block's steps, the
/// loop over them unrolled) fenced before (wgmma.fence: the accumulator
/// registers were written by other instructions) and waited for after
/// (commit, then wait for none in flight: the next K block's barrier may
/// let its buffer be overwritten, and the accumulators are read or carried
/// on). In a pipelined loop marked with N steps in flight (Pipeline.h),
/// whose accumulators only the run touches, the wait leaves the newest N
/// groups running (their buffers are not overwritten before N more steps)
/// and one wait for all follows the loop, before the accumulators are read.
void fenceWarpgroupRuns(RewriterBase &rw, gpu::GPUFuncOp func) {
  DenseMap<Block *, SmallVector<NVVM::WgmmaMmaAsyncOp>> runs;
  SmallVector<Block *> order;
  func.walk([&](NVVM::WgmmaMmaAsyncOp op) {
    auto &run = runs[op->getBlock()];
    if (run.empty())
      order.push_back(op->getBlock());
    run.push_back(op);
  });
  for (Block *b : order) {
    auto &run = runs[b];
    rw.setInsertionPoint(run.front());
    rw.create<NVVM::WgmmaFenceAlignedOp>(run.front().getLoc());
    rw.setInsertionPointAfter(run.back());
    rw.create<NVVM::WgmmaGroupSyncAlignedOp>(run.back().getLoc());
    auto loop = dyn_cast<scf::ForOp>(b->getParentOp());
    auto inFlight = loop ? loop->getAttrOfType<IntegerAttr>(kPipelineInFlightAttr) : nullptr;
    if (!inFlight || !carriedAlone(run, loop)) {
      rw.create<NVVM::WgmmaWaitGroupSyncOp>(run.back().getLoc(), 0);
      continue;
    }
    rw.create<NVVM::WgmmaWaitGroupSyncOp>(run.back().getLoc(), inFlight.getInt());
    rw.setInsertionPointAfter(loop);
    rw.create<NVVM::WgmmaWaitGroupSyncOp>(loop.getLoc(), 0);
  }
}

} // namespace

bool tilec::codegen::isWarpgroupMmaKernel(Operation *func) {
  return func->hasAttr(kWarpgroupMmaAttr);
}

LogicalResult tilec::codegen::convertWarpgroupContractions(gpu::GPUFuncOp func) {
  auto nAttr = func->getAttrOfType<IntegerAttr>(kWarpgroupMmaAttr);
  if (!nAttr)
    return func.emitError("wgmma lowering: the kernel is not marked for warpgroup tiles");
  int64_t n = nAttr.getInt();
  IRRewriter rw(func.getContext());
  // A K block's steps in straight-line code: one run of instructions on the
  // same accumulator registers.
  SmallVector<scf::ForOp> steps;
  func.walk([&](scf::ForOp loop) {
    bool direct = llvm::any_of(loop.getBody()->getOperations(), [](Operation &op) {
      auto c = dyn_cast<vector::ContractionOp>(op);
      return c && isWarpContraction(c);
    });
    if (direct && loop.getConstantStep() && getConstantIntValue(loop.getLowerBound()) &&
        getConstantIntValue(loop.getUpperBound()))
      steps.push_back(loop);
  });
  for (scf::ForOp loop : steps) {
    int64_t trips = (*getConstantIntValue(loop.getUpperBound()) -
                     *getConstantIntValue(loop.getLowerBound())) /
                    loop.getConstantStep()->getSExtValue();
    // By its trip count: the loop is replaced by its unrolled body.
    if (trips > 1 && failed(loopUnrollByFactor(loop, trips)))
      return loop.emitError("wgmma lowering: a K block's steps could not be unrolled");
  }
  // The staged operand buffers and their swizzled layout; their writes move.
  DenseMap<Value, SwizzledLayout> layouts;
  std::string why;
  WalkResult walk = func.walk([&](vector::ContractionOp c) {
    if (!isWarpContraction(c))
      return WalkResult::advance();
    for (Value operand : {c.getLhs(), c.getRhs()}) {
      auto read = operand.getDefiningOp<vector::TransferReadOp>();
      if (!read) {
        why = "an operand is not read from workgroup memory";
        return WalkResult::interrupt();
      }
      Value buffer = read.getSource();
      if (layouts.count(buffer))
        continue;
      std::optional<SwizzledLayout> layout = swizzledLayoutOf(buffer, why);
      if (!layout)
        return WalkResult::interrupt();
      layouts.try_emplace(buffer, *layout);
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return func.emitError("wgmma lowering: " + why);
  for (auto &[buffer, layout] : layouts)
    if (failed(swizzleWrites(rw, buffer, layout)))
      return failure();
  Block &entry = func.getBody().front();
  rw.setInsertionPointToStart(&entry);
  Location loc = func.getLoc();
  Value tid = rw.create<gpu::ThreadIdOp>(loc, gpu::Dimension::x);
  Value lane = rw.create<arith::RemUIOp>(loc, tid, rw.create<arith::ConstantIndexOp>(loc, 32));
  MLIRContext *ctx = func.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx);
  Value warpInGroup = rw.create<affine::AffineApplyOp>(
      loc, AffineMap::get(1, 0, d0.floorDiv(32) % 4, ctx), ValueRange{tid});
  WgmmaLowering lowering(rw, lane, warpInGroup, n, isBF16MmaKernel(func), layouts);
  if (failed(lowering.run(func)))
    return failure();
  fenceWarpgroupRuns(rw, func);
  // cp.async and ordinary stores write through the generic proxy; wgmma
  // reads through the async proxy. Each thread's writes are made visible to
  // the async proxy before the barrier that publishes them to the block.
  SmallVector<gpu::BarrierOp> barriers;
  func.walk([&](gpu::BarrierOp b) { barriers.push_back(b); });
  for (gpu::BarrierOp b : barriers) {
    rw.setInsertionPoint(b);
    rw.create<NVVM::FenceProxyOp>(b.getLoc(), NVVM::ProxyKind::async_shared,
                                  NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
  }
  return success();
}

