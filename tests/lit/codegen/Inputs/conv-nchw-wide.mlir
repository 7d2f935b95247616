func.func @main(%x: tensor<1x128x28x28xf32>) -> tensor<1x192x28x28xf32> {
  %w = tilec.constant dense<0.01> : tensor<192x128x3x3xf32>
  %b = tilec.constant dense<0.1> : tensor<192xf32>
  %y = tilec.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x128x28x28xf32>, tensor<192x128x3x3xf32>, tensor<192xf32>) -> tensor<1x192x28x28xf32>
  %r = tilec.relu %y : tensor<1x192x28x28xf32>
  return %r : tensor<1x192x28x28xf32>
}
