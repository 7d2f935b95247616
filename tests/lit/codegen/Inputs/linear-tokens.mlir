// ViT-like token rows (197, not a multiple of 16) through a linear layer.
func.func @main(%x: tensor<1x197x64xf32>, %w: tensor<96x64xf32>, %b: tensor<96xf32>) -> tensor<1x197x96xf32> {
  %y = tilec.linear %x, %w, %b : (tensor<1x197x64xf32>, tensor<96x64xf32>, tensor<96xf32>) -> tensor<1x197x96xf32>
  %r = tilec.relu %y : tensor<1x197x96xf32>
  return %r : tensor<1x197x96xf32>
}
