// RUN: tilec-opt %s -split-input-file --tilec-convs-as-gemms=enabled=true | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-convs-as-gemms | FileCheck %s --check-prefix=OFF
// RUN: tilec-opt %s -split-input-file "--tilec-convs-as-gemms=enabled=true row-multiple=16" | FileCheck %s --check-prefix=ROWS

// A padded 3x3 stride-2 convolution (bf16, channels last): its windows as an
// im2col matrix [N*OH*OW, KH*KW*C] times the HWIO weight reshaped to
// [KH*KW*C, F], the bias added, the product reshaped back to NHWC after the
// relu (computed on the matrix, so that it fuses into the product's kernel).
// CHECK-LABEL: func.func @conv3x3
// CHECK: %[[A:.*]] = tilec.im2col %arg0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x16x16x16xbf16>) -> tensor<64x144xbf16>
// CHECK: %[[B:.*]] = tilec.reshape %arg1 {shape = array<i64: 144, 32>} : (tensor<3x3x16x32xbf16>) -> tensor<144x32xbf16>
// CHECK: %[[M:.*]] = tilec.matmul %[[A]], %[[B]] : (tensor<64x144xbf16>, tensor<144x32xbf16>) -> tensor<64x32xf32>
// CHECK: %[[S:.*]] = tilec.add %[[M]], %arg2 : (tensor<64x32xf32>, tensor<32xf32>) -> tensor<64x32xf32>
// CHECK: %[[R:.*]] = tilec.relu %[[S]] : tensor<64x32xf32>
// CHECK: %[[Y:.*]] = tilec.reshape %[[R]] {shape = array<i64: 1, 8, 8, 32>} : (tensor<64x32xf32>) -> tensor<1x8x8x32xf32>
// CHECK: return %[[Y]]
// OFF-LABEL: func.func @conv3x3
// OFF: tilec.conv2d
// OFF-NOT: tilec.im2col
func.func @conv3x3(%x: tensor<1x16x16x16xbf16>, %w: tensor<3x3x16x32xbf16>, %b: tensor<32xf32>) -> tensor<1x8x8x32xf32> {
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc", strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xbf16>, tensor<3x3x16x32xbf16>, tensor<32xf32>) -> tensor<1x8x8x32xf32>
  %r = tilec.relu %y : tensor<1x8x8x32xf32>
  return %r : tensor<1x8x8x32xf32>
}

// -----

// 1x1, stride 1, unpadded: the input is already the matrix (a reshape, no
// im2col copy); no bias, no add.
// CHECK-LABEL: func.func @pointwise
// CHECK-NOT: tilec.im2col
// CHECK: %[[A:.*]] = tilec.reshape %arg0 {shape = array<i64: 128, 32>} : (tensor<2x8x8x32xf16>) -> tensor<128x32xf16>
// CHECK: %[[B:.*]] = tilec.reshape %arg1 {shape = array<i64: 32, 48>}
// CHECK: %[[M:.*]] = tilec.matmul %[[A]], %[[B]] : (tensor<128x32xf16>, tensor<32x48xf16>) -> tensor<128x48xf32>
// CHECK-NOT: tilec.add
// CHECK: tilec.reshape %[[M]] {shape = array<i64: 2, 8, 8, 48>}
func.func @pointwise(%x: tensor<2x8x8x32xf16>, %w: tensor<1x1x32x48xf16>) -> tensor<2x8x8x48xf32> {
  %y = tilec.conv2d %x, %w {layout = "nhwc"} : (tensor<2x8x8x32xf16>, tensor<1x1x32x48xf16>) -> tensor<2x8x8x48xf32>
  return %y : tensor<2x8x8x48xf32>
}

// -----

// Unchanged: f32 operands, NCHW, depthwise, and a 1x1 convolution of a
// pooled vector (one output pixel: a squeeze-excite block's).
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: tilec.im2col
// CHECK-COUNT-4: tilec.conv2d
func.func @unchanged(%a: tensor<1x8x8x16xf32>, %wa: tensor<3x3x16x32xf32>, %b: tensor<1x16x8x8xbf16>, %wb: tensor<32x16x3x3xbf16>, %c: tensor<1x8x8x16xbf16>, %wc: tensor<3x3x1x16xbf16>, %e: tensor<1x1x1x64xbf16>, %we: tensor<1x1x64x16xbf16>) -> (tensor<1x6x6x32xf32>, tensor<1x32x6x6xf32>, tensor<1x6x6x16xf32>, tensor<1x1x1x16xf32>) {
  %0 = tilec.conv2d %a, %wa {layout = "nhwc"} : (tensor<1x8x8x16xf32>, tensor<3x3x16x32xf32>) -> tensor<1x6x6x32xf32>
  %1 = tilec.conv2d %b, %wb : (tensor<1x16x8x8xbf16>, tensor<32x16x3x3xbf16>) -> tensor<1x32x6x6xf32>
  %2 = tilec.conv2d %c, %wc {layout = "nhwc", groups = 16 : i64} : (tensor<1x8x8x16xbf16>, tensor<3x3x1x16xbf16>) -> tensor<1x6x6x16xf32>
  %4 = tilec.conv2d %e, %we {layout = "nhwc"} : (tensor<1x1x1x64xbf16>, tensor<1x1x64x16xbf16>) -> tensor<1x1x1x16xf32>
  return %0, %1, %2, %4 : tensor<1x6x6x32xf32>, tensor<1x32x6x6xf32>, tensor<1x6x6x16xf32>, tensor<1x1x1x16xf32>
}

// -----

// A stem (7x7 over 3 channels: K = 147, no whole number of 16-deep
// tensor-core steps): the windows take 160 columns (13 zero) and the
// constant weight becomes a [160, 64] constant (13 zero rows) at compile
// time; the 3x3 stem of MobileNet (K = 27) with a weight that is an
// argument: 32 columns and a tilec.pad of its [27, 32] matrix.
// CHECK-LABEL: func.func @stems
// CHECK-DAG: %[[W:.*]] = tilec.constant {name = "stem.weight.padded"} {{.*}} : tensor<160x64xbf16>
// CHECK-DAG: %[[A:.*]] = tilec.im2col %arg0 {columns = 160 : i64, kernel = array<i64: 7, 7>, padding = array<i64: 3, 3, 3, 3>, strides = array<i64: 2, 2>} : (tensor<1x14x14x3xbf16>) -> tensor<49x160xbf16>
// CHECK: tilec.matmul %[[A]], %[[W]] : (tensor<49x160xbf16>, tensor<160x64xbf16>) -> tensor<49x64xf32>
// CHECK: %[[B:.*]] = tilec.im2col %arg1 {columns = 32 : i64, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x3xbf16>) -> tensor<64x32xbf16>
// CHECK: %[[R:.*]] = tilec.reshape %arg2 {shape = array<i64: 27, 32>} : (tensor<3x3x3x32xbf16>) -> tensor<27x32xbf16>
// CHECK: %[[P:.*]] = tilec.pad %[[R]] {pads = array<i64: 0, 0, 5, 0>} : (tensor<27x32xbf16>) -> tensor<32x32xbf16>
// CHECK: tilec.matmul %[[B]], %[[P]] : (tensor<64x32xbf16>, tensor<32x32xbf16>) -> tensor<64x32xf32>
// CHECK-NOT: tilec.conv2d
// CHECK-NOT: "stem.weight"
func.func @stems(%x: tensor<1x14x14x3xbf16>, %m: tensor<1x8x8x3xbf16>, %wm: tensor<3x3x3x32xbf16>) -> (tensor<1x7x7x64xf32>, tensor<1x8x8x32xf32>) {
  %w = tilec.constant {name = "stem.weight"} dense<0.5> : tensor<7x7x3x64xbf16>
  %0 = tilec.conv2d %x, %w {layout = "nhwc", strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<1x14x14x3xbf16>, tensor<7x7x3x64xbf16>) -> tensor<1x7x7x64xf32>
  %1 = tilec.conv2d %m, %wm {layout = "nhwc", padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x3xbf16>, tensor<3x3x3x32xbf16>) -> tensor<1x8x8x32xf32>
  return %0, %1 : tensor<1x7x7x64xf32>, tensor<1x8x8x32xf32>
}

// -----

// A 1x1 convolution over 24 channels (MobileNet's): K padded to 32 through a
// 1x1 im2col (not a view of the input, which has 24 columns).
// CHECK-LABEL: func.func @pointwise24
// CHECK: %[[A:.*]] = tilec.im2col %arg0 {columns = 32 : i64, kernel = array<i64: 1, 1>} : (tensor<2x8x8x24xbf16>) -> tensor<128x32xbf16>
// CHECK: tilec.pad %{{.*}} {pads = array<i64: 0, 0, 8, 0>} : (tensor<24x144xbf16>) -> tensor<32x144xbf16>
// CHECK: tilec.matmul %[[A]]
func.func @pointwise24(%x: tensor<2x8x8x24xbf16>, %w: tensor<1x1x24x144xbf16>) -> tensor<2x8x8x144xf32> {
  %y = tilec.conv2d %x, %w {layout = "nhwc"} : (tensor<2x8x8x24xbf16>, tensor<1x1x24x144xbf16>) -> tensor<2x8x8x144xf32>
  return %y : tensor<2x8x8x144xf32>
}

// -----

// With row-multiple=16 (tensor-core targets): 7x7 = 49 output pixels, so the
// im2col matrix itself has 64 rows (zeros past 49) instead of a pad kernel
// after it; the product is sliced back to 49 rows before the bias.
// ROWS-LABEL: func.func @ragged
// ROWS: %[[A:.*]] = tilec.im2col %arg0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, rows = 64 : i64} : (tensor<1x7x7x16xbf16>) -> tensor<64x144xbf16>
// ROWS: %[[M:.*]] = tilec.matmul %[[A]], %{{.*}} : (tensor<64x144xbf16>, tensor<144x32xbf16>) -> tensor<64x32xf32>
// ROWS: %[[S:.*]] = tilec.slice %[[M]] {axes = array<i64: 0>, ends = array<i64: 49>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<64x32xf32>) -> tensor<49x32xf32>
// ROWS: tilec.add %[[S]], %arg2
func.func @ragged(%x: tensor<1x7x7x16xbf16>, %w: tensor<3x3x16x32xbf16>, %b: tensor<32xf32>) -> tensor<1x7x7x32xf32> {
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc", padding = array<i64: 1, 1, 1, 1>} : (tensor<1x7x7x16xbf16>, tensor<3x3x16x32xbf16>, tensor<32xf32>) -> tensor<1x7x7x32xf32>
  return %y : tensor<1x7x7x32xf32>
}

// -----

// A residual block's tail: the residual add (NHWC, read as [64, 32]), a
// per-channel scale ([1, 1, 1, 32] read as [32]) and the relu move ahead of
// the reshape; the relu's value has two uses (a convert for the next
// convolution, a sigmoid), so the chain stops there.
// CHECK-LABEL: func.func @residual_tail
// CHECK-DAG: %[[RES:.*]] = tilec.reshape %arg3 {shape = array<i64: 64, 32>} : (tensor<1x8x8x32xf32>) -> tensor<64x32xf32>
// CHECK-DAG: %[[SCALE:.*]] = tilec.reshape %arg4 {shape = array<i64: 32>} : (tensor<1x1x1x32xf32>) -> tensor<32xf32>
// CHECK: %[[M:.*]] = tilec.matmul
// CHECK: %[[S:.*]] = tilec.add %[[M]], %arg2
// CHECK: %[[A:.*]] = tilec.add %[[S]], %[[RES]] : (tensor<64x32xf32>, tensor<64x32xf32>) -> tensor<64x32xf32>
// CHECK: %[[P:.*]] = tilec.mul %[[A]], %[[SCALE]] : (tensor<64x32xf32>, tensor<32xf32>) -> tensor<64x32xf32>
// CHECK: %[[R:.*]] = tilec.relu %[[P]] : tensor<64x32xf32>
// CHECK: %[[Y:.*]] = tilec.reshape %[[R]] {shape = array<i64: 1, 8, 8, 32>}
// CHECK: tilec.convert %[[Y]] : tensor<1x8x8x32xf32> -> tensor<1x8x8x32xbf16>
// CHECK: tilec.sigmoid %[[Y]]
func.func @residual_tail(%x: tensor<1x16x16x16xbf16>, %w: tensor<3x3x16x32xbf16>, %b: tensor<32xf32>, %res: tensor<1x8x8x32xf32>, %scale: tensor<1x1x1x32xf32>) -> (tensor<1x8x8x32xbf16>, tensor<1x8x8x32xf32>) {
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc", strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xbf16>, tensor<3x3x16x32xbf16>, tensor<32xf32>) -> tensor<1x8x8x32xf32>
  %a = tilec.add %y, %res : (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %p = tilec.mul %a, %scale : (tensor<1x8x8x32xf32>, tensor<1x1x1x32xf32>) -> tensor<1x8x8x32xf32>
  %r = tilec.relu %p : tensor<1x8x8x32xf32>
  %h = tilec.convert %r : tensor<1x8x8x32xf32> -> tensor<1x8x8x32xbf16>
  %g = tilec.sigmoid %r : tensor<1x8x8x32xf32>
  return %h, %g : tensor<1x8x8x32xbf16>, tensor<1x8x8x32xf32>
}

// -----

// An operand broadcast over pixels but not per channel ([1, 8, 1, 1]) stays
// behind the reshape.
// CHECK-LABEL: func.func @not_per_channel
// CHECK: %[[Y:.*]] = tilec.reshape %{{.*}} {shape = array<i64: 1, 8, 8, 32>}
// CHECK: tilec.mul %[[Y]], %arg3
func.func @not_per_channel(%x: tensor<1x16x16x16xbf16>, %w: tensor<3x3x16x32xbf16>, %b: tensor<32xf32>, %rows: tensor<1x8x1x1xf32>) -> tensor<1x8x8x32xf32> {
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc", strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x16xbf16>, tensor<3x3x16x32xbf16>, tensor<32xf32>) -> tensor<1x8x8x32xf32>
  %p = tilec.mul %y, %rows : (tensor<1x8x8x32xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x32xf32>
  return %p : tensor<1x8x8x32xf32>
}
