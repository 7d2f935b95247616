func.func @main(%x: tensor<1x24x10x10xf32>) -> tensor<1x24x5x5xf32> {
  %w = tilec.constant dense<0.01> : tensor<24x1x3x3xf32>
  %b = tilec.constant dense<0.1> : tensor<24xf32>
  %y = tilec.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>, groups = 24} : (tensor<1x24x10x10xf32>, tensor<24x1x3x3xf32>, tensor<24xf32>) -> tensor<1x24x10x10xf32>
  %p = tilec.max_pool2d %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x24x10x10xf32>) -> tensor<1x24x5x5xf32>
  return %p : tensor<1x24x5x5xf32>
}
