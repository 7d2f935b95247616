// ViT-B/16's attention output projection at batch 1: 197 token rows, 768 -> 768, f32.
func.func @main(%x: tensor<1x197x768xf32>, %w: tensor<768x768xf32>, %b: tensor<768xf32>) -> tensor<1x197x768xf32> {
  %y = tilec.linear %x, %w, %b : (tensor<1x197x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<1x197x768xf32>
  return %y : tensor<1x197x768xf32>
}
