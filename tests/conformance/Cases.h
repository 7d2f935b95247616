//===- Cases.h - the conformance suite's graphs ------------------*- C++ -*-===//
//
// Each case is a small graph in MLIR text (func @main) whose shapes break
// tiling: 1, primes, tile +- 1, non-multiples of every tile size, stride /
// padding / dilation / group corners, depthwise, attention with a sequence
// length that is no multiple of anything, tensor-core tiles and ragged rows.
// ConformanceTest.cpp runs every case through the suites (CPU schedules,
// simt, GPU targets, --precision, tensor cores).
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_TESTS_CONFORMANCE_CASES_H
#define TILEC_TESTS_CONFORMANCE_CASES_H

namespace tilec::conformance {

struct Case {
  const char *name;
  const char *mlir; ///< a module with func @main
};

// clang-format off
inline const Case kCases[] = {
  {"matmul_1x1x1", R"(func.func @main(%a: tensor<1x1xf32>, %b: tensor<1x1xf32>) -> tensor<1x1xf32> {
     %r = tilec.matmul %a, %b : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
     return %r : tensor<1x1xf32> })"},
  {"matmul_primes", R"(func.func @main(%a: tensor<7x13xf32>, %b: tensor<13x5xf32>) -> tensor<7x5xf32> {
     %r = tilec.matmul %a, %b : (tensor<7x13xf32>, tensor<13x5xf32>) -> tensor<7x5xf32>
     return %r : tensor<7x5xf32> })"},
  {"matmul_tile_plus_1", R"(func.func @main(%a: tensor<17x33xf32>, %b: tensor<33x65xf32>) -> tensor<17x65xf32> {
     %r = tilec.matmul %a, %b : (tensor<17x33xf32>, tensor<33x65xf32>) -> tensor<17x65xf32>
     return %r : tensor<17x65xf32> })"},
  {"matmul_128", R"(func.func @main(%a: tensor<128x96xf32>, %b: tensor<96x128xf32>) -> tensor<128x128xf32> {
     %r = tilec.matmul %a, %b : (tensor<128x96xf32>, tensor<96x128xf32>) -> tensor<128x128xf32>
     return %r : tensor<128x128xf32> })"},
  {"matmul_long_k", R"(func.func @main(%a: tensor<9x1024xf32>, %b: tensor<1024x40xf32>) -> tensor<9x40xf32> {
     %r = tilec.matmul %a, %b : (tensor<9x1024xf32>, tensor<1024x40xf32>) -> tensor<9x40xf32>
     return %r : tensor<9x40xf32> })"},
  // Enough rows per workgroup that B's 16-wide column panels are copied
  // contiguous (ApplySchedule's copyColumnPanels), with a remainder panel of 8.
  {"matmul_copied_panels", R"(func.func @main(%a: tensor<53x300xf32>, %b: tensor<300x200xf32>) -> tensor<53x200xf32> {
     %r = tilec.matmul %a, %b : (tensor<53x300xf32>, tensor<300x200xf32>) -> tensor<53x200xf32>
     return %r : tensor<53x200xf32> })"},
  {"matmul_batched_broadcast", R"(func.func @main(%a: tensor<3x1x5x7xf32>, %b: tensor<4x7x6xf32>) -> tensor<3x4x5x6xf32> {
     %r = tilec.matmul %a, %b : (tensor<3x1x5x7xf32>, tensor<4x7x6xf32>) -> tensor<3x4x5x6xf32>
     return %r : tensor<3x4x5x6xf32> })"},
  // Tensor-core shapes (rows a multiple of 16, columns of 8, K of 16): with
  // --precision bf16/fp16 their GPU defaults are warp tiles on mma.sync.
  {"matmul_tensor_core_tiles", R"(func.func @main(%a: tensor<64x96xf32>, %b: tensor<96x80xf32>) -> tensor<64x80xf32> {
     %r = tilec.matmul %a, %b : (tensor<64x96xf32>, tensor<96x80xf32>) -> tensor<64x80xf32>
     return %r : tensor<64x80xf32> })"},
  // Room for 128x128 blocks of 64x64 warp tiles (the large-GEMM default).
  {"matmul_tensor_core_large_tiles", R"(func.func @main(%a: tensor<128x96xf32>, %b: tensor<96x256xf32>) -> tensor<128x256xf32> {
     %r = tilec.matmul %a, %b : (tensor<128x96xf32>, tensor<96x256xf32>) -> tensor<128x256xf32>
     return %r : tensor<128x256xf32> })"},
  // Two epilogue ops (bias, then relu) after a tensor-core GEMM: one fused op
  // reading the block's accumulators (an intermediate between them once sent
  // the kernel to one thread, its mma.sync on one lane: wrong on an H200).
  // Rows in 64s but not 128s, columns in 256s: the large-tile variant's
  // 64x256 blocks of 64x64 warp tiles (ViT-B/16's token products at batch 64).
  {"matmul_tensor_core_wide_tiles", R"(func.func @main(%a: tensor<192x64xf32>, %b: tensor<64x256xf32>) -> tensor<192x256xf32> {
     %r = tilec.matmul %a, %b : (tensor<192x64xf32>, tensor<64x256xf32>) -> tensor<192x256xf32>
     return %r : tensor<192x256xf32> })"},
  {"matmul_tensor_core_bias_relu", R"(func.func @main(%a: tensor<64x96xf32>, %b: tensor<96x80xf32>, %c: tensor<80xf32>) -> tensor<64x80xf32> {
     %r = tilec.matmul %a, %b : (tensor<64x96xf32>, tensor<96x80xf32>) -> tensor<64x80xf32>
     %s = tilec.add %r, %c : (tensor<64x80xf32>, tensor<80xf32>) -> tensor<64x80xf32>
     %t = tilec.relu %s : tensor<64x80xf32>
     return %t : tensor<64x80xf32> })"},
  {"linear_tensor_core_gelu", R"(func.func @main(%x: tensor<2x32x48xf32>, %w: tensor<40x48xf32>, %b: tensor<40xf32>) -> tensor<2x32x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<2x32x48xf32>, tensor<40x48xf32>, tensor<40xf32>) -> tensor<2x32x40xf32>
     %r = tilec.gelu %y : tensor<2x32x40xf32>
     return %r : tensor<2x32x40xf32> })"},
  // 37 rows: padded to 48 (tilec-pad-rows) for whole 16-row tiles, sliced back.
  {"linear_tensor_core_ragged_rows", R"(func.func @main(%x: tensor<37x64xf32>, %w: tensor<40x64xf32>, %b: tensor<40xf32>) -> tensor<37x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<37x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<37x40xf32>
     %r = tilec.relu %y : tensor<37x40xf32>
     return %r : tensor<37x40xf32> })"},
  // Token batches sharing a weight: one GEMM over 3 x 13 = 39 rows (padded
  // to 48, sliced back), the residual add and relu on the matrix before the
  // reshape back (tilec-pad-rows).
  {"linear_tensor_core_token_batch", R"(func.func @main(%x: tensor<3x13x64xf32>, %w: tensor<40x64xf32>, %b: tensor<40xf32>, %r: tensor<3x13x40xf32>) -> tensor<3x13x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<3x13x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<3x13x40xf32>
     %a = tilec.add %y, %r : (tensor<3x13x40xf32>, tensor<3x13x40xf32>) -> tensor<3x13x40xf32>
     %o = tilec.relu %a : tensor<3x13x40xf32>
     return %o : tensor<3x13x40xf32> })"},
  // Convolutions as GEMMs on tensor cores (tilec-convs-as-gemms): a padded
  // 3x3 stride-2 convolution through tilec.im2col (100 output pixels: rows
  // padded to 112), and a 1x1 one through a reshape of its input.
  {"conv_tensor_core_im2col", R"(func.func @main(%x: tensor<1x16x20x20xf32>, %w: tensor<32x16x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x20x20xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x10x10xf32>
     %r = tilec.relu %y : tensor<1x32x10x10xf32>
     return %r : tensor<1x32x10x10xf32> })"},
  // Implicit GEMM (the windows read from the input per K block): two
  // images (the window's image index), dilation 2 with padding 2 (zero runs
  // on every side), 200 pixels padded to 208 rows (rows past the windows
  // are zero), K = 288 in several staged blocks of one tap's channels.
  {"conv_tensor_core_implicit_gemm", R"(func.func @main(%x: tensor<2x32x10x10xf32>, %w: tensor<32x32x3x3xf32>, %b: tensor<32xf32>) -> tensor<2x32x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {dilations = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>} : (tensor<2x32x10x10xf32>, tensor<32x32x3x3xf32>, tensor<32xf32>) -> tensor<2x32x10x10xf32>
     return %y : tensor<2x32x10x10xf32> })"},
  {"conv_tensor_core_1x1", R"(func.func @main(%x: tensor<2x32x8x8xf32>, %w: tensor<48x32x1x1xf32>) -> tensor<2x48x8x8xf32> {
     %y = tilec.conv2d %x, %w : (tensor<2x32x8x8xf32>, tensor<48x32x1x1xf32>) -> tensor<2x48x8x8xf32>
     return %y : tensor<2x48x8x8xf32> })"},
  // K padded to whole tensor-core steps: a 7x7 stride-2 stem over 3
  // channels (K = 147: windows of 160 columns written out, the filter
  // matrix padded by 13 zero rows), and a 1x1 convolution over 24
  // channels (K = 32: the padded windows read from the input).
  {"conv_tensor_core_stem", R"(func.func @main(%x: tensor<1x3x20x20xf32>, %w: tensor<16x3x7x7xf32>, %b: tensor<16xf32>) -> tensor<1x16x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x3x20x20xf32>, tensor<16x3x7x7xf32>, tensor<16xf32>) -> tensor<1x16x10x10xf32>
     %r = tilec.relu %y : tensor<1x16x10x10xf32>
     return %r : tensor<1x16x10x10xf32> })"},
  {"conv_tensor_core_1x1_k24", R"(func.func @main(%x: tensor<2x24x8x8xf32>, %w: tensor<32x24x1x1xf32>) -> tensor<2x32x8x8xf32> {
     %y = tilec.conv2d %x, %w : (tensor<2x24x8x8xf32>, tensor<32x24x1x1xf32>) -> tensor<2x32x8x8xf32>
     return %y : tensor<2x32x8x8xf32> })"},
  // Warpgroup tiles (wgmma on sm_90: 64-row strips of 4 warps, operands in
  // 128-byte swizzled workgroup memory): B stored [K, N] (N-major) over
  // three K blocks of 64; a linear layer's weight [N, K] (K-major B) with
  // the bias and GELU read back from workgroup memory; an implicit-GEMM
  // convolution whose windows are written by vector stores.
  {"matmul_tensor_core_warpgroups", R"(func.func @main(%a: tensor<128x192xf32>, %b: tensor<192x128xf32>) -> tensor<128x128xf32> {
     %r = tilec.matmul %a, %b : (tensor<128x192xf32>, tensor<192x128xf32>) -> tensor<128x128xf32>
     return %r : tensor<128x128xf32> })"},
  {"linear_tensor_core_warpgroups_gelu", R"(func.func @main(%x: tensor<2x64x128xf32>, %w: tensor<64x128xf32>, %b: tensor<64xf32>) -> tensor<2x64x64xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<2x64x128xf32>, tensor<64x128xf32>, tensor<64xf32>) -> tensor<2x64x64xf32>
     %r = tilec.gelu %y : tensor<2x64x64xf32>
     return %r : tensor<2x64x64xf32> })"},
  {"conv_tensor_core_warpgroups", R"(func.func @main(%x: tensor<2x64x8x8xf32>, %w: tensor<64x64x3x3xf32>) -> tensor<2x64x8x8xf32> {
     %y = tilec.conv2d %x, %w {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x64x8x8xf32>, tensor<64x64x3x3xf32>) -> tensor<2x64x8x8xf32>
     return %y : tensor<2x64x8x8xf32> })"},
  {"matmul_batched_tensor_core", R"(func.func @main(%a: tensor<3x16x32xf32>, %b: tensor<3x32x24xf32>) -> tensor<3x16x24xf32> {
     %r = tilec.matmul %a, %b : (tensor<3x16x32xf32>, tensor<3x32x24xf32>) -> tensor<3x16x24xf32>
     return %r : tensor<3x16x24xf32> })"},
  // A constant weight read through a reshape (a view): the view once got
  // arena offset 0 instead of the weight's buffer (tilec-convs-as-gemms
  // reshapes HWIO weights so; ResNet-18 in bf16 on tensor cores gave NaN).
  {"matmul_reshaped_constant_weight", R"(func.func @main(%a: tensor<5x6xf32>) -> tensor<5x4xf32> {
     %w = tilec.constant dense<[[[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [-2.0, 0.5, 1.0, -1.5]], [[1.0, 2.0, -0.25, 0.5], [-0.75, 1.25, 0.5, -1.0], [0.25, -0.5, 1.5, 2.0]]]> : tensor<2x3x4xf32>
     %k = tilec.reshape %w {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
     %r = tilec.matmul %a, %k : (tensor<5x6xf32>, tensor<6x4xf32>) -> tensor<5x4xf32>
     return %r : tensor<5x4xf32> })"},
  // A model whose inputs and one output are bf16 (the runtime takes them as
  // 16-bit buffers): a product of bf16 operands, a rounding of an f32 input.
  {"bf16_model_io", R"(func.func @main(%a: tensor<5x9xbf16>, %b: tensor<9x6xbf16>, %x: tensor<4x7xf32>) -> (tensor<5x6xf32>, tensor<4x7xbf16>) {
     %m = tilec.matmul %a, %b : (tensor<5x9xbf16>, tensor<9x6xbf16>) -> tensor<5x6xf32>
     %r = tilec.relu %x : tensor<4x7xf32>
     %h = tilec.convert %r : tensor<4x7xf32> -> tensor<4x7xbf16>
     return %m, %h : tensor<5x6xf32>, tensor<4x7xbf16> })"},
  {"linear_bias_relu", R"(func.func @main(%x: tensor<3x31xf32>, %w: tensor<23x31xf32>, %b: tensor<23xf32>) -> tensor<3x23xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<3x31xf32>, tensor<23x31xf32>, tensor<23xf32>) -> tensor<3x23xf32>
     %r = tilec.relu %y : tensor<3x23xf32>
     return %r : tensor<3x23xf32> })"},
  {"linear_3d_gelu", R"(func.func @main(%x: tensor<2x9x16xf32>, %w: tensor<40x16xf32>, %b: tensor<40xf32>) -> tensor<2x9x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<2x9x16xf32>, tensor<40x16xf32>, tensor<40xf32>) -> tensor<2x9x40xf32>
     %r = tilec.gelu %y : tensor<2x9x40xf32>
     return %r : tensor<2x9x40xf32> })"},
  {"conv_1x1", R"(func.func @main(%x: tensor<1x16x9x9xf32>, %w: tensor<24x16x1x1xf32>, %b: tensor<24xf32>) -> tensor<1x24x9x9xf32> {
     %y = tilec.conv2d %x, %w, %b : (tensor<1x16x9x9xf32>, tensor<24x16x1x1xf32>, tensor<24xf32>) -> tensor<1x24x9x9xf32>
     return %y : tensor<1x24x9x9xf32> })"},
  // Rows of whole vectors (16 wide): in NCHW the default schedule computes
  // this 1x1 convolution as a GEMM generic (conv=gemm).
  {"conv_1x1_gemm", R"(func.func @main(%x: tensor<1x16x3x16xf32>, %w: tensor<24x16x1x1xf32>, %b: tensor<24xf32>) -> tensor<1x24x3x16xf32> {
     %y = tilec.conv2d %x, %w, %b : (tensor<1x16x3x16xf32>, tensor<24x16x1x1xf32>, tensor<24xf32>) -> tensor<1x24x3x16xf32>
     %r = tilec.relu %y : tensor<1x24x3x16xf32>
     return %r : tensor<1x24x3x16xf32> })"},
  // >= 512 filters: the HWIO filter panels are copied (520 = 32 x 16 + 8).
  {"conv_1x1_stride2_many_filters", R"(func.func @main(%x: tensor<1x24x20x20xf32>, %w: tensor<520x24x1x1xf32>, %b: tensor<520xf32>) -> tensor<1x520x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>} : (tensor<1x24x20x20xf32>, tensor<520x24x1x1xf32>, tensor<520xf32>) -> tensor<1x520x10x10xf32>
     return %y : tensor<1x520x10x10xf32> })"},
  {"conv_3x3_pad_relu_residual", R"(func.func @main(%x: tensor<2x8x11x13xf32>, %w: tensor<12x8x3x3xf32>, %b: tensor<12xf32>, %s: tensor<2x12x11x13xf32>) -> tensor<2x12x11x13xf32> {
     %y = tilec.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x11x13xf32>, tensor<12x8x3x3xf32>, tensor<12xf32>) -> tensor<2x12x11x13xf32>
     %a = tilec.add %y, %s : (tensor<2x12x11x13xf32>, tensor<2x12x11x13xf32>) -> tensor<2x12x11x13xf32>
     %r = tilec.relu %a : tensor<2x12x11x13xf32>
     return %r : tensor<2x12x11x13xf32> })"},
  {"conv_7x7_stride2", R"(func.func @main(%x: tensor<1x3x23x23xf32>, %w: tensor<8x3x7x7xf32>) -> tensor<1x8x12x12xf32> {
     %y = tilec.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x3x23x23xf32>, tensor<8x3x7x7xf32>) -> tensor<1x8x12x12xf32>
     return %y : tensor<1x8x12x12xf32> })"},
  {"conv_dilated_asymmetric_pad", R"(func.func @main(%x: tensor<1x5x10x9xf32>, %w: tensor<7x5x3x3xf32>) -> tensor<1x7x8x9xf32> {
     %y = tilec.conv2d %x, %w {dilations = array<i64: 2, 2>, padding = array<i64: 1, 2, 1, 2>} : (tensor<1x5x10x9xf32>, tensor<7x5x3x3xf32>) -> tensor<1x7x8x9xf32>
     return %y : tensor<1x7x8x9xf32> })"},
  {"conv_depthwise_s1", R"(func.func @main(%x: tensor<1x17x10x10xf32>, %w: tensor<17x1x3x3xf32>, %b: tensor<17xf32>) -> tensor<1x17x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {groups = 17 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x17x10x10xf32>, tensor<17x1x3x3xf32>, tensor<17xf32>) -> tensor<1x17x10x10xf32>
     %r = tilec.clip %y {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x17x10x10xf32>
     return %r : tensor<1x17x10x10xf32> })"},
  {"conv_depthwise_5x5_s2", R"(func.func @main(%x: tensor<1x6x15x15xf32>, %w: tensor<6x1x5x5xf32>) -> tensor<1x6x8x8xf32> {
     %y = tilec.conv2d %x, %w {groups = 6 : i64, strides = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>} : (tensor<1x6x15x15xf32>, tensor<6x1x5x5xf32>) -> tensor<1x6x8x8xf32>
     return %y : tensor<1x6x8x8xf32> })"},
  // Channels in 4s: GPU targets give each thread 4 channels of a pixel
  // (16-byte vector reads), padded windows and strides included.
  {"conv_depthwise_channels_of_4", R"(func.func @main(%x: tensor<1x8x10x10xf32>, %w: tensor<8x1x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x5x5xf32> {
     %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, groups = 8} : (tensor<1x8x10x10xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x5x5xf32>
     %r = tilec.relu %y : tensor<1x8x5x5xf32>
     return %r : tensor<1x8x5x5xf32> })"},
  {"max_pool_channels_of_4", R"(func.func @main(%x: tensor<1x12x9x9xf32>) -> tensor<1x12x5x5xf32> {
     %y = tilec.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x12x9x9xf32>) -> tensor<1x12x5x5xf32>
     return %y : tensor<1x12x5x5xf32> })"},
  // ResNet's stem: a 7x7 stride-2 convolution over 3 channels, relu, a 3x3
  // stride-2 max pool, the next convolution. In 16 bits the pool reads and
  // writes the rounded values (tilec-set-precision) and on tensor-core
  // targets the stem is a GEMM over K = 147 padded to 160.
  {"stem_conv_max_pool", R"(func.func @main(%x: tensor<1x3x24x24xf32>, %w: tensor<16x3x7x7xf32>, %b: tensor<16xf32>, %w2: tensor<16x16x1x1xf32>) -> tensor<1x16x6x6xf32> {
     %c = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x3x24x24xf32>, tensor<16x3x7x7xf32>, tensor<16xf32>) -> tensor<1x16x12x12xf32>
     %r = tilec.relu %c : tensor<1x16x12x12xf32>
     %p = tilec.max_pool2d %r {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x12x12xf32>) -> tensor<1x16x6x6xf32>
     %y = tilec.conv2d %p, %w2 : (tensor<1x16x6x6xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x6x6xf32>
     return %y : tensor<1x16x6x6xf32> })"},
  {"conv_grouped", R"(func.func @main(%x: tensor<1x8x6x6xf32>, %w: tensor<12x4x3x3xf32>) -> tensor<1x12x4x4xf32> {
     %y = tilec.conv2d %x, %w {groups = 2 : i64} : (tensor<1x8x6x6xf32>, tensor<12x4x3x3xf32>) -> tensor<1x12x4x4xf32>
     return %y : tensor<1x12x4x4xf32> })"},
  {"max_pool_ceil", R"(func.func @main(%x: tensor<1x3x10x10xf32>) -> tensor<1x3x5x5xf32> {
     %y = tilec.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x3x10x10xf32>) -> tensor<1x3x5x5xf32>
     return %y : tensor<1x3x5x5xf32> })"},
  {"max_pool_pad", R"(func.func @main(%x: tensor<1x4x9x9xf32>) -> tensor<1x4x5x5xf32> {
     %y = tilec.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x4x9x9xf32>) -> tensor<1x4x5x5xf32>
     return %y : tensor<1x4x5x5xf32> })"},
  {"avg_pool_exclude_pad", R"(func.func @main(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32> {
     %y = tilec.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, count_include_pad = false} : (tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32>
     return %y : tensor<1x2x4x4xf32> })"},
  {"adaptive_pool_overlapping", R"(func.func @main(%x: tensor<1x3x7x5xf32>) -> tensor<1x3x3x2xf32> {
     %y = tilec.adaptive_avg_pool2d %x {output_size = array<i64: 3, 2>} : (tensor<1x3x7x5xf32>) -> tensor<1x3x3x2xf32>
     return %y : tensor<1x3x3x2xf32> })"},
  {"global_pool_flatten_linear", R"(func.func @main(%x: tensor<2x13x5x5xf32>, %w: tensor<10x13xf32>, %b: tensor<10xf32>) -> tensor<2x10xf32> {
     %p = tilec.global_avg_pool %x : (tensor<2x13x5x5xf32>) -> tensor<2x13x1x1xf32>
     %f = tilec.flatten %p : (tensor<2x13x1x1xf32>) -> tensor<2x13xf32>
     %y = tilec.linear %f, %w, %b : (tensor<2x13xf32>, tensor<10x13xf32>, tensor<10xf32>) -> tensor<2x10xf32>
     return %y : tensor<2x10xf32> })"},
  {"softmax_1000", R"(func.func @main(%x: tensor<2x1000xf32>) -> tensor<2x1000xf32> {
     %y = tilec.softmax %x : tensor<2x1000xf32>
     return %y : tensor<2x1000xf32> })"},
  {"softmax_axis1", R"(func.func @main(%x: tensor<2x5x3x3xf32>) -> tensor<2x5x3x3xf32> {
     %y = tilec.softmax %x {axis = 1 : i64} : tensor<2x5x3x3xf32>
     return %y : tensor<2x5x3x3xf32> })"},
  // Rows long enough that a GPU block of one row splits each of its
  // reductions among 32 threads (partial sums, then one thread combining).
  {"layer_norm_long_rows", R"(func.func @main(%x: tensor<1x3x384xf32>, %g: tensor<384xf32>, %b: tensor<384xf32>) -> tensor<1x3x384xf32> {
     %y = tilec.layer_norm %x, %g, %b : (tensor<1x3x384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<1x3x384xf32>
     return %y : tensor<1x3x384xf32> })"},
  {"layer_norm", R"(func.func @main(%x: tensor<1x7x48xf32>, %g: tensor<48xf32>, %b: tensor<48xf32>) -> tensor<1x7x48xf32> {
     %y = tilec.layer_norm %x, %g, %b : (tensor<1x7x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<1x7x48xf32>
     return %y : tensor<1x7x48xf32> })"},
  {"attention_odd_sequence", R"(func.func @main(%q: tensor<1x3x13x16xf32>, %k: tensor<1x3x13x16xf32>, %v: tensor<1x3x13x16xf32>) -> tensor<1x3x13x16xf32> {
     %y = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x3x13x16xf32>, tensor<1x3x13x16xf32>, tensor<1x3x13x16xf32>) -> tensor<1x3x13x16xf32>
     return %y : tensor<1x3x13x16xf32> })"},
  // Streamed over key blocks of 64 (OnlineAttention.cpp): two whole blocks and
  // a peeled one of 22 keys, fewer queries than keys, a value dim != head dim.
  {"attention_key_blocks", R"(func.func @main(%q: tensor<2x3x70x16xf32>, %k: tensor<2x3x150x16xf32>, %v: tensor<2x3x150x24xf32>) -> tensor<2x3x70x24xf32> {
     %y = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<2x3x70x16xf32>, tensor<2x3x150x16xf32>, tensor<2x3x150x24xf32>) -> tensor<2x3x70x24xf32>
     return %y : tensor<2x3x70x24xf32> })"},
  // GPU targets with few blocks split each query row's keys among threads
  // and merge their states (OnlineAttention.cpp): 48 rows in blocks of 16
  // (6 blocks), 8 threads per row of 19 keys each and the last of 17;
  // large scores (scale 1.5) make the merge's rescaling matter.
  {"attention_split_keys", R"(func.func @main(%q: tensor<1x2x48x16xf32>, %k: tensor<1x2x150x16xf32>, %v: tensor<1x2x150x8xf32>) -> tensor<1x2x48x8xf32> {
     %y = tilec.attention %q, %k, %v {scale = 1.5 : f64} : (tensor<1x2x48x16xf32>, tensor<1x2x150x16xf32>, tensor<1x2x150x8xf32>) -> tensor<1x2x48x8xf32>
     return %y : tensor<1x2x48x8xf32> })"},
  // Exactly two key blocks; large scores (scale 2) test the running max.
  {"attention_whole_key_blocks", R"(func.func @main(%q: tensor<1x2x33x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>) -> tensor<1x2x33x8xf32> {
     %y = tilec.attention %q, %k, %v {scale = 2.0 : f64} : (tensor<1x2x33x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>) -> tensor<1x2x33x8xf32>
     return %y : tensor<1x2x33x8xf32> })"},
  // Tensor-core attention (WarpAttention.h; tests/conformance/WarpAttentionTest.cpp
  // runs them in 16 bits): ViT's 197 tokens (queries padded to 208, three
  // key blocks of 64 and a last one of 5 keys, masked in a block of 16).
  {"attention_warps_vit_tokens", R"(func.func @main(%q: tensor<1x2x197x64xf32>, %k: tensor<1x2x197x64xf32>, %v: tensor<1x2x197x64xf32>) -> tensor<1x2x197x64xf32> {
     %y = tilec.attention %q, %k, %v {scale = 0.125 : f64} : (tensor<1x2x197x64xf32>, tensor<1x2x197x64xf32>, tensor<1x2x197x64xf32>) -> tensor<1x2x197x64xf32>
     return %y : tensor<1x2x197x64xf32> })"},
  // Fewer keys than one block (24, masked in a block of 32), value columns
  // (16) fewer than the head size (32), two images; large scores.
  {"attention_warps_short_keys", R"(func.func @main(%q: tensor<2x3x32x32xf32>, %k: tensor<2x3x24x32xf32>, %v: tensor<2x3x24x16xf32>) -> tensor<2x3x32x16xf32> {
     %y = tilec.attention %q, %k, %v {scale = 1.5 : f64} : (tensor<2x3x32x32xf32>, tensor<2x3x24x32xf32>, tensor<2x3x24x16xf32>) -> tensor<2x3x32x16xf32>
     return %y : tensor<2x3x32x16xf32> })"},
  // Keys in exactly two blocks (the last one whole, unmasked), a head size
  // of 16 and 32 value columns.
  {"attention_warps_whole_blocks", R"(func.func @main(%q: tensor<1x2x64x16xf32>, %k: tensor<1x2x128x16xf32>, %v: tensor<1x2x128x32xf32>) -> tensor<1x2x64x32xf32> {
     %y = tilec.attention %q, %k, %v {scale = 0.5 : f64} : (tensor<1x2x64x16xf32>, tensor<1x2x128x16xf32>, tensor<1x2x128x32xf32>) -> tensor<1x2x64x32xf32>
     return %y : tensor<1x2x64x32xf32> })"},
  {"elementwise_broadcast_chain", R"(func.func @main(%x: tensor<2x3x4x5xf32>, %y: tensor<3x1x5xf32>) -> tensor<2x3x4x5xf32> {
     %a = tilec.mul %x, %y : (tensor<2x3x4x5xf32>, tensor<3x1x5xf32>) -> tensor<2x3x4x5xf32>
     %s = tilec.sigmoid %a : tensor<2x3x4x5xf32>
     %h = tilec.hardswish %s : tensor<2x3x4x5xf32>
     %t = tilec.tanh %h : tensor<2x3x4x5xf32>
     %e = tilec.silu %t : tensor<2x3x4x5xf32>
     return %e : tensor<2x3x4x5xf32> })"},
  {"concat_transpose_slice", R"(func.func @main(%x: tensor<1x3x4x4xf32>, %y: tensor<1x5x4x4xf32>) -> tensor<1x4x4x4xf32> {
     %c = tilec.concat %x, %y {axis = 1 : i64} : (tensor<1x3x4x4xf32>, tensor<1x5x4x4xf32>) -> tensor<1x8x4x4xf32>
     %t = tilec.transpose %c {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
     %s = tilec.slice %t {axes = array<i64: 1>, starts = array<i64: 1>, ends = array<i64: 8>, steps = array<i64: 2>} : (tensor<1x8x4x4xf32>) -> tensor<1x4x4x4xf32>
     return %s : tensor<1x4x4x4xf32> })"},
  // A kernel whose result is a view of its input (ViT's QKV split): on GPU
  // targets a copy split into blocks and threads.
  {"slice_last_axis", R"(func.func @main(%x: tensor<1x7x24xf32>) -> tensor<1x7x8xf32> {
     %s = tilec.slice %x {axes = array<i64: 2>, starts = array<i64: 8>, ends = array<i64: 16>, steps = array<i64: 1>} : (tensor<1x7x24xf32>) -> tensor<1x7x8xf32>
     return %s : tensor<1x7x8xf32> })"},
  // A ViT attention block's data movement: one QKV projection sliced into
  // Q, K and V, split into 2 heads and transposed; the heads' outputs
  // transposed back into the output projection (13 tokens). Under
  // --precision the projection is rounded once and the slices and
  // transposes move 16-bit values (tilec-set-precision).
  {"attention_heads_qkv", R"(func.func @main(%x: tensor<1x13x32xf32>, %w: tensor<32x96xf32>, %wo: tensor<32x32xf32>) -> tensor<1x13x32xf32> {
     %p = tilec.matmul %x, %w : (tensor<1x13x32xf32>, tensor<32x96xf32>) -> tensor<1x13x96xf32>
     %s0 = tilec.slice %p {axes = array<i64: 2>, starts = array<i64: 0>, ends = array<i64: 32>, steps = array<i64: 1>} : (tensor<1x13x96xf32>) -> tensor<1x13x32xf32>
     %s1 = tilec.slice %p {axes = array<i64: 2>, starts = array<i64: 32>, ends = array<i64: 64>, steps = array<i64: 1>} : (tensor<1x13x96xf32>) -> tensor<1x13x32xf32>
     %s2 = tilec.slice %p {axes = array<i64: 2>, starts = array<i64: 64>, ends = array<i64: 96>, steps = array<i64: 1>} : (tensor<1x13x96xf32>) -> tensor<1x13x32xf32>
     %r0 = tilec.reshape %s0 {shape = array<i64: 1, 13, 2, 16>} : (tensor<1x13x32xf32>) -> tensor<1x13x2x16xf32>
     %r1 = tilec.reshape %s1 {shape = array<i64: 1, 13, 2, 16>} : (tensor<1x13x32xf32>) -> tensor<1x13x2x16xf32>
     %r2 = tilec.reshape %s2 {shape = array<i64: 1, 13, 2, 16>} : (tensor<1x13x32xf32>) -> tensor<1x13x2x16xf32>
     %q = tilec.transpose %r0 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x13x2x16xf32>) -> tensor<1x2x13x16xf32>
     %k = tilec.transpose %r1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x13x2x16xf32>) -> tensor<1x2x13x16xf32>
     %v = tilec.transpose %r2 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x13x2x16xf32>) -> tensor<1x2x13x16xf32>
     %a = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32>, tensor<1x2x13x16xf32>) -> tensor<1x2x13x16xf32>
     %t = tilec.transpose %a {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x2x13x16xf32>) -> tensor<1x13x2x16xf32>
     %o = tilec.reshape %t {shape = array<i64: 1, 13, 32>} : (tensor<1x13x2x16xf32>) -> tensor<1x13x32xf32>
     %y = tilec.matmul %o, %wo : (tensor<1x13x32xf32>, tensor<32x32xf32>) -> tensor<1x13x32xf32>
     return %y : tensor<1x13x32xf32> })"},
  // A concatenation kernel (ViT's class token before the patches): on GPU
  // targets an elementwise gather split into blocks and threads.
  {"concat_tokens", R"(func.func @main(%c: tensor<1x1x8xf32>, %p: tensor<1x5x8xf32>, %q: tensor<1x2x8xf32>) -> tensor<1x8x8xf32> {
     %t = tilec.concat %c, %p, %q {axis = 1 : i64} : (tensor<1x1x8xf32>, tensor<1x5x8xf32>, tensor<1x2x8xf32>) -> tensor<1x8x8xf32>
     return %t : tensor<1x8x8xf32> })"},
  // A squeeze-excite block (EfficientNet, MobileNet v3): a global pool whose
  // kernel is one workgroup; on GPU targets its ops run as thread loops in
  // turn, intermediates in workgroup memory.
  {"squeeze_excite", R"(func.func @main(%x: tensor<1x16x6x6xf32>, %w1: tensor<4x16x1x1xf32>, %b1: tensor<4xf32>, %w2: tensor<16x4x1x1xf32>, %b2: tensor<16xf32>) -> tensor<1x16x6x6xf32> {
     %p = tilec.global_avg_pool %x : (tensor<1x16x6x6xf32>) -> tensor<1x16x1x1xf32>
     %c1 = tilec.conv2d %p, %w1, %b1 : (tensor<1x16x1x1xf32>, tensor<4x16x1x1xf32>, tensor<4xf32>) -> tensor<1x4x1x1xf32>
     %r = tilec.relu %c1 : tensor<1x4x1x1xf32>
     %c2 = tilec.conv2d %r, %w2, %b2 : (tensor<1x4x1x1xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x1x1xf32>
     %s = tilec.sigmoid %c2 : tensor<1x16x1x1xf32>
     %y = tilec.mul %x, %s : (tensor<1x16x6x6xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x6x6xf32>
     return %y : tensor<1x16x6x6xf32> })"},
  // Over 24x20 positions (at least 256): GPU targets pool channels-last
  // inputs as row means, then their mean (tilec-split-pools), H != W, two
  // images; the gating product is then a kernel of its own.
  {"squeeze_excite_large", R"(func.func @main(%x: tensor<2x16x24x20xf32>, %w1: tensor<4x16x1x1xf32>, %b1: tensor<4xf32>, %w2: tensor<16x4x1x1xf32>, %b2: tensor<16xf32>) -> tensor<2x16x24x20xf32> {
     %p = tilec.global_avg_pool %x : (tensor<2x16x24x20xf32>) -> tensor<2x16x1x1xf32>
     %c1 = tilec.conv2d %p, %w1, %b1 : (tensor<2x16x1x1xf32>, tensor<4x16x1x1xf32>, tensor<4xf32>) -> tensor<2x4x1x1xf32>
     %r = tilec.relu %c1 : tensor<2x4x1x1xf32>
     %c2 = tilec.conv2d %r, %w2, %b2 : (tensor<2x4x1x1xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<2x16x1x1xf32>
     %s = tilec.sigmoid %c2 : tensor<2x16x1x1xf32>
     %y = tilec.mul %x, %s : (tensor<2x16x24x20xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x24x20xf32>
     return %y : tensor<2x16x24x20xf32> })"},
  {"pad_reduce_mean", R"(func.func @main(%x: tensor<2x3x5xf32>) -> tensor<2x1x7xf32> {
     %p = tilec.pad %x {pads = array<i64: 0, 1, 1, 0, 2, 1>, value = 0.5 : f64} : (tensor<2x3x5xf32>) -> tensor<2x6x7xf32>
     %m = tilec.reduce_mean %p {axes = array<i64: 1>} : (tensor<2x6x7xf32>) -> tensor<2x1x7xf32>
     return %m : tensor<2x1x7xf32> })"},
};
// clang-format on

} // namespace tilec::conformance

#endif // TILEC_TESTS_CONFORMANCE_CASES_H
