//===- ConformanceTest.cpp - every kernel kind against the reference ------===//
//
// One harness (in the spirit of ggml's test-backend-ops): each case is a small
// graph in MLIR text; it goes through the graph pipeline, is compiled for the
// host CPU under several schedules (the default, one workgroup, no explicit
// vectorization, small odd tiles), run through the runtime's C API on random
// inputs, and compared with the reference interpreter (max |diff| / max |ref|
// <= 1e-4: f32 accumulation against the reference's f64). The contraction
// cases run again with bf16 / fp16 operands (--precision) against the
// reference evaluating the same rounded graph.
//
// Shapes are chosen to break tiling: 1, primes, tile +- 1, non-multiples of
// every tile size, stride / padding / dilation / group corners, depthwise,
// attention with a sequence length that is no multiple of anything.
//
//===----------------------------------------------------------------------===//

#include "codegen/Compiler.h"
#include "codegen/common/LowerToLinalg.h"
#include "passes/Pipeline.h"
#include "reference/Interpreter.h"
#include "reference/RuntimeTensors.h"
#include "tilec/runtime.h"

#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

using namespace mlir;
using namespace tilec;

namespace {

struct Case {
  const char *name;
  const char *mlir; ///< a module with func @main
};

// clang-format off
const Case kCases[] = {
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
  {"linear_tensor_core_gelu", R"(func.func @main(%x: tensor<2x32x48xf32>, %w: tensor<40x48xf32>, %b: tensor<40xf32>) -> tensor<2x32x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<2x32x48xf32>, tensor<40x48xf32>, tensor<40xf32>) -> tensor<2x32x40xf32>
     %r = tilec.gelu %y : tensor<2x32x40xf32>
     return %r : tensor<2x32x40xf32> })"},
  // 37 rows: padded to 48 (tilec-pad-rows) for whole 16-row tiles, sliced back.
  {"linear_tensor_core_ragged_rows", R"(func.func @main(%x: tensor<37x64xf32>, %w: tensor<40x64xf32>, %b: tensor<40xf32>) -> tensor<37x40xf32> {
     %y = tilec.linear %x, %w, %b : (tensor<37x64xf32>, tensor<40x64xf32>, tensor<40xf32>) -> tensor<37x40xf32>
     %r = tilec.relu %y : tensor<37x40xf32>
     return %r : tensor<37x40xf32> })"},
  // Convolutions as GEMMs on tensor cores (tilec-convs-as-gemms): a padded
  // 3x3 stride-2 convolution through tilec.im2col (100 output pixels: rows
  // padded to 112), and a 1x1 one through a reshape of its input.
  {"conv_tensor_core_im2col", R"(func.func @main(%x: tensor<1x16x20x20xf32>, %w: tensor<32x16x3x3xf32>, %b: tensor<32xf32>) -> tensor<1x32x10x10xf32> {
     %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x20x20xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x10x10xf32>
     %r = tilec.relu %y : tensor<1x32x10x10xf32>
     return %r : tensor<1x32x10x10xf32> })"},
  {"conv_tensor_core_1x1", R"(func.func @main(%x: tensor<2x32x8x8xf32>, %w: tensor<48x32x1x1xf32>) -> tensor<2x48x8x8xf32> {
     %y = tilec.conv2d %x, %w : (tensor<2x32x8x8xf32>, tensor<48x32x1x1xf32>) -> tensor<2x48x8x8xf32>
     return %y : tensor<2x48x8x8xf32> })"},
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
  // Exactly two key blocks; large scores (scale 2) test the running max.
  {"attention_whole_key_blocks", R"(func.func @main(%q: tensor<1x2x33x8xf32>, %k: tensor<1x2x128x8xf32>, %v: tensor<1x2x128x8xf32>) -> tensor<1x2x33x8xf32> {
     %y = tilec.attention %q, %k, %v {scale = 2.0 : f64} : (tensor<1x2x33x8xf32>, tensor<1x2x128x8xf32>, tensor<1x2x128x8xf32>) -> tensor<1x2x33x8xf32>
     return %y : tensor<1x2x33x8xf32> })"},
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
  {"pad_reduce_mean", R"(func.func @main(%x: tensor<2x3x5xf32>) -> tensor<2x1x7xf32> {
     %p = tilec.pad %x {pads = array<i64: 0, 1, 1, 0, 2, 1>, value = 0.5 : f64} : (tensor<2x3x5xf32>) -> tensor<2x6x7xf32>
     %m = tilec.reduce_mean %p {axes = array<i64: 1>} : (tensor<2x6x7xf32>) -> tensor<2x1x7xf32>
     return %m : tensor<2x1x7xf32> })"},
};
// clang-format on

/// Schedule variants tried on every case, as edits of the default.
enum class Variant {
  Default,
  OneWorkgroup,
  NoVectorCode,
  SmallOddTiles,
  ReductionBlocks,
  OtherLoopOrder
};
const Variant kVariants[] = {Variant::Default,       Variant::OneWorkgroup,
                             Variant::NoVectorCode,  Variant::SmallOddTiles,
                             Variant::ReductionBlocks, Variant::OtherLoopOrder};

std::string variantName(Variant v) {
  switch (v) {
  case Variant::Default:
    return "default";
  case Variant::OneWorkgroup:
    return "one_workgroup";
  case Variant::NoVectorCode:
    return "no_vector_code";
  case Variant::SmallOddTiles:
    return "small_odd_tiles";
  case Variant::ReductionBlocks:
    return "reduction_blocks";
  case Variant::OtherLoopOrder:
    return "other_loop_order";
  }
  return "?";
}

codegen::Schedule edit(codegen::Schedule s, Variant v, const codegen::DispatchShape &shape) {
  switch (v) {
  case Variant::OtherLoopOrder: {
    // The register-tile loop order the tuner may pick instead of the default:
    // rows outermost (contractions), pixels before filters or channels.
    const std::string &kind = shape.rootKind;
    size_t r = shape.rootLoops.size();
    if ((kind == "matmul" || kind == "attention") && r >= 3)
      for (size_t i = 0; i < r; ++i)
        s.loopOrder.push_back(int64_t(i));
    else if (kind == "conv" && r == 7)
      s.loopOrder = {0, 2, 3, 1, 4, 5, 6};
    else if (kind == "depthwise" && r == 6)
      s.loopOrder = {0, 3, 1, 2, 4, 5};
    else if (kind == "pool" && r == 6)
      s.loopOrder = {0, 2, 3, 1, 4, 5};
    else if (kind == "conv_nhwc" && r == 7)
      s.loopOrder = {0, 3, 1, 2, 4, 5, 6};
    else if ((kind == "depthwise_nhwc" || kind == "pool_nhwc") && r == 6)
      s.loopOrder = {0, 3, 1, 2, 4, 5};
    break;
  }
  case Variant::ReductionBlocks:
    // Every reduction loop walked in blocks of its smallest divisor > 1 (so
    // 3x3 windows become 3 blocks of 1 row, 64 channels 32 blocks of 2), with
    // pack=on where the root takes it.
    s.cacheTile.assign(shape.rootLoops.size(), 0);
    for (size_t i = 0; i < shape.rootLoops.size(); ++i)
      if (shape.rootReduction[i])
        for (int64_t d = 2; d < shape.rootLoops[i]; ++d)
          if (shape.rootLoops[i] % d == 0) {
            s.cacheTile[i] = d;
            break;
          }
    // And operand panels copied per block however few row tiles reuse them.
    if (codegen::takesPanelCopy(shape.rootKind) && !s.registerTile.empty())
      s.panelCopy = codegen::PanelCopy::On;
    break;
  case Variant::Default:
    break;
  case Variant::OneWorkgroup:
    s.workgroupTile.clear();
    break;
  case Variant::NoVectorCode:
    s.registerTile.clear();
    break;
  case Variant::SmallOddTiles:
    // Register tiles are caps shrunk to divisors, so 3 and 5 probe odd splits.
    for (int64_t &t : s.registerTile)
      t = t > 1 ? (t % 2 ? t : 3) : t;
    if (s.registerTile.size() >= 2)
      s.registerTile[s.registerTile.size() - 2] = 5;
    for (int64_t &t : s.workgroupTile)
      t = 1;
    break;
  }
  return s;
}

std::vector<reference::Tensor> randomInputs(func::FuncOp main, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<reference::Tensor> inputs;
  for (Type t : main.getArgumentTypes()) {
    auto shape = cast<ShapedType>(t).getShape();
    Type element = cast<ShapedType>(t).getElementType();
    reference::Tensor tensor(std::vector<int64_t>(shape.begin(), shape.end()));
    for (float &v : tensor.data) {
      v = dist(rng);
      if (!element.isF32()) // what a 16-bit model input can hold
        v = half::round(v, element.isBF16());
    }
    inputs.push_back(std::move(tensor));
  }
  return inputs;
}

/// A case parsed, its reference outputs on random inputs, and its graph after
/// the pipeline, ready to compile.
struct Prepared {
  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  std::vector<reference::Tensor> inputs, expected;

  explicit Prepared(DialectRegistry &registry) : context(registry) {
    context.disableMultithreading();
  }
};

/// The cases with a convolution or pool: they run in both layouts (the
/// others have no layout choice).
std::vector<size_t> windowedCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string text = kCases[i].mlir;
    if (text.find("conv2d") != std::string::npos || text.find("pool") != std::string::npos)
      cases.push_back(i);
  }
  return cases;
}

::testing::AssertionResult prepare(const Case &c, Prepared &p,
                                   const std::string &layout = GraphPipelineOptions().layout,
                                   const std::string &precision = "fp32",
                                   bool tensorCores = false) {
  p.module = parseSourceString<ModuleOp>(std::string("module {") + c.mlir + "}", &p.context);
  if (!p.module)
    return ::testing::AssertionFailure() << "case does not parse";
  auto main = p.module->lookupSymbol<func::FuncOp>("main");
  p.inputs = randomInputs(main, 7);
  reference::Interpreter interpreter;
  std::string error;
  auto expected = interpreter.run(main, p.inputs, error);
  if (failed(expected))
    return ::testing::AssertionFailure() << error;
  p.expected = std::move(*expected);
  PassManager pm(&p.context);
  // Tensor-core targets: rows padded, convolutions as GEMMs, as the
  // compiler does for them.
  buildGraphPipeline(pm, {.fusion = "default",
                          .layout = layout,
                          .precision = precision,
                          .padRows = tensorCores ? 16 : 0,
                          .convsAsGemms = tensorCores});
  if (failed(pm.run(*p.module)))
    return ::testing::AssertionFailure() << "graph pipeline failed";
  if (precision != "fp32") {
    // The reference evaluates the pipeline's graph, converts included (it
    // rounds as they do), so 16-bit kernels are held to the f32 limit.
    auto rounded = interpreter.run(main, p.inputs, error);
    if (failed(rounded))
      return ::testing::AssertionFailure() << error;
    p.expected = std::move(*rounded);
  }
  return ::testing::AssertionSuccess();
}

/// Compiles the prepared graph into a temporary artifact and loads it; a load
/// failure is returned in `status` (the caller decides whether it is one).
::testing::AssertionResult compileAndLoad(Prepared &p, const codegen::CompileOptions &options,
                                          const std::string &tag, tilec_model *&model,
                                          tilec_status *&status,
                                          codegen::CompileReport *reportOut = nullptr) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("tilec-conformance-" + tag + "-" + std::to_string(::getpid()) + ".tilec"))
                         .string();
  codegen::CompileReport report;
  std::string error;
  if (!codegen::compileModel(*p.module, options, path, report, error))
    return ::testing::AssertionFailure() << error;
  // A variant the compiler silently replaced by the default would test nothing.
  for (const codegen::KernelReport &k : report.kernels)
    if (k.notes.find("requested schedule rejected") != std::string::npos)
      return ::testing::AssertionFailure() << k.symbol << ": " << k.notes;
  if (reportOut)
    *reportOut = report;
  tilec_load_options load{2};
  status = tilec_model_load(path.c_str(), &load, &model);
  std::filesystem::remove(path);
  return ::testing::AssertionSuccess();
}

/// Runs the model on the prepared inputs and compares every output with the
/// reference (max |diff| / max |ref| <= 1e-4).
::testing::AssertionResult runAndCompare(tilec_model *model, Prepared &p) {
  // In the model's element types (16-bit inputs were generated representable).
  reference::RuntimeTensors io;
  tilec_tensor_info info;
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    tilec_status_free(tilec_model_input_info(model, i, &info));
    io.addInput(p.inputs[i], info.dtype);
  }
  std::vector<reference::Tensor> got;
  for (const reference::Tensor &e : p.expected)
    got.emplace_back(e.shape);
  for (size_t i = 0; i < got.size(); ++i) {
    tilec_status_free(tilec_model_output_info(model, i, &info));
    io.addOutput(got[i], info.dtype);
  }
  tilec_status *status = tilec_model_run(model, io.inputs.data(), io.inputs.size(),
                                         io.outputs.data(), io.outputs.size());
  for (size_t i = 0; !status && i < got.size(); ++i)
    io.readOutput(i, got[i]);
  tilec_model_free(model);
  if (status) {
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    return ::testing::AssertionFailure() << message;
  }
  for (size_t i = 0; i < got.size(); ++i) {
    double maxDiff = 0, maxRef = 0;
    for (size_t j = 0; j < got[i].data.size(); ++j) {
      maxDiff = std::max(maxDiff, double(std::fabs(got[i].data[j] - p.expected[i].data[j])));
      maxRef = std::max(maxRef, double(std::fabs(p.expected[i].data[j])));
    }
    if (maxDiff > 1e-4 * std::max(maxRef, 1e-30))
      return ::testing::AssertionFailure()
             << "output " << i << ": max rel. error " << maxDiff / std::max(maxRef, 1e-30);
  }
  return ::testing::AssertionSuccess();
}

/// (case, schedule variant, graph layout).
class Conformance
    : public ::testing::TestWithParam<std::tuple<size_t, Variant, const char *>> {};

TEST_P(Conformance, MatchesReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  Variant variant = std::get<1>(GetParam());
  std::string layout = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, layout));
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(edit(d, variant, shape));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  ASSERT_TRUE(compileAndLoad(p, options,
                             std::string(c.name) + "-" + variantName(variant) + "-" + layout,
                             model, status));
  ASSERT_EQ(status, nullptr) << tilec_status_message(status);
  EXPECT_TRUE(runAndCompare(model, p))
      << c.name << " under " << variantName(variant) << " in " << layout;
}

std::string conformanceName(
    const ::testing::TestParamInfo<std::tuple<size_t, Variant, const char *>> &info) {
  return std::string(kCases[std::get<0>(info.param)].name) + "_" +
         variantName(std::get<1>(info.param));
}

// Every case in the default layout (channels last for convolutions and pools).
INSTANTIATE_TEST_SUITE_P(Cpu, Conformance,
                         ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                                            ::testing::ValuesIn(kVariants),
                                            ::testing::Values("nhwc")),
                         conformanceName);

// The convolutions and pools again in NCHW (`--layout nchw`).
INSTANTIATE_TEST_SUITE_P(CpuNchw, Conformance,
                         ::testing::Combine(::testing::ValuesIn(windowedCases()),
                                            ::testing::ValuesIn(kVariants),
                                            ::testing::Values("nchw")),
                         conformanceName);

/// Schedules of the simt target (GPU tiling run on the CPU): the GPU default;
/// thread tiles without workgroup-memory staging; small blocks with odd
/// thread tiles and K in its smallest blocks (several staged K steps).
enum class SimtVariant { Default, Unstaged, SmallBlocks };
const SimtVariant kSimtVariants[] = {SimtVariant::Default, SimtVariant::Unstaged,
                                     SimtVariant::SmallBlocks};

std::string simtVariantName(SimtVariant v) {
  switch (v) {
  case SimtVariant::Default:
    return "gpu_default";
  case SimtVariant::Unstaged:
    return "gpu_unstaged";
  case SimtVariant::SmallBlocks:
    return "gpu_small_blocks";
  }
  return "?";
}

int64_t largestDivisorAtMost(int64_t n, int64_t cap) {
  for (int64_t d = std::min(n, cap); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

codegen::Schedule editSimt(const codegen::Schedule &d, SimtVariant v,
                           const codegen::DispatchShape &shape, const codegen::Target &target) {
  codegen::Schedule s = d;
  if (s.registerTile.empty())
    return s;
  size_t rank = shape.resultShape.size();
  switch (v) {
  case SimtVariant::Default:
    return s;
  case SimtVariant::Unstaged:
    s.cacheTile.clear();
    break;
  case SimtVariant::SmallBlocks: {
    for (size_t i = 0; i + 2 < rank; ++i)
      s.workgroupTile[i] = 1;
    for (size_t i = rank - 2; i < rank; ++i) {
      s.workgroupTile[i] = largestDivisorAtMost(shape.resultShape[i], 6);
      s.registerTile[i] = largestDivisorAtMost(s.workgroupTile[i], 3);
    }
    int64_t k = shape.rootLoops[rank];
    s.cacheTile.assign(rank + 1, 0);
    s.cacheTile[rank] = k;
    for (int64_t b = 2; b < k; ++b)
      if (k % b == 0) {
        s.cacheTile[rank] = b;
        break;
      }
    break;
  }
  }
  // A variant that is illegal for this shape is the default again.
  return codegen::verifySchedule(s, shape, target).empty() ? s : d;
}

/// (case, simt schedule variant).
class SimtConformance : public ::testing::TestWithParam<std::tuple<size_t, SimtVariant>> {};

TEST_P(SimtConformance, MatchesReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  SimtVariant variant = std::get<1>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p));
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  options.target.simt = true;
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(editSimt(d, variant, shape, options.target));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  codegen::CompileReport report;
  ASSERT_TRUE(compileAndLoad(p, options,
                             std::string(c.name) + "-" + simtVariantName(variant), model,
                             status, &report));
  ASSERT_EQ(status, nullptr) << tilec_status_message(status);
  // A thread tile the mapping dropped would test only the fallback.
  for (const codegen::KernelReport &k : report.kernels) {
    EXPECT_EQ(k.notes.find("thread tile not applied"), std::string::npos) << k.notes;
    if (k.schedule.find("cache=") != std::string::npos && k.grid > 1)
      EXPECT_NE(k.notes.find("staged in workgroup memory"), std::string::npos) << k.notes;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " under " << simtVariantName(variant);
}

// Every case as a GPU target tiles it (blocks, thread loops, workgroup
// memory), run on the CPU: the GPU kernels' tiling checked against the
// reference on any machine.
INSTANTIATE_TEST_SUITE_P(
    Simt, SimtConformance,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                       ::testing::ValuesIn(kSimtVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, SimtVariant>> &info) {
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             simtVariantName(std::get<1>(info.param));
    });

/// The cases with a convolution, matrix product or attention (what --precision
/// changes).
std::vector<size_t> contractionCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i) {
    std::string text = kCases[i].mlir;
    for (const char *op : {"tilec.conv2d", "tilec.matmul", "tilec.linear", "tilec.attention"})
      if (text.find(op) != std::string::npos) {
        cases.push_back(i);
        break;
      }
  }
  return cases;
}

/// Where a reduced-precision case runs: the host CPU under the default and
/// small odd tiles, the simt target (GPU tiling with 16-bit operands staged
/// in workgroup memory), and compiled and assembled for both GPU targets.
enum class PrecisionTarget { Cpu, CpuSmallOddTiles, Simt, Cuda, Rocm, CpuNchw, SimtNchw };

/// (case, "bf16" | "fp16", target).
class PrecisionConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, PrecisionTarget>> {};

TEST_P(PrecisionConformance, MatchesTheRoundedReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string precision = std::get<1>(GetParam());
  PrecisionTarget where = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  bool nchw = where == PrecisionTarget::CpuNchw || where == PrecisionTarget::SimtNchw;
  // Rows padded for tensor cores as the compiler does for these targets.
  bool tensorCores = where == PrecisionTarget::Simt || where == PrecisionTarget::SimtNchw ||
                     where == PrecisionTarget::Cuda;
  ASSERT_TRUE(prepare(c, p, nchw ? "nchw" : GraphPipelineOptions().layout, precision,
                      tensorCores));
  // The pipeline really narrowed the operands.
  bool narrowed = false;
  p.module->walk([&](ConvertOp) { narrowed = true; });
  p.module->walk([&](ConstantOp k) {
    narrowed |= !cast<ShapedType>(k.getType()).getElementType().isF32();
  });
  ASSERT_TRUE(narrowed) << "no 16-bit operand in " << c.name;
  std::string error;
  codegen::CompileOptions options;
  options.target = codegen::hostTarget();
  if (where == PrecisionTarget::Simt || where == PrecisionTarget::SimtNchw)
    options.target.simt = true;
  if (where == PrecisionTarget::Cuda || where == PrecisionTarget::Rocm)
    options.target = *codegen::parseTarget(where == PrecisionTarget::Cuda ? "cuda:sm_90"
                                                                           : "rocm:gfx90a",
                                            error);
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(
        where == PrecisionTarget::CpuSmallOddTiles ? edit(d, Variant::SmallOddTiles, shape) : d);
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  ASSERT_TRUE(compileAndLoad(p, options, std::string(c.name) + "-" + precision, model, status));
  if (status) {
    tilec_status_code code = tilec_status_get_code(status);
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    ASSERT_TRUE((where == PrecisionTarget::Cuda || where == PrecisionTarget::Rocm) &&
                (code == TILEC_UNAVAILABLE || code == TILEC_WRONG_TARGET))
        << message;
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " in " << precision;
}

std::string precisionName(
    const ::testing::TestParamInfo<std::tuple<size_t, const char *, PrecisionTarget>> &info) {
  static const char *const kWhere[] = {"cpu",  "cpu_small_odd_tiles", "simt",     "cuda",
                                       "rocm", "cpu_nchw",            "simt_nchw"};
  return std::string(kCases[std::get<0>(info.param)].name) + "_" + std::get<1>(info.param) +
         "_" + kWhere[int(std::get<2>(info.param))];
}

INSTANTIATE_TEST_SUITE_P(
    Precision, PrecisionConformance,
    ::testing::Combine(::testing::ValuesIn(contractionCases()), ::testing::Values("bf16", "fp16"),
                       ::testing::Values(PrecisionTarget::Cpu, PrecisionTarget::CpuSmallOddTiles,
                                         PrecisionTarget::Simt, PrecisionTarget::Cuda,
                                         PrecisionTarget::Rocm)),
    precisionName);

std::vector<size_t> windowedContractionCases() {
  std::vector<size_t> cases;
  for (size_t i : contractionCases())
    if (std::string(kCases[i].mlir).find("conv2d") != std::string::npos)
      cases.push_back(i);
  return cases;
}

// The convolutions again in NCHW (1x1 convolutions become GEMM generics there).
INSTANTIATE_TEST_SUITE_P(
    PrecisionNchw, PrecisionConformance,
    ::testing::Combine(::testing::ValuesIn(windowedContractionCases()),
                       ::testing::Values("bf16", "fp16"),
                       ::testing::Values(PrecisionTarget::CpuNchw, PrecisionTarget::SimtNchw)),
    precisionName);

/// Tensor cores: the cases whose GEMMs take warp tiles (`mma`), in bf16 and
/// fp16, under the GPU default and two other warp tilings, run on the simt
/// target (the warp tiles' blocks, staging, K loops and epilogues checked
/// against the reference; each warp-wide contraction computed by the CPU) and
/// compiled to mma.sync for CUDA (run where a GPU exists).
enum class MmaVariant { Default, SmallWarpTiles, ManyWarps, AmdTiles };

std::string mmaVariantName(MmaVariant v) {
  switch (v) {
  case MmaVariant::Default:
    return "default";
  case MmaVariant::SmallWarpTiles:
    return "small_warp_tiles";
  case MmaVariant::ManyWarps:
    return "many_warps";
  case MmaVariant::AmdTiles:
    return "amd_tiles";
  }
  return "?";
}

/// Edits of the default tensor-core schedule: 16x8 warp tiles in 16x16
/// blocks with K blocks of 16 (several staged K blocks, 2 warps); 16x8 warp
/// tiles in the default block (up to 32 warps); AMD's MFMA tiling (16x16x16,
/// on the simt target; the default on ROCm) where the columns allow it.
codegen::Schedule editMma(const codegen::Schedule &d, MmaVariant v,
                          const codegen::DispatchShape &shape) {
  codegen::Schedule s = d;
  if (s.mmaShape.empty() || v == MmaVariant::Default)
    return s;
  size_t rank = shape.resultShape.size();
  if (v == MmaVariant::AmdTiles) {
    s.mmaShape = {16, 16, 16};
    for (size_t i = rank - 2; i < rank; ++i) {
      s.workgroupTile[i] = shape.resultShape[i] % 32 == 0 ? 32 : 16;
      s.registerTile[i] = 16;
    }
    return s;
  }
  if (v == MmaVariant::SmallWarpTiles) {
    s.workgroupTile[rank - 2] = 16;
    s.workgroupTile[rank - 1] = shape.resultShape[rank - 1] % 16 == 0 ? 16 : 8;
    s.cacheTile[rank] = 16;
  }
  s.registerTile[rank - 2] = 16;
  s.registerTile[rank - 1] = 8;
  return s;
}

std::vector<size_t> tensorCoreCases() {
  std::vector<size_t> cases;
  for (size_t i = 0; i < std::size(kCases); ++i)
    if (std::string(kCases[i].name).find("tensor_core") != std::string::npos)
      cases.push_back(i);
  return cases;
}

/// (case, "bf16" | "fp16", variant, target).
class TensorCoreConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, MmaVariant, const char *>> {
};

TEST_P(TensorCoreConformance, MatchesTheRoundedReference) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string precision = std::get<1>(GetParam());
  MmaVariant variant = std::get<2>(GetParam());
  std::string targetText = std::get<3>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p, GraphPipelineOptions().layout, precision, /*tensorCores=*/true));
  std::string error;
  codegen::CompileOptions options;
  options.target = *codegen::parseTarget(targetText, error);
  // AMD tiles: the simt target checks their tiling; ROCm compiles them by
  // default. CUDA has no 16x16x16 instruction, ROCm no 16x8x16 one.
  bool rocm = targetText.rfind("rocm:", 0) == 0;
  if ((variant == MmaVariant::AmdTiles && targetText.rfind("cuda:", 0) == 0) ||
      (rocm && variant != MmaVariant::Default && variant != MmaVariant::AmdTiles))
    GTEST_SKIP() << "not this target's instruction";
  int mmaKernels = 0;
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    codegen::Schedule s = editMma(d, rocm ? MmaVariant::Default : variant, shape);
    // AMD tiles need columns of 16 (the ragged and batched cases have 40 and 24).
    if (!codegen::verifySchedule(s, shape, options.target).empty() && variant == MmaVariant::AmdTiles)
      s = d;
    EXPECT_EQ(codegen::verifySchedule(s, shape, options.target), "") << s.str();
    mmaKernels += !s.mmaShape.empty();
    return std::optional<codegen::Schedule>(s);
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  codegen::CompileReport report;
  ASSERT_TRUE(compileAndLoad(p, options,
                             std::string(c.name) + "-" + precision + "-mma-" +
                                 mmaVariantName(variant),
                             model, status, &report));
  // The GEMM took warp tiles by default, and they were applied.
  // (MFMA needs columns in 16s: on ROCm the 40- and 24-column cases do not
  // take it.)
  std::string name = c.name;
  if (!rocm || name == "matmul_tensor_core_tiles" || name.rfind("conv_tensor_core", 0) == 0)
    EXPECT_GE(mmaKernels, 1);
  for (const codegen::KernelReport &k : report.kernels) {
    if (k.schedule.find("mma=16x8x16") != std::string::npos)
      EXPECT_NE(k.notes.find("warps (mma.sync 16x8x16)"), std::string::npos) << k.notes;
    if (k.schedule.find("mma=16x16x16") != std::string::npos)
      EXPECT_NE(k.notes.find("warps (MFMA 16x16x16)"), std::string::npos) << k.notes;
  }
  if (status) {
    tilec_status_code code = tilec_status_get_code(status);
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    ASSERT_TRUE(targetText != "simt" && (code == TILEC_UNAVAILABLE || code == TILEC_WRONG_TARGET))
        << message;
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " in " << precision;
}

INSTANTIATE_TEST_SUITE_P(
    TensorCore, TensorCoreConformance,
    ::testing::Combine(::testing::ValuesIn(tensorCoreCases()), ::testing::Values("bf16", "fp16"),
                       ::testing::Values(MmaVariant::Default, MmaVariant::SmallWarpTiles,
                                         MmaVariant::ManyWarps, MmaVariant::AmdTiles),
                       ::testing::Values("simt", "cuda:sm_90", "rocm:gfx90a")),
    [](const ::testing::TestParamInfo<std::tuple<size_t, const char *, MmaVariant, const char *>>
           &info) {
      std::string target = std::get<3>(info.param);
      return std::string(kCases[std::get<0>(info.param)].name) + "_" + std::get<1>(info.param) +
             "_" + mmaVariantName(std::get<2>(info.param)) + "_" +
             target.substr(0, target.find(':'));
    });

/// GPU targets: every case compiles and assembles (ptxas / ld.lld) on any
/// machine; it runs and is compared with the reference only where the driver
/// and a GPU exist (CUDA), otherwise loading must fail with a clear status and
/// the test is skipped.
class GpuConformance
    : public ::testing::TestWithParam<std::tuple<size_t, const char *, SimtVariant>> {};

TEST_P(GpuConformance, CompilesAndMatchesWhereRunnable) {
  const Case &c = kCases[std::get<0>(GetParam())];
  std::string targetText = std::get<1>(GetParam());
  SimtVariant variant = std::get<2>(GetParam());
  DialectRegistry registry;
  codegen::registerCodegenDialects(registry);
  Prepared p(registry);
  ASSERT_TRUE(prepare(c, p));
  std::string error;
  codegen::CompileOptions options;
  options.target = *codegen::parseTarget(targetText, error);
  options.scheduleFor = [&](const std::string &, const codegen::Schedule &d,
                            const codegen::DispatchShape &shape) {
    return std::optional<codegen::Schedule>(editSimt(d, variant, shape, options.target));
  };
  tilec_model *model = nullptr;
  tilec_status *status = nullptr;
  ASSERT_TRUE(compileAndLoad(p, options, std::string(c.name) + "-gpu-" + simtVariantName(variant),
                             model, status));
  if (status) {
    tilec_status_code code = tilec_status_get_code(status);
    std::string message = tilec_status_message(status);
    tilec_status_free(status);
    ASSERT_TRUE(code == TILEC_UNAVAILABLE || code == TILEC_WRONG_TARGET) << message;
    GTEST_SKIP() << "compiled and assembled; not run: " << message;
  }
  EXPECT_TRUE(runAndCompare(model, p)) << c.name << " on " << targetText;
}

INSTANTIATE_TEST_SUITE_P(
    Gpu, GpuConformance,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kCases)),
                       ::testing::Values("cuda:sm_90", "rocm:gfx90a"),
                       ::testing::ValuesIn(kSimtVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, const char *, SimtVariant>> &info) {
      std::string target = std::get<1>(info.param);
      return std::string(kCases[std::get<0>(info.param)].name) + "_" +
             target.substr(0, target.find(':')) + "_" + simtVariantName(std::get<2>(info.param));
    });

} // namespace
