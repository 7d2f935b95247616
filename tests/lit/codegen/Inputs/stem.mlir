func.func @main(%x: tensor<2x3x32x32xf32>) -> tensor<2x32x8x8xf32> {
  %w = tilec.constant dense<0.01> : tensor<32x3x7x7xf32>
  %b = tilec.constant dense<0.1> : tensor<32xf32>
  %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>} : (tensor<2x3x32x32xf32>, tensor<32x3x7x7xf32>, tensor<32xf32>) -> tensor<2x32x16x16xf32>
  %r = tilec.relu %y : tensor<2x32x16x16xf32>
  %p = tilec.max_pool2d %r {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<2x32x16x16xf32>) -> tensor<2x32x8x8xf32>
  %w2 = tilec.constant dense<0.02> : tensor<32x32x1x1xf32>
  %z = tilec.conv2d %p, %w2 : (tensor<2x32x8x8xf32>, tensor<32x32x1x1xf32>) -> tensor<2x32x8x8xf32>
  return %z : tensor<2x32x8x8xf32>
}
