// RUN: tilec-opt %s -split-input-file --tilec-fuse-attention | FileCheck %s

// The zoo's form: scale applied to the scores.
// CHECK-LABEL: func.func @scores_scaled
// CHECK: %[[A:.*]] = tilec.attention %arg0, %arg1, %arg2 {scale = 1.250000e-01 : f64} : (tensor<1x2x5x8xf32>, tensor<1x2x7x8xf32>, tensor<1x2x7x4xf32>) -> tensor<1x2x5x4xf32>
// CHECK-NOT: tilec.softmax
// CHECK: return %[[A]]
func.func @scores_scaled(%q: tensor<1x2x5x8xf32>, %k: tensor<1x2x7x8xf32>, %v: tensor<1x2x7x4xf32>) -> tensor<1x2x5x4xf32> {
  %c = tilec.constant dense<0.125> : tensor<1xf32>
  %kt = tilec.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : (tensor<1x2x7x8xf32>) -> tensor<1x2x8x7xf32>
  %s = tilec.matmul %q, %kt : (tensor<1x2x5x8xf32>, tensor<1x2x8x7xf32>) -> tensor<1x2x5x7xf32>
  %m = tilec.mul %s, %c : (tensor<1x2x5x7xf32>, tensor<1xf32>) -> tensor<1x2x5x7xf32>
  %p = tilec.softmax %m {axis = -1} : tensor<1x2x5x7xf32>
  %o = tilec.matmul %p, %v : (tensor<1x2x5x7xf32>, tensor<1x2x7x4xf32>) -> tensor<1x2x5x4xf32>
  return %o : tensor<1x2x5x4xf32>
}

// -----

// PyTorch's export: the query divided by a scalar, the key transposed from
// [T, H, D] straight to [H, D, T]; k becomes a [H, T, D] transpose.
// CHECK-LABEL: func.func @torch_export_form
// CHECK: %[[K:.*]] = tilec.transpose %arg1 {permutation = array<i64: 1, 0, 2>} : (tensor<7x2x8xf32>) -> tensor<2x7x8xf32>
// CHECK: tilec.attention %arg0, %[[K]], %arg2 {scale = 2.500000e-01 : f64}
// CHECK-NOT: tilec.div
func.func @torch_export_form(%q: tensor<2x5x8xf32>, %k: tensor<7x2x8xf32>, %v: tensor<2x7x4xf32>) -> tensor<2x5x4xf32> {
  %c = tilec.constant dense<4.0> : tensor<f32>
  %qs = tilec.div %q, %c : (tensor<2x5x8xf32>, tensor<f32>) -> tensor<2x5x8xf32>
  %kt = tilec.transpose %k {permutation = array<i64: 1, 2, 0>} : (tensor<7x2x8xf32>) -> tensor<2x8x7xf32>
  %s = tilec.matmul %qs, %kt : (tensor<2x5x8xf32>, tensor<2x8x7xf32>) -> tensor<2x5x7xf32>
  %p = tilec.softmax %s {axis = -1} : tensor<2x5x7xf32>
  %o = tilec.matmul %p, %v : (tensor<2x5x7xf32>, tensor<2x7x4xf32>) -> tensor<2x5x4xf32>
  return %o : tensor<2x5x4xf32>
}

// -----

// The attention weights are also returned: they must be materialized, no fusion.
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: tilec.attention
// CHECK: tilec.softmax
func.func @probabilities_used(%q: tensor<5x8xf32>, %k: tensor<7x8xf32>, %v: tensor<7x4xf32>) -> (tensor<5x4xf32>, tensor<5x7xf32>) {
  %kt = tilec.transpose %k {permutation = array<i64: 1, 0>} : (tensor<7x8xf32>) -> tensor<8x7xf32>
  %s = tilec.matmul %q, %kt : (tensor<5x8xf32>, tensor<8x7xf32>) -> tensor<5x7xf32>
  %p = tilec.softmax %s {axis = -1} : tensor<5x7xf32>
  %o = tilec.matmul %p, %v : (tensor<5x7xf32>, tensor<7x4xf32>) -> tensor<5x4xf32>
  return %o, %p : tensor<5x4xf32>, tensor<5x7xf32>
}

// -----

// Softmax over the query axis is not attention.
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT: tilec.attention
func.func @wrong_axis(%q: tensor<5x8xf32>, %k: tensor<7x8xf32>, %v: tensor<7x4xf32>) -> tensor<5x4xf32> {
  %kt = tilec.transpose %k {permutation = array<i64: 1, 0>} : (tensor<7x8xf32>) -> tensor<8x7xf32>
  %s = tilec.matmul %q, %kt : (tensor<5x8xf32>, tensor<8x7xf32>) -> tensor<5x7xf32>
  %p = tilec.softmax %s {axis = 0} : tensor<5x7xf32>
  %o = tilec.matmul %p, %v : (tensor<5x7xf32>, tensor<7x4xf32>) -> tensor<5x4xf32>
  return %o : tensor<5x4xf32>
}
