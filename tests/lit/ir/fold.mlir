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
