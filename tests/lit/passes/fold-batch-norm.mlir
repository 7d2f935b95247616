// RUN: tilec-opt %s -split-input-file --tilec-fold-batch-norm | FileCheck %s

// Conv + BN with constant parameters: folded into the conv's weight and bias.
// scale = 4 / sqrt(3 + 1) = 2, shift = 1 - 0.5 * 2 = 0; W' = 2 W; b' = 2 * 0 + 0.
// CHECK-LABEL: func.func @conv_bn
// CHECK-NOT: tilec.batch_norm
// CHECK: %[[W:.*]] = tilec.constant {name = "conv.weight"} dense_resource<conv.weight{{.*}}> : tensor<1x1x1x1xf32>
// CHECK: %[[B:.*]] = tilec.constant {name = "conv.bias"} dense_resource<conv.bias{{.*}}> : tensor<1xf32>
// CHECK: %[[Y:.*]] = tilec.conv2d %arg0, %[[W]], %[[B]]
// CHECK: return %[[Y]]
// CHECK: conv.weight: "0x400000000000C040"
// CHECK: conv.bias: "0x4000000000000000"
func.func @conv_bn(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x2x2xf32> {
  %w = tilec.constant {name = "conv.weight"} dense<3.0> : tensor<1x1x1x1xf32>
  %g = tilec.constant {name = "bn.weight"} dense<4.0> : tensor<1xf32>
  %b = tilec.constant {name = "bn.bias"} dense<1.0> : tensor<1xf32>
  %m = tilec.constant {name = "bn.running_mean"} dense<0.5> : tensor<1xf32>
  %v = tilec.constant {name = "bn.running_var"} dense<3.0> : tensor<1xf32>
  %c = tilec.conv2d %x, %w : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %y = tilec.batch_norm %c, %g, %b, %m, %v {epsilon = 1.0} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %y : tensor<1x1x2x2xf32>
}

// -----

// The conv result has another use: folding would change it, so the BN stays a
// (foldable) scale and shift instead.
// CHECK-LABEL: func.func @conv_with_extra_use
// CHECK: %[[C:.*]] = tilec.conv2d
// CHECK-NOT: tilec.batch_norm
// CHECK: %[[S:.*]] = tilec.mul %[[C]], %{{.*}} : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>)
// CHECK: %[[T:.*]] = tilec.add %[[S]], %{{.*}} : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>)
// CHECK: return %[[T]], %[[C]]
func.func @conv_with_extra_use(%x: tensor<1x2x2x2xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %g = tilec.constant {name = "bn.weight"} dense<1.0> : tensor<2xf32>
  %b = tilec.constant {name = "bn.bias"} dense<0.0> : tensor<2xf32>
  %m = tilec.constant {name = "bn.running_mean"} dense<0.0> : tensor<2xf32>
  %v = tilec.constant {name = "bn.running_var"} dense<1.0> : tensor<2xf32>
  %c = tilec.conv2d %x, %w : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = tilec.batch_norm %c, %g, %b, %m, %v : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y, %c : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}

// -----

// Non-constant statistics: nothing to fold, the op is left as it is.
// CHECK-LABEL: func.func @dynamic_statistics
// CHECK: tilec.batch_norm
func.func @dynamic_statistics(%x: tensor<1x2x2x2xf32>, %s: tensor<2xf32>) -> tensor<1x2x2x2xf32> {
  %y = tilec.batch_norm %x, %s, %s, %s, %s : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// Linear + BN over the feature dim (rank 2) folds too.
// CHECK-LABEL: func.func @linear_bn
// CHECK-NOT: tilec.batch_norm
// CHECK: tilec.linear %arg0, %{{.*}}, %{{.*}} : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
func.func @linear_bn(%x: tensor<3x4xf32>) -> tensor<3x2xf32> {
  %w = tilec.constant {name = "fc.weight"} dense<1.0> : tensor<2x4xf32>
  %fb = tilec.constant {name = "fc.bias"} dense<1.0> : tensor<2xf32>
  %g = tilec.constant {name = "bn.weight"} dense<1.0> : tensor<2xf32>
  %b = tilec.constant {name = "bn.bias"} dense<0.0> : tensor<2xf32>
  %m = tilec.constant {name = "bn.running_mean"} dense<0.0> : tensor<2xf32>
  %v = tilec.constant {name = "bn.running_var"} dense<1.0> : tensor<2xf32>
  %l = tilec.linear %x, %w, %fb : (tensor<3x4xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  %y = tilec.batch_norm %l, %g, %b, %m, %v : (tensor<3x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
