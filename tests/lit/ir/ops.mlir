// Every tilec op parses, verifies and prints back to a form that parses again;
// the same holds for the generic form and for bytecode.
// RUN: tilec-opt %s | tilec-opt | FileCheck %s
// RUN: tilec-opt %s --mlir-print-op-generic | tilec-opt | FileCheck %s
// RUN: tilec-opt %s --emit-bytecode | tilec-opt | FileCheck %s

// CHECK-LABEL: func.func @conv
func.func @conv(%x: tensor<1x6x9x9xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: tilec.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 2>, groups = 2 : i64, padding = array<i64: 0, 1, 1, 2>, strides = array<i64: 2, 2>}
  %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 1, 2>, dilations = array<i64: 1, 2>, groups = 2} : (tensor<1x6x9x9xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func @depthwise_no_bias
func.func @depthwise_no_bias(%x: tensor<2x8x7x7xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<2x8x7x7xf32> {
  // CHECK: tilec.conv2d %{{.*}}, %{{.*}} {groups = 8 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x7x7xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x7x7xf32>
  %y = tilec.conv2d %x, %w {groups = 8, padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x7x7xf32>, tensor<8x1x3x3xf32>) -> tensor<2x8x7x7xf32>
  return %y : tensor<2x8x7x7xf32>
}

// CHECK-LABEL: func.func @products
func.func @products(%a: tensor<2x1x5x3xf32>, %b: tensor<4x3x6xf32>, %x: tensor<7x3xf32>, %w: tensor<2x3xf32>, %bias: tensor<2xf32>) -> (tensor<2x4x5x6xf32>, tensor<7x2xf32>) {
  // CHECK: tilec.matmul {{.*}} -> tensor<2x4x5x6xf32>
  %m = tilec.matmul %a, %b : (tensor<2x1x5x3xf32>, tensor<4x3x6xf32>) -> tensor<2x4x5x6xf32>
  // CHECK: tilec.linear {{.*}} -> tensor<7x2xf32>
  %l = tilec.linear %x, %w, %bias : (tensor<7x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<7x2xf32>
  return %m, %l : tensor<2x4x5x6xf32>, tensor<7x2xf32>
}

// CHECK-LABEL: func.func @attention
func.func @attention(%q: tensor<2x5x8xf32>, %k: tensor<2x7x8xf32>, %v: tensor<2x7x4xf32>) -> tensor<2x5x4xf32> {
  // CHECK: tilec.attention %{{.*}}, %{{.*}}, %{{.*}} {scale = 1.250000e-01 : f64} : {{.*}} -> tensor<2x5x4xf32>
  %o = tilec.attention %q, %k, %v {scale = 0.125} : (tensor<2x5x8xf32>, tensor<2x7x8xf32>, tensor<2x7x4xf32>) -> tensor<2x5x4xf32>
  return %o : tensor<2x5x4xf32>
}

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<2x3x4xf32>, %y: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  // CHECK: tilec.add
  // CHECK: tilec.sub
  // CHECK: tilec.mul
  // CHECK: tilec.div
  %0 = tilec.add %x, %y : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %1 = tilec.sub %0, %y : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  %2 = tilec.mul %1, %x : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %3 = tilec.div %2, %y : (tensor<2x3x4xf32>, tensor<3x1xf32>) -> tensor<2x3x4xf32>
  // CHECK: tilec.relu %{{.*}} : tensor<2x3x4xf32>
  // CHECK: tilec.leaky_relu %{{.*}} {alpha = 2.000000e-01 : f64}
  // CHECK: tilec.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  // CHECK: tilec.sigmoid
  // CHECK: tilec.tanh
  // CHECK: tilec.silu
  // CHECK: tilec.hardswish
  // CHECK: tilec.hardsigmoid
  // CHECK: tilec.gelu %{{.*}} {approximate = "tanh"}
  // CHECK: tilec.exp
  // CHECK: tilec.sqrt
  // CHECK: tilec.reciprocal
  // CHECK: tilec.erf
  // CHECK: tilec.neg
  // CHECK: tilec.dropout %{{.*}} {ratio = 1.000000e-01 : f64}
  %4 = tilec.relu %3 : tensor<2x3x4xf32>
  %5 = tilec.leaky_relu %4 {alpha = 0.2} : tensor<2x3x4xf32>
  %6 = tilec.clip %5 {min = 0.0, max = 6.0} : tensor<2x3x4xf32>
  %7 = tilec.sigmoid %6 : tensor<2x3x4xf32>
  %8 = tilec.tanh %7 : tensor<2x3x4xf32>
  %9 = tilec.silu %8 : tensor<2x3x4xf32>
  %10 = tilec.hardswish %9 : tensor<2x3x4xf32>
  %11 = tilec.hardsigmoid %10 : tensor<2x3x4xf32>
  %12 = tilec.gelu %11 {approximate = "tanh"} : tensor<2x3x4xf32>
  %13 = tilec.exp %12 : tensor<2x3x4xf32>
  %14 = tilec.sqrt %13 : tensor<2x3x4xf32>
  %15 = tilec.reciprocal %14 : tensor<2x3x4xf32>
  %16 = tilec.erf %15 : tensor<2x3x4xf32>
  %17 = tilec.neg %16 : tensor<2x3x4xf32>
  %18 = tilec.dropout %17 {ratio = 0.1} : tensor<2x3x4xf32>
  return %18 : tensor<2x3x4xf32>
}

// CHECK-LABEL: func.func @normalization
func.func @normalization(%x: tensor<2x4x3x3xf32>, %c: tensor<4xf32>, %t: tensor<2x5x8xf32>, %d: tensor<8xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x5x8xf32>) {
  // CHECK: tilec.softmax %{{.*}} {axis = 1 : i64} : tensor<2x4x3x3xf32>
  // CHECK: tilec.batch_norm {{.*}} {epsilon = 1.000000e-03 : f64}
  // CHECK: tilec.lrn %{{.*}} {size = 3 : i64} : tensor<2x4x3x3xf32>
  // CHECK: tilec.layer_norm {{.*}} {epsilon = 9.9999999999999995E-7 : f64}
  %0 = tilec.softmax %x {axis = 1} : tensor<2x4x3x3xf32>
  %1 = tilec.batch_norm %0, %c, %c, %c, %c {epsilon = 1.0e-3} : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  %2 = tilec.lrn %1 {size = 3} : tensor<2x4x3x3xf32>
  %3 = tilec.layer_norm %t, %d, %d {epsilon = 1.0e-6} : (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  return %2, %3 : tensor<2x4x3x3xf32>, tensor<2x5x8xf32>
}

// CHECK-LABEL: func.func @pooling
func.func @pooling(%x: tensor<1x3x10x7xf32>) -> (tensor<1x3x5x3xf32>, tensor<1x3x5x4xf32>, tensor<1x3x1x1xf32>, tensor<1x3x7x7xf32>) {
  // CHECK: tilec.max_pool2d {{.*}} -> tensor<1x3x5x3xf32>
  // CHECK: tilec.avg_pool2d {{.*}} -> tensor<1x3x5x4xf32>
  // CHECK: tilec.global_avg_pool {{.*}} -> tensor<1x3x1x1xf32>
  // CHECK: tilec.adaptive_avg_pool2d {{.*}} -> tensor<1x3x7x7xf32>
  %0 = tilec.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, ceil_mode = true} : (tensor<1x3x10x7xf32>) -> tensor<1x3x5x3xf32>
  %1 = tilec.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, padding = array<i64: 0, 1, 0, 0>, count_include_pad = false} : (tensor<1x3x10x7xf32>) -> tensor<1x3x5x4xf32>
  %2 = tilec.global_avg_pool %x : (tensor<1x3x10x7xf32>) -> tensor<1x3x1x1xf32>
  %3 = tilec.adaptive_avg_pool2d %x {output_size = array<i64: 7, 7>} : (tensor<1x3x10x7xf32>) -> tensor<1x3x7x7xf32>
  return %0, %1, %2, %3 : tensor<1x3x5x3xf32>, tensor<1x3x5x4xf32>, tensor<1x3x1x1xf32>, tensor<1x3x7x7xf32>
}

// CHECK-LABEL: func.func @data_movement
func.func @data_movement(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>) -> (tensor<2x8x4xf32>, tensor<4x6xf32>, tensor<2x12xf32>, tensor<4x2x3xf32>, tensor<2x2x2xf32>, tensor<3x5x5xf32>, tensor<3x2x3x4xf32>) {
  // CHECK: tilec.concat {{.*}} {axis = 1 : i64}
  // CHECK: tilec.reshape {{.*}} {shape = array<i64: 4, -1>}
  // CHECK: tilec.flatten
  // CHECK: tilec.transpose {{.*}} {permutation = array<i64: 2, 0, 1>}
  // CHECK: tilec.slice
  // CHECK: tilec.pad
  // CHECK: tilec.broadcast
  %0 = tilec.concat %x, %y {axis = 1} : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  %1 = tilec.reshape %x {shape = array<i64: 4, -1>} : (tensor<2x3x4xf32>) -> tensor<4x6xf32>
  %2 = tilec.flatten %x : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %3 = tilec.transpose %x {permutation = array<i64: 2, 0, 1>} : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  %4 = tilec.slice %x {axes = array<i64: 1, 2>, starts = array<i64: -2, 0>, ends = array<i64: 100, 4>, steps = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x2x2xf32>
  %5 = tilec.pad %x {pads = array<i64: 0, 1, 0, 1, 1, 1>, value = 1.0} : (tensor<2x3x4xf32>) -> tensor<3x5x5xf32>
  %6 = tilec.broadcast %x {shape = array<i64: 3, 2, 3, 4>} : (tensor<2x3x4xf32>) -> tensor<3x2x3x4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<2x8x4xf32>, tensor<4x6xf32>, tensor<2x12xf32>, tensor<4x2x3xf32>, tensor<2x2x2xf32>, tensor<3x5x5xf32>, tensor<3x2x3x4xf32>
}

// Convolution windows as matrix rows: 8x8 input, 3x3 window, stride 2,
// padding 1 -> 4x4 pixels = 16 rows of 3*3*4 = 36 columns (2 images: 32).
// CHECK-LABEL: func.func @im2col
// CHECK: tilec.im2col %arg0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<2x8x8x4xbf16>) -> tensor<32x36xbf16>
func.func @im2col(%x: tensor<2x8x8x4xbf16>) -> tensor<32x36xbf16> {
  %y = tilec.im2col %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<2x8x8x4xbf16>) -> tensor<32x36xbf16>
  return %y : tensor<32x36xbf16>
}

// CHECK-LABEL: func.func @reductions
func.func @reductions(%x: tensor<2x3x4xf32>) -> (tensor<2x1x1xf32>, tensor<4xf32>, tensor<2x3x1xf32>) {
  // CHECK: tilec.reduce_mean
  // CHECK: tilec.reduce_sum {{.*}} {axes = array<i64: 0, 1>, keepdims = false}
  // CHECK: tilec.reduce_max
  %0 = tilec.reduce_mean %x {axes = array<i64: 1, 2>} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  %1 = tilec.reduce_sum %x {axes = array<i64: 0, 1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<4xf32>
  %2 = tilec.reduce_max %x {axes = array<i64: -1>} : (tensor<2x3x4xf32>) -> tensor<2x3x1xf32>
  return %0, %1, %2 : tensor<2x1x1xf32>, tensor<4xf32>, tensor<2x3x1xf32>
}

// 16-bit contraction operands accumulate in f32.
// CHECK-LABEL: func.func @reduced_precision
func.func @reduced_precision(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xbf16>, %b: tensor<4xf32>) -> tensor<1x6x6x4xf32> {
  // CHECK: tilec.convert %{{.*}} : tensor<1x8x8x3xf32> -> tensor<1x8x8x3xbf16>
  %h = tilec.convert %x : tensor<1x8x8x3xf32> -> tensor<1x8x8x3xbf16>
  // CHECK: tilec.conv2d {{.*}} : (tensor<1x8x8x3xbf16>, tensor<3x3x3x4xbf16>, tensor<4xf32>) -> tensor<1x6x6x4xf32>
  %y = tilec.conv2d %h, %w, %b {layout = "nhwc"} : (tensor<1x8x8x3xbf16>, tensor<3x3x3x4xbf16>, tensor<4xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}

// Weights are resources: the blob is printed once in the file's resource section.
// CHECK-LABEL: func.func @weights
func.func @weights() -> tensor<2xf32> {
  // CHECK: tilec.constant {name = "fc.bias"} dense_resource<fc.bias> : tensor<2xf32>
  %0 = tilec.constant {name = "fc.bias"} dense_resource<fc.bias> : tensor<2xf32>
  return %0 : tensor<2xf32>
}
// CHECK: dialect_resources
// CHECK: fc.bias: "0x040000000000803F00000040"
{-#
  dialect_resources: {
    builtin: {
      fc.bias: "0x040000000000803F00000040"
    }
  }
#-}

