// RUN: tilec-opt %s -split-input-file --tilec-assign-layouts=layout=nhwc | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-assign-layouts | FileCheck %s --check-prefix=AUTO
// RUN: tilec-opt %s -split-input-file --tilec-assign-layouts=layout=nchw | FileCheck %s --check-prefix=NCHW
// RUN: not tilec-opt %s -split-input-file --tilec-assign-layouts=layout=nchwc 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: tilec-assign-layouts: layout must be 'auto', 'nhwc' or 'nchw', got 'nchwc'

// conv -> relu -> scale -> conv -> residual add: one transpose at the input, one
// at the output, none in between; weights become HWIO constants, the [C, 1, 1]
// scale a [1, 1, 1, C] constant.
// CHECK-LABEL: func.func @chain
// CHECK-DAG: %[[S:.*]] = tilec.constant {{.*}} : tensor<1x1x1x4xf32>
// CHECK-DAG: %[[W2:.*]] = tilec.constant {{.*}} : tensor<1x1x4x4xf32>
// CHECK-DAG: %[[W1:.*]] = tilec.constant {{.*}} : tensor<3x3x3x4xf32>
// CHECK: %[[X:.*]] = tilec.transpose %arg0 {permutation = array<i64: 0, 2, 3, 1>}
// CHECK: %[[A:.*]] = tilec.conv2d %[[X]], %[[W1]] {layout = "nhwc", padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[R:.*]] = tilec.relu %[[A]] : tensor<1x8x8x4xf32>
// CHECK: %[[M:.*]] = tilec.mul %[[R]], %[[S]]
// CHECK: %[[B:.*]] = tilec.conv2d %[[M]], %[[W2]] {layout = "nhwc"}
// CHECK: %[[Y:.*]] = tilec.add %[[B]], %[[R]] : (tensor<1x8x8x4xf32>, tensor<1x8x8x4xf32>)
// CHECK: %[[T:.*]] = tilec.transpose %[[Y]] {permutation = array<i64: 0, 3, 1, 2>}
// CHECK: return %[[T]] : tensor<1x4x8x8xf32>
// layout=auto: no concat to keep in place, so channels last.
// AUTO-LABEL: func.func @chain
// AUTO-SAME: tilec.layout = "nhwc"
// AUTO: tilec.conv2d {{.*}}layout = "nhwc"
// NCHW-LABEL: func.func @chain
// NCHW-SAME: tilec.layout = "nchw"
// NCHW-NOT: tilec.transpose
// NCHW-NOT: layout
// NCHW: return
func.func @chain(%x: tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w1 = tilec.constant dense<0.5> : tensor<4x3x3x3xf32>
  %w2 = tilec.constant dense<0.25> : tensor<4x4x1x1xf32>
  %s = tilec.constant dense<2.0> : tensor<4x1x1xf32>
  %a = tilec.conv2d %x, %w1 {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %r = tilec.relu %a : tensor<1x4x8x8xf32>
  %m = tilec.mul %r, %s : (tensor<1x4x8x8xf32>, tensor<4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %b = tilec.conv2d %m, %w2 : (tensor<1x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x8xf32>
  %y = tilec.add %b, %r : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Depthwise conv, max pool, channel concat (axis 1 -> 3), global pool and
// flatten: the only layout change left is at the input; the pooled
// [N, 1, 1, C] -> [N, C, 1, 1] transpose moves unit dims only and becomes a
// reshape (a view).
// CHECK-LABEL: func.func @classifier
// CHECK: tilec.transpose %arg0 {permutation = array<i64: 0, 2, 3, 1>}
// CHECK: tilec.conv2d {{.*}} {groups = 4 : i64, layout = "nhwc", padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x4xf32>, tensor<3x3x1x4xf32>) -> tensor<1x8x8x4xf32>
// CHECK: tilec.max_pool2d {{.*}} layout = "nhwc"{{.*}} -> tensor<1x4x4x4xf32>
// CHECK: tilec.concat {{.*}} {axis = 3 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x8xf32>
// CHECK: tilec.global_avg_pool {{.*}} {layout = "nhwc"} : (tensor<1x4x4x8xf32>) -> tensor<1x1x1x8xf32>
// CHECK-NOT: tilec.transpose
// CHECK: tilec.reshape {{.*}} : (tensor<1x1x1x8xf32>) -> tensor<1x8x1x1xf32>
// CHECK: tilec.flatten
// layout=auto keeps the NCHW layout here, since the concat (512 B, written in place at batch 1)
// is more than a quarter of what the convolution and pools write (1312 B); the
// stem (the ops before the first whose result reaches the concat: the
// depthwise conv) is still channels last, with one transpose where it ends.
// AUTO-LABEL: func.func @classifier
// AUTO-SAME: tilec.layout = "nchw"
// AUTO-SAME: tilec.layout_reason = "channel concats written in place in NCHW
// AUTO-SAME: the 1 convolutions and pools of the stem, before the concats, are channels last
// AUTO: tilec.transpose %arg0 {permutation = array<i64: 0, 2, 3, 1>}
// AUTO: tilec.conv2d {{.*}}layout = "nhwc"
// AUTO: tilec.transpose {{.*}} {permutation = array<i64: 0, 3, 1, 2>}
// AUTO: tilec.max_pool2d
// AUTO-NOT: layout = "nhwc"
// AUTO-NOT: tilec.transpose
// AUTO: return
func.func @classifier(%x: tensor<1x4x8x8xf32>) -> tensor<1x8xf32> {
  %w = tilec.constant dense<0.5> : tensor<4x1x3x3xf32>
  %d = tilec.conv2d %x, %w {groups = 4 : i64, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  %p = tilec.max_pool2d %d {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %n = tilec.neg %p : tensor<1x4x4x4xf32>
  %c = tilec.concat %p, %n {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  %g = tilec.global_avg_pool %c : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  %f = tilec.flatten %g : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
  return %f : tensor<1x8xf32>
}

// -----

// Squeeze-and-excitation: a mean over H, W (keepdims) follows the transpose
// (axes 2, 3 -> 1, 2), and the gate [N, C, 1, 1] joins the NHWC product.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK: tilec.reduce_mean {{.*}} {axes = array<i64: 1, 2>} : (tensor<1x6x6x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK: tilec.sigmoid {{.*}} : tensor<1x1x1x4xf32>
// CHECK: tilec.mul {{.*}} : (tensor<1x6x6x4xf32>, tensor<1x1x1x4xf32>) -> tensor<1x6x6x4xf32>
// CHECK: tilec.transpose {{.*}} {permutation = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: tilec.transpose
// CHECK: return
func.func @squeeze_excite(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %w = tilec.constant dense<0.5> : tensor<4x4x1x1xf32>
  %a = tilec.conv2d %x, %w : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %m = tilec.reduce_mean %a {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x4x6x6xf32>) -> tensor<1x4x1x1xf32>
  %s = tilec.sigmoid %m : tensor<1x4x1x1xf32>
  %y = tilec.mul %a, %s : (tensor<1x4x6x6xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// Left alone: a grouped (not depthwise) convolution has no NHWC form here, and
// an elementwise op whose other operand would need a copy (a full-size
// function argument) keeps the transpose in front of it rather than adding one.
// CHECK-LABEL: func.func @unconvertible
// CHECK: tilec.conv2d %arg0, {{.*}} {groups = 2 : i64} : (tensor<1x4x6x6xf32>
// CHECK: %[[C:.*]] = tilec.conv2d {{.*}} {layout = "nhwc"}
// CHECK: %[[T:.*]] = tilec.transpose %[[C]] {permutation = array<i64: 0, 3, 1, 2>}
// CHECK: tilec.add %[[T]], %arg1 : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>)
func.func @unconvertible(%x: tensor<1x4x6x6xf32>, %z: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %wg = tilec.constant dense<0.5> : tensor<4x2x1x1xf32>
  %w = tilec.constant dense<0.5> : tensor<4x4x1x1xf32>
  %g = tilec.conv2d %x, %wg {groups = 2 : i64} : (tensor<1x4x6x6xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x6x6xf32>
  %c = tilec.conv2d %g, %w : (tensor<1x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  %y = tilec.add %c, %z : (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// A flatten of the NHWC map feeding a matmul with a constant weight: the
// transpose back to NCHW folds into the weight (its rows permuted to the NHWC
// order), so the classifier reads the map as it is.
// CHECK-LABEL: func.func @classifier_weights
// CHECK: %[[W:.*]] = tilec.constant {name = "fc.nhwc_rows"} {{.*}} : tensor<32x10xf32>
// CHECK: %[[C:.*]] = tilec.conv2d {{.*}} -> tensor<1x4x4x2xf32>
// CHECK-NOT: tilec.transpose
// CHECK: %[[F:.*]] = tilec.flatten %[[C]] : (tensor<1x4x4x2xf32>) -> tensor<1x32xf32>
// CHECK: tilec.matmul %[[F]], %[[W]]
func.func @classifier_weights(%x: tensor<1x1x4x4xf32>) -> tensor<1x10xf32> {
  %w = tilec.constant dense<0.5> : tensor<2x1x1x1xf32>
  %fc = tilec.constant {name = "fc"} dense<0.25> : tensor<32x10xf32>
  %c = tilec.conv2d %x, %w : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %f = tilec.flatten %c : (tensor<1x2x4x4xf32>) -> tensor<1x32xf32>
  %y = tilec.matmul %f, %fc : (tensor<1x32xf32>, tensor<32x10xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

// At batch 2 NCHW copies the concat in whole planes (not in place), still
// cheaper than channel-sized pieces: layout=auto keeps NCHW and says so.
// AUTO-LABEL: func.func @concat_batch2
// AUTO-SAME: tilec.layout = "nchw"
// AUTO-SAME: channel concats copied in whole planes in NCHW
func.func @concat_batch2(%x: tensor<2x4x8x8xf32>) -> tensor<2x8x8x8xf32> {
  %w = tilec.constant dense<0.5> : tensor<4x4x1x1xf32>
  %a = tilec.conv2d %x, %w : (tensor<2x4x8x8xf32>, tensor<4x4x1x1xf32>) -> tensor<2x4x8x8xf32>
  %n = tilec.neg %a : tensor<2x4x8x8xf32>
  %c = tilec.concat %a, %n {axis = 1 : i64} : (tensor<2x4x8x8xf32>, tensor<2x4x8x8xf32>) -> tensor<2x8x8x8xf32>
  return %c : tensor<2x8x8x8xf32>
}

// -----

// ViT's patch embedding: the NHWC conv's [1, 2, 2, 8] result goes to tokens
// [1, 4, 8] by a reshape that merges H and W (consecutive in NHWC) and a
// transpose; the transpose back to NCHW sinks through the reshape and cancels
// that one: no transpose after the conv.
// CHECK-LABEL: func.func @patch_embedding
// CHECK: %[[C:.*]] = tilec.conv2d {{.*}} -> tensor<1x2x2x8xf32>
// CHECK-NOT: tilec.transpose
// CHECK: tilec.reshape %[[C]] {shape = array<i64: 1, 4, 8>} : (tensor<1x2x2x8xf32>) -> tensor<1x4x8xf32>
// CHECK-NOT: tilec.transpose
// CHECK: return
func.func @patch_embedding(%x: tensor<1x3x4x4xf32>) -> tensor<1x4x8xf32> {
  %w = tilec.constant dense<0.5> : tensor<8x3x2x2xf32>
  %c = tilec.conv2d %x, %w {strides = array<i64: 2, 2>} : (tensor<1x3x4x4xf32>, tensor<8x3x2x2xf32>) -> tensor<1x8x2x2xf32>
  %r = tilec.reshape %c {shape = array<i64: 1, 8, 4>} : (tensor<1x8x2x2xf32>) -> tensor<1x8x4xf32>
  %t = tilec.transpose %r {permutation = array<i64: 0, 2, 1>} : (tensor<1x8x4xf32>) -> tensor<1x4x8xf32>
  return %t : tensor<1x4x8xf32>
}
