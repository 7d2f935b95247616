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

// -----

// The heads' split: three equal slices of the projection's last dim, each
// reshaped to [B, T, H, D] and transposed to [B, H, T, D], become one reshape
// to [B, T, 3, H, D], one transpose to [3, B, H, T, D] and three slices of
// its first axis (contiguous: plan-memory places them in its bytes).
// CHECK-LABEL: func.func @heads_split
// CHECK: %[[R:.*]] = tilec.reshape %arg0 {shape = array<i64: 2, 5, 3, 2, 4>} : (tensor<2x5x24xf32>) -> tensor<2x5x3x2x4xf32>
// CHECK: %[[T:.*]] = tilec.transpose %[[R]] {permutation = array<i64: 2, 0, 3, 1, 4>} : (tensor<2x5x3x2x4xf32>) -> tensor<3x2x2x5x4xf32>
// CHECK-DAG: %[[S0:.*]] = tilec.slice %[[T]] {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<3x2x2x5x4xf32>) -> tensor<1x2x2x5x4xf32>
// CHECK-DAG: %[[S1:.*]] = tilec.slice %[[T]] {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>}
// CHECK-DAG: %[[S2:.*]] = tilec.slice %[[T]] {axes = array<i64: 0>, ends = array<i64: 3>, starts = array<i64: 2>, steps = array<i64: 1>}
// CHECK-DAG: %[[Q:.*]] = tilec.reshape %[[S0]] {shape = array<i64: 2, 2, 5, 4>}
// CHECK-DAG: %[[K:.*]] = tilec.reshape %[[S1]] {shape = array<i64: 2, 2, 5, 4>}
// CHECK-DAG: %[[V:.*]] = tilec.reshape %[[S2]] {shape = array<i64: 2, 2, 5, 4>}
// CHECK: tilec.attention %[[Q]], %[[K]], %[[V]]
// CHECK-NOT: tilec.transpose
func.func @heads_split(%p: tensor<2x5x24xf32>) -> tensor<2x2x5x4xf32> {
  %s0 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x5x24xf32>) -> tensor<2x5x8xf32>
  %r0 = tilec.reshape %s0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %q = tilec.transpose %r0 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %s2 = tilec.slice %p {axes = array<i64: -1>, ends = array<i64: 24>, starts = array<i64: -8>, steps = array<i64: 1>} : (tensor<2x5x24xf32>) -> tensor<2x5x8xf32>
  %r2 = tilec.reshape %s2 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %v = tilec.transpose %r2 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %s1 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 16>, starts = array<i64: 8>, steps = array<i64: 1>} : (tensor<2x5x24xf32>) -> tensor<2x5x8xf32>
  %r1 = tilec.reshape %s1 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %k = tilec.transpose %r1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %a = tilec.attention %q, %k, %v {scale = 5.000000e-01 : f64} : (tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>) -> tensor<2x2x5x4xf32>
  return %a : tensor<2x2x5x4xf32>
}

// -----

// Not a heads' split: the parts overlap (one slice taken twice), a part is
// read by something else too, the transposes differ: left as they are.
// CHECK-LABEL: func.func @not_splits
// CHECK-COUNT-6: tilec.transpose
// CHECK-NOT: tilec.transpose
func.func @not_splits(%p: tensor<2x5x16xf32>, %x: tensor<2x5x16xf32>, %y: tensor<2x5x16xf32>) -> (tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x5x2x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x5x4x2xf32>) {
  %a0 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %a1 = tilec.reshape %a0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %a2 = tilec.transpose %a1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %b0 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %b1 = tilec.reshape %b0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %b2 = tilec.transpose %b1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %c0 = tilec.slice %x {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %c1 = tilec.reshape %c0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %c2 = tilec.transpose %c1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %d0 = tilec.slice %x {axes = array<i64: 2>, ends = array<i64: 16>, starts = array<i64: 8>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %d1 = tilec.reshape %d0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %d2 = tilec.transpose %d1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %e0 = tilec.slice %y {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %e1 = tilec.reshape %e0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %e2 = tilec.transpose %e1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf32>) -> tensor<2x2x5x4xf32>
  %f0 = tilec.slice %y {axes = array<i64: 2>, ends = array<i64: 16>, starts = array<i64: 8>, steps = array<i64: 1>} : (tensor<2x5x16xf32>) -> tensor<2x5x8xf32>
  %f1 = tilec.reshape %f0 {shape = array<i64: 2, 5, 2, 4>} : (tensor<2x5x8xf32>) -> tensor<2x5x2x4xf32>
  %f2 = tilec.transpose %f1 {permutation = array<i64: 0, 1, 3, 2>} : (tensor<2x5x2x4xf32>) -> tensor<2x5x4x2xf32>
  return %a2, %b2, %c1, %d2, %e2, %f2 : tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x5x2x4xf32>, tensor<2x2x5x4xf32>, tensor<2x2x5x4xf32>, tensor<2x5x4x2xf32>
}
