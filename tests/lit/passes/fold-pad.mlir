// RUN: tilec-opt %s -split-input-file --tilec-fold-pad | FileCheck %s

// Zero padding of H and W joins the conv's own padding.
// CHECK-LABEL: func.func @fold
// CHECK-NOT: tilec.pad
// CHECK: tilec.conv2d %arg0, %arg1 {padding = array<i64: 2, 0, 3, 2>} : (tensor<1x3x8x6xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x11x6xf32>
func.func @fold(%x: tensor<1x3x8x6xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x11x6xf32> {
  %p = tilec.pad %x {pads = array<i64: 0, 0, 1, 0, 0, 0, 2, 1>} : (tensor<1x3x8x6xf32>) -> tensor<1x3x11x7xf32>
  %y = tilec.conv2d %p, %w {padding = array<i64: 1, 0, 1, 1>} : (tensor<1x3x11x7xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x11x6xf32>
  return %y : tensor<1x4x11x6xf32>
}

// -----

// A non-zero pad value is not a conv padding: left alone.
// CHECK-LABEL: func.func @nonzero_value
// CHECK: tilec.pad
func.func @nonzero_value(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  %p = tilec.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, value = 1.0} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  %y = tilec.conv2d %p, %w : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Channel padding changes the conv's input channels: left alone.
// CHECK-LABEL: func.func @channel_pad
// CHECK: tilec.pad
func.func @channel_pad(%x: tensor<1x2x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  %p = tilec.pad %x {pads = array<i64: 0, 1, 0, 0, 0, 0, 0, 0>} : (tensor<1x2x8x8xf32>) -> tensor<1x3x8x8xf32>
  %y = tilec.conv2d %p, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

// The padded tensor has another use: it must exist anyway.
// CHECK-LABEL: func.func @extra_use
// CHECK: %[[P:.*]] = tilec.pad
// CHECK: tilec.conv2d %[[P]]
func.func @extra_use(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x3x10x10xf32>) {
  %p = tilec.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  %y = tilec.conv2d %p, %w : (tensor<1x3x10x10xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y, %p : tensor<1x4x8x8xf32>, tensor<1x3x10x10xf32>
}
