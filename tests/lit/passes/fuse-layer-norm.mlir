// RUN: tilec-opt %s -split-input-file --tilec-fuse-layer-norm | FileCheck %s

// The opset < 17 export form with an affine part.
// CHECK-LABEL: func.func @decomposed
// CHECK: %[[G:.*]] = tilec.constant {name = "ln.weight"}
// CHECK: %[[B:.*]] = tilec.constant {name = "ln.bias"}
// CHECK: %[[Y:.*]] = tilec.layer_norm %arg0, %[[G]], %[[B]] {axis = 2 : i64, epsilon = 9.9999999747524271E-7 : f64}
// CHECK-NOT: tilec.reduce_mean
// CHECK: return %[[Y]]
func.func @decomposed(%x: tensor<1x5x8xf32>) -> tensor<1x5x8xf32> {
  %eps = tilec.constant dense<1.0e-6> : tensor<f32>
  %g = tilec.constant {name = "ln.weight"} dense<2.0> : tensor<8xf32>
  %b = tilec.constant {name = "ln.bias"} dense<0.5> : tensor<8xf32>
  %m = tilec.reduce_mean %x {axes = array<i64: -1>} : (tensor<1x5x8xf32>) -> tensor<1x5x1xf32>
  %d = tilec.sub %x, %m : (tensor<1x5x8xf32>, tensor<1x5x1xf32>) -> tensor<1x5x8xf32>
  %sq = tilec.mul %d, %d : (tensor<1x5x8xf32>, tensor<1x5x8xf32>) -> tensor<1x5x8xf32>
  %v = tilec.reduce_mean %sq {axes = array<i64: -1>} : (tensor<1x5x8xf32>) -> tensor<1x5x1xf32>
  %ve = tilec.add %v, %eps : (tensor<1x5x1xf32>, tensor<f32>) -> tensor<1x5x1xf32>
  %s = tilec.sqrt %ve : tensor<1x5x1xf32>
  %n = tilec.div %d, %s : (tensor<1x5x8xf32>, tensor<1x5x1xf32>) -> tensor<1x5x8xf32>
  %y = tilec.mul %n, %g : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32>
  %z = tilec.add %y, %b : (tensor<1x5x8xf32>, tensor<8xf32>) -> tensor<1x5x8xf32>
  return %z : tensor<1x5x8xf32>
}

// -----

// Without an affine part: unit scale and zero shift.
// CHECK-LABEL: func.func @plain
// CHECK: tilec.layer_norm %arg0, %{{.*}}, %{{.*}} {axis = 1 : i64
func.func @plain(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %eps = tilec.constant dense<1.0e-5> : tensor<1xf32>
  %m = tilec.reduce_mean %x {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = tilec.sub %x, %m : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %sq = tilec.mul %d, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %v = tilec.reduce_mean %sq {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %ve = tilec.add %v, %eps : (tensor<3x1xf32>, tensor<1xf32>) -> tensor<3x1xf32>
  %s = tilec.sqrt %ve : tensor<3x1xf32>
  %n = tilec.div %d, %s : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %n : tensor<3x4xf32>
}

// -----

// The centred value is also returned: it must be computed anyway; left alone.
// CHECK-LABEL: func.func @centred_used
// CHECK-NOT: tilec.layer_norm
func.func @centred_used(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %eps = tilec.constant dense<1.0e-5> : tensor<1xf32>
  %m = tilec.reduce_mean %x {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %d = tilec.sub %x, %m : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %sq = tilec.mul %d, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %v = tilec.reduce_mean %sq {axes = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %ve = tilec.add %v, %eps : (tensor<3x1xf32>, tensor<1xf32>) -> tensor<3x1xf32>
  %s = tilec.sqrt %ve : tensor<3x1xf32>
  %n = tilec.div %d, %s : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %n, %d : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Statistics over a leading axis are not a layer norm.
// CHECK-LABEL: func.func @leading_axis
// CHECK-NOT: tilec.layer_norm
func.func @leading_axis(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %eps = tilec.constant dense<1.0e-5> : tensor<1xf32>
  %m = tilec.reduce_mean %x {axes = array<i64: 0>} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %d = tilec.sub %x, %m : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  %sq = tilec.mul %d, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %v = tilec.reduce_mean %sq {axes = array<i64: 0>} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %ve = tilec.add %v, %eps : (tensor<1x4xf32>, tensor<1xf32>) -> tensor<1x4xf32>
  %s = tilec.sqrt %ve : tensor<1x4xf32>
  %n = tilec.div %d, %s : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %n : tensor<3x4xf32>
}
