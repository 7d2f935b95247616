// A 3x3 convolution of ResNet-like width (64 -> 128 channels, 8 images).
func.func @main(%x: tensor<8x64x56x56xf32>) -> tensor<8x128x56x56xf32> {
  %w = tilec.constant dense<0.01> : tensor<128x64x3x3xf32>
  %b = tilec.constant dense<0.1> : tensor<128xf32>
  %y = tilec.conv2d %x, %w, %b {padding = array<i64: 1, 1, 1, 1>} : (tensor<8x64x56x56xf32>, tensor<128x64x3x3xf32>, tensor<128xf32>) -> tensor<8x128x56x56xf32>
  return %y : tensor<8x128x56x56xf32>
}
