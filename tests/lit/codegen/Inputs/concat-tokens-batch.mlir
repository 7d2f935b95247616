// ViT's class token concat at batch 2, the position embedding added (one
// dispatch: the concat takes the add as its consumer).
func.func @main(%c: tensor<2x1x768xf32>, %p: tensor<2x196x768xf32>, %e: tensor<1x197x768xf32>) -> tensor<2x197x768xf32> {
  %t = tilec.concat %c, %p {axis = 1 : i64} : (tensor<2x1x768xf32>, tensor<2x196x768xf32>) -> tensor<2x197x768xf32>
  %y = tilec.add %t, %e : (tensor<2x197x768xf32>, tensor<1x197x768xf32>) -> tensor<2x197x768xf32>
  return %y : tensor<2x197x768xf32>
}
