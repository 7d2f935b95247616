// RUN: tilec-opt %s -split-input-file --tilec-pack-weights | FileCheck %s

// A constant weight is transposed at compile time: linear -> matmul + bias add.
// CHECK-LABEL: func.func @pack
// CHECK: %[[W:.*]] = tilec.constant {name = "fc.weight.packed_kn"} dense_resource<{{.*}}> : tensor<3x2xf32>
// CHECK: %[[M:.*]] = tilec.matmul %arg0, %[[W]] : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
// CHECK: %[[Y:.*]] = tilec.add %[[M]], %arg1 : (tensor<4x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
// CHECK-NOT: tilec.linear
// CHECK: return %[[Y]]
func.func @pack(%x: tensor<4x3xf32>, %b: tensor<2xf32>) -> tensor<4x2xf32> {
  %w = tilec.constant {name = "fc.weight"} dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %y = tilec.linear %x, %w, %b : (tensor<4x3xf32>, tensor<2x3xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Without a bias there is no add.
// CHECK-LABEL: func.func @no_bias
// CHECK: tilec.matmul
// CHECK-NOT: tilec.add
func.func @no_bias(%x: tensor<1x5x3xf32>) -> tensor<1x5x2xf32> {
  %w = tilec.constant dense<1.0> : tensor<2x3xf32>
  %y = tilec.linear %x, %w : (tensor<1x5x3xf32>, tensor<2x3xf32>) -> tensor<1x5x2xf32>
  return %y : tensor<1x5x2xf32>
}

// -----

// A weight that is not a constant is left alone.
// CHECK-LABEL: func.func @computed_weight
// CHECK: tilec.linear
func.func @computed_weight(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %y = tilec.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}
