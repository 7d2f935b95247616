func.func @main(%x: tensor<1x16x14x14xf32>) -> tensor<1x32x14x14xf32> {
  %w = tilec.constant dense<0.01> : tensor<32x16x3x3xf32>
  %b = tilec.constant dense<0.1> : tensor<32xf32>
  %y = tilec.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x14x14xf32>, tensor<32x16x3x3xf32>, tensor<32xf32>) -> tensor<1x32x14x14xf32>
  %r = tilec.relu %y : tensor<1x32x14x14xf32>
  return %r : tensor<1x32x14x14xf32>
}
