// Folders the graph pipeline's canonicalize relies on.
// RUN: tilec-opt %s --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @identities
// Dropout and an adaptive pool to the input's own size are the identity.
// CHECK-NOT: tilec.dropout
// CHECK-NOT: tilec.adaptive_avg_pool2d {{.*}} -> tensor<1x3x7x7xf32>
// An adaptive pool that changes the size stays.
// CHECK: tilec.adaptive_avg_pool2d {{.*}} -> tensor<1x3x1x1xf32>
func.func @identities(%x: tensor<1x3x7x7xf32>) -> tensor<1x3x1x1xf32> {
  %d = tilec.dropout %x {ratio = 5.000000e-01 : f64} : tensor<1x3x7x7xf32>
  %a = tilec.adaptive_avg_pool2d %d {output_size = array<i64: 7, 7>} : (tensor<1x3x7x7xf32>) -> tensor<1x3x7x7xf32>
  %g = tilec.adaptive_avg_pool2d %a {output_size = array<i64: 1, 1>} : (tensor<1x3x7x7xf32>) -> tensor<1x3x1x1xf32>
  return %g : tensor<1x3x1x1xf32>
}

// A convert to the type it already has is its operand; a round trip through
// bf16 is a rounding and stays.
// CHECK-LABEL: func.func @convert_fold
// CHECK-NOT: tilec.convert %arg0 : tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[H:.*]] = tilec.convert %arg0 : tensor<4xf32> -> tensor<4xbf16>
// CHECK: %[[F:.*]] = tilec.convert %[[H]] : tensor<4xbf16> -> tensor<4xf32>
// CHECK: return %[[F]]
func.func @convert_fold(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = tilec.convert %x : tensor<4xf32> -> tensor<4xf32>
  %h = tilec.convert %s : tensor<4xf32> -> tensor<4xbf16>
  %f = tilec.convert %h : tensor<4xbf16> -> tensor<4xf32>
  return %f : tensor<4xf32>
}
