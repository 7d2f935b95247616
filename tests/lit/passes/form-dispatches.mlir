// RUN: tilec-opt %s -split-input-file --tilec-form-dispatches | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-form-dispatches=fusion=none | FileCheck %s --check-prefix=NONE

// Conv + bias-add (per-channel) + residual add + relu: one kernel.
// CHECK-LABEL: func.func @conv_epilogue
// CHECK: %[[D:.*]] = tilec.dispatch "conv2d"(%arg0, %arg1, %arg2, %arg3) {signature = "conv2d({{.*}}+add({{.*}}+add({{.*}}+relu({{.*}}"}
// CHECK: ^bb0(%[[X:.*]]: tensor<1x2x4x4xf32>, %[[W:.*]]: tensor<2x2x1x1xf32>, %[[B:.*]]: tensor<2x1x1xf32>, %[[R:.*]]: tensor<1x2x4x4xf32>):
// CHECK: %[[C:.*]] = tilec.conv2d %[[X]], %[[W]]
// CHECK: %[[A:.*]] = tilec.add %[[C]], %[[B]]
// CHECK: %[[S:.*]] = tilec.add %[[A]], %[[R]]
// CHECK: %[[Y:.*]] = tilec.relu %[[S]]
// CHECK: tilec.yield %[[Y]]
// CHECK: return %[[D]]
// NONE-LABEL: func.func @conv_epilogue
// NONE-COUNT-4: tilec.dispatch
func.func @conv_epilogue(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %b: tensor<2x1x1xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %c = tilec.conv2d %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a = tilec.add %c, %b : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = tilec.add %a, %r : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = tilec.relu %s : tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// The conv result has a second use: the relu is not fused (it would force the
// conv to be computed twice or written anyway); both get their own dispatch.
// CHECK-LABEL: func.func @extra_use
// CHECK: %[[C:.*]] = tilec.dispatch "conv2d"(%arg0, %arg1) {signature = "conv2d({{[^+]*}}"}
// CHECK: %[[R:.*]] = tilec.dispatch "relu"(%[[C]])
// CHECK: return %[[R]], %[[C]]
func.func @extra_use(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %c = tilec.conv2d %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = tilec.relu %c : tensor<1x2x4x4xf32>
  return %y, %c : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A consumer that broadcasts to a larger shape changes the iteration space: not fused.
// CHECK-LABEL: func.func @broadcast_consumer
// CHECK: tilec.dispatch "linear"
// CHECK: tilec.dispatch "add"
func.func @broadcast_consumer(%x: tensor<1x4xf32>, %w: tensor<3x4xf32>, %big: tensor<5x3xf32>) -> tensor<5x3xf32> {
  %l = tilec.linear %x, %w : (tensor<1x4xf32>, tensor<3x4xf32>) -> tensor<1x3xf32>
  %y = tilec.add %l, %big : (tensor<1x3xf32>, tensor<5x3xf32>) -> tensor<5x3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// The add's other operand (the sigmoid) is computed after the conv, so the add
// cannot join the conv's dispatch (its use would precede its definition); it
// joins the sigmoid's, whose side input (the conv) comes earlier.
// CHECK-LABEL: func.func @late_operand
// CHECK: %[[C:.*]] = tilec.dispatch "conv2d"(%arg0, %arg1) {signature = "conv2d({{[^+]*}}"}
// CHECK: tilec.dispatch "sigmoid"(%arg0, %[[C]]) {signature = "sigmoid(1x2x4x4xf32)+add(1x2x4x4xf32,1x2x4x4xf32)"}
// CHECK-NOT: tilec.dispatch "add"
func.func @late_operand(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %c = tilec.conv2d %x, %w : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = tilec.sigmoid %x : tensor<1x2x4x4xf32>
  %y = tilec.add %c, %s : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Views and constants stay outside dispatches; weights are dispatch inputs.
// CHECK-LABEL: func.func @views_outside
// CHECK: %[[W:.*]] = tilec.constant
// CHECK: %[[F:.*]] = tilec.flatten %arg0
// CHECK: tilec.dispatch "linear"(%[[F]], %[[W]])
func.func @views_outside(%x: tensor<1x2x2x2xf32>) -> tensor<1x3xf32> {
  %w = tilec.constant {name = "fc.weight"} dense<1.0> : tensor<3x8xf32>
  %f = tilec.flatten %x : (tensor<1x2x2x2xf32>) -> tensor<1x8xf32>
  %y = tilec.linear %f, %w : (tensor<1x8xf32>, tensor<3x8xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// An unknown fusion mode is an error, not a silent default.
// RUN: not tilec-opt %s -split-input-file --tilec-form-dispatches=fusion=all 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: fusion must be 'default' or 'none', got 'all'
func.func @any(%x: tensor<2xf32>) -> tensor<2xf32> {
  %y = tilec.relu %x : tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

// Squeeze-and-excitation: pool, 1x1 convs, activations and the gating mul are one
// dispatch; the relu after it joins by the ordinary rule.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK: tilec.dispatch "global_avg_pool"(%arg0, %arg1, %arg2) {signature = "global_avg_pool({{.*}}+conv2d({{.*}}+relu({{.*}}+conv2d({{.*}}+sigmoid({{.*}}+mul({{.*}}+relu({{.*}}"}
// CHECK-NOT: tilec.dispatch
func.func @squeeze_excite(%x: tensor<1x8x5x5xf32>, %w1: tensor<2x8x1x1xf32>, %w2: tensor<8x2x1x1xf32>) -> tensor<1x8x5x5xf32> {
  %p = tilec.global_avg_pool %x : (tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32>
  %a = tilec.conv2d %p, %w1 : (tensor<1x8x1x1xf32>, tensor<2x8x1x1xf32>) -> tensor<1x2x1x1xf32>
  %r = tilec.relu %a : tensor<1x2x1x1xf32>
  %b = tilec.conv2d %r, %w2 : (tensor<1x2x1x1xf32>, tensor<8x2x1x1xf32>) -> tensor<1x8x1x1xf32>
  %g = tilec.sigmoid %b : tensor<1x8x1x1xf32>
  %m = tilec.mul %x, %g : (tensor<1x8x5x5xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x5x5xf32>
  %y = tilec.relu %m : tensor<1x8x5x5xf32>
  return %y : tensor<1x8x5x5xf32>
}

// -----

// The pooled value is also returned: not a squeeze-excite block, ordinary rules.
// CHECK-LABEL: func.func @pool_with_extra_use
// CHECK: tilec.dispatch "global_avg_pool"(%arg0) {signature = "global_avg_pool({{[^+]*}}"}
// CHECK: tilec.dispatch "sigmoid"
// CHECK: tilec.dispatch "mul"
func.func @pool_with_extra_use(%x: tensor<1x8x5x5xf32>) -> (tensor<1x8x5x5xf32>, tensor<1x8x1x1xf32>) {
  %p = tilec.global_avg_pool %x : (tensor<1x8x5x5xf32>) -> tensor<1x8x1x1xf32>
  %g = tilec.sigmoid %p : tensor<1x8x1x1xf32>
  %m = tilec.mul %x, %g : (tensor<1x8x5x5xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x5x5xf32>
  return %m, %p : tensor<1x8x5x5xf32>, tensor<1x8x1x1xf32>
}

// -----

// A batch-1 channel concat takes no consumers (plan-memory writes its operands
// in place and it runs no kernel; the relu gets its own dispatch). At batch 2
// the slices are not contiguous: the concat copies and fuses its consumer.
// CHECK-LABEL: func.func @concat_consumers
// CHECK: tilec.dispatch "concat"{{.*}}signature = "concat(1x2x4x4xf32,1x2x4x4xf32){axis = 1 : i64}"
// CHECK: tilec.dispatch "relu"
// CHECK: tilec.dispatch "concat"{{.*}}signature = "concat(2x2x4x4xf32,2x2x4x4xf32){axis = 1 : i64}+relu(2x4x4x4xf32)"
func.func @concat_consumers(%a: tensor<1x2x4x4xf32>, %b: tensor<2x2x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<2x4x4x4xf32>) {
  %c = tilec.concat %a, %a {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %r = tilec.relu %c : tensor<1x4x4x4xf32>
  %d = tilec.concat %b, %b {axis = 1 : i64} : (tensor<2x2x4x4xf32>, tensor<2x2x4x4xf32>) -> tensor<2x4x4x4xf32>
  %s = tilec.relu %d : tensor<2x4x4x4xf32>
  return %r, %s : tensor<1x4x4x4xf32>, tensor<2x4x4x4xf32>
}

// -----

// A convolution's windows (tilec.im2col) feeding a matmul join its dispatch
// ahead of it (implicit GEMM: the GPU kernel reads the windows from the
// input); the dispatch is named after the matmul and placed where it was.
// CHECK-LABEL: func.func @implicit_gemm
// CHECK: %[[W:.*]] = tilec.reshape %arg1
// CHECK: %[[D:.*]] = tilec.dispatch "matmul"(%arg0, %[[W]], %arg2) {signature = "im2col({{[^+]*}}+matmul({{[^+]*}}+add(
// CHECK: tilec.im2col
// CHECK: tilec.matmul
// CHECK: tilec.add
// CHECK: tilec.yield
// CHECK-NOT: tilec.dispatch
// CHECK: return %[[D]]
// NONE-LABEL: func.func @implicit_gemm
// NONE-COUNT-3: tilec.dispatch
func.func @implicit_gemm(%x: tensor<1x4x4x16xbf16>, %w: tensor<3x3x16x8xbf16>, %b: tensor<8xf32>) -> tensor<16x8xf32> {
  %c = tilec.im2col %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x4x16xbf16>) -> tensor<16x144xbf16>
  %wm = tilec.reshape %w {shape = array<i64: 144, 8>} : (tensor<3x3x16x8xbf16>) -> tensor<144x8xbf16>
  %m = tilec.matmul %c, %wm : (tensor<16x144xbf16>, tensor<144x8xbf16>) -> tensor<16x8xf32>
  %y = tilec.add %m, %b : (tensor<16x8xf32>, tensor<8xf32>) -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}

// -----

// Windows with a second use are written out: their own dispatch.
// CHECK-LABEL: func.func @windows_used_twice
// CHECK: tilec.dispatch "im2col"
// CHECK: tilec.dispatch "matmul"(%{{.*}}) {signature = "matmul(
func.func @windows_used_twice(%x: tensor<1x4x4x16xbf16>, %w: tensor<144x8xbf16>) -> (tensor<16x8xf32>, tensor<16x144xbf16>) {
  %c = tilec.im2col %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>} : (tensor<1x4x4x16xbf16>) -> tensor<16x144xbf16>
  %m = tilec.matmul %c, %w : (tensor<16x144xbf16>, tensor<144x8xbf16>) -> tensor<16x8xf32>
  return %m, %c : tensor<16x8xf32>, tensor<16x144xbf16>
}

// -----

// Windows of 3 channels (a stem, ViT's patches) would be read 2 bytes at a
// time: written out by a dispatch of their own.
// CHECK-LABEL: func.func @windows_of_three_channels
// CHECK: tilec.dispatch "im2col"
// CHECK: tilec.dispatch "matmul"(%{{.*}}) {signature = "matmul(
func.func @windows_of_three_channels(%x: tensor<1x16x16x3xbf16>, %w: tensor<48x8xbf16>) -> tensor<16x8xf32> {
  %c = tilec.im2col %x {kernel = array<i64: 4, 4>, strides = array<i64: 4, 4>, padding = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>} : (tensor<1x16x16x3xbf16>) -> tensor<16x48xbf16>
  %m = tilec.matmul %c, %w : (tensor<16x48xbf16>, tensor<48x8xbf16>) -> tensor<16x8xf32>
  return %m : tensor<16x8xf32>
}

// -----

// Zero rows tilec-pad-rows adds to a 2-d product's left operand join the
// product's dispatch (implicit padding); a pad of columns, or of a value with
// another use, keeps a dispatch of its own.
// CHECK-LABEL: func.func @padded_rows
// CHECK: tilec.dispatch "linear"(%arg0, %arg1, %arg2) {signature = "pad({{.*}}}+linear(
// CHECK: tilec.dispatch "pad"
// CHECK: tilec.dispatch "matmul"
func.func @padded_rows(%x: tensor<197x64xbf16>, %w: tensor<32x64xbf16>, %b: tensor<32xf32>, %y: tensor<40x60xbf16>, %v: tensor<64x16xbf16>) -> (tensor<208x32xf32>, tensor<40x16xf32>) {
  %p = tilec.pad %x {pads = array<i64: 0, 0, 11, 0>} : (tensor<197x64xbf16>) -> tensor<208x64xbf16>
  %l = tilec.linear %p, %w, %b : (tensor<208x64xbf16>, tensor<32x64xbf16>, tensor<32xf32>) -> tensor<208x32xf32>
  %q = tilec.pad %y {pads = array<i64: 0, 0, 0, 4>} : (tensor<40x60xbf16>) -> tensor<40x64xbf16>
  %m = tilec.matmul %q, %v : (tensor<40x64xbf16>, tensor<64x16xbf16>) -> tensor<40x16xf32>
  return %l, %m : tensor<208x32xf32>, tensor<40x16xf32>
}

// -----

// A residual stored in bf16 (tilec-set-precision) and widened for the add
// of a GEMM's epilogue, through a reshape: the widening moves below the
// reshape (a view of the bf16 value) and joins the GEMM's dispatch, which
// reads the bf16 tensor; no dispatch of its own.
// CHECK-LABEL: func.func @widened_residual
// CHECK: %[[V:.*]] = tilec.reshape %arg2 {shape = array<i64: 8, 4>} : (tensor<2x4x4xbf16>) -> tensor<8x4xbf16>
// CHECK: tilec.dispatch "matmul"(%arg0, %arg1, %[[V]]) {signature = "matmul({{.*}})+convert(8x4xbf16)+add({{.*}})+relu({{.*}})"}
// CHECK: tilec.convert %{{.*}} : tensor<8x4xbf16> -> tensor<8x4xf32>
// CHECK-NOT: tilec.dispatch
func.func @widened_residual(%a: tensor<8x3xbf16>, %b: tensor<3x4xbf16>, %r: tensor<2x4x4xbf16>) -> tensor<8x4xf32> {
  %w = tilec.convert %r : tensor<2x4x4xbf16> -> tensor<2x4x4xf32>
  %v = tilec.reshape %w {shape = array<i64: 8, 4>} : (tensor<2x4x4xf32>) -> tensor<8x4xf32>
  %m = tilec.matmul %a, %b : (tensor<8x3xbf16>, tensor<3x4xbf16>) -> tensor<8x4xf32>
  %s = tilec.add %m, %v : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %y = tilec.relu %s : tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// A widening whose reader is no fused consumer (an add of two graph
// inputs: its own dispatch's root) is a dispatch of its own, in program
// order, not taken into the reader's.
// CHECK-LABEL: func.func @widened_alone
// CHECK: %[[W:.*]] = tilec.dispatch "convert"(%arg0)
// CHECK: tilec.dispatch "add"(%arg1, %[[W]]) {signature = "add(4x4xf32,4x4xf32)"}
func.func @widened_alone(%r: tensor<4x4xbf16>, %x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %w = tilec.convert %r : tensor<4x4xbf16> -> tensor<4x4xf32>
  %s = tilec.add %x, %w : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %s : tensor<4x4xf32>
}
