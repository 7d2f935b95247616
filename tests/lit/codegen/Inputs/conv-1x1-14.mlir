// ResNet-50's conv4 1x1 projection at batch 1: 14x14 pixels, 1024 -> 256 channels, f32.
func.func @main(%x: tensor<1x14x14x1024xf32>) -> tensor<1x14x14x256xf32> {
  %w = tilec.constant dense<0.01> : tensor<1x1x1024x256xf32>
  %b = tilec.constant dense<0.1> : tensor<256xf32>
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc"} : (tensor<1x14x14x1024xf32>, tensor<1x1x1024x256xf32>, tensor<256xf32>) -> tensor<1x14x14x256xf32>
  return %y : tensor<1x14x14x256xf32>
}
