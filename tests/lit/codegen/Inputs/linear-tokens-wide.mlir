// ViT-B/16 MLP up-projection at batch 64: 12608 token rows, 768 -> 3072.
func.func @main(%x: tensor<64x197x768xf32>, %w: tensor<3072x768xf32>, %b: tensor<3072xf32>) -> tensor<64x197x3072xf32> {
  %y = tilec.linear %x, %w, %b : (tensor<64x197x768xf32>, tensor<3072x768xf32>, tensor<3072xf32>) -> tensor<64x197x3072xf32>
  return %y : tensor<64x197x3072xf32>
}
