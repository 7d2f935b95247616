func.func @main(%c: tensor<1x1x768xf32>, %p: tensor<1x196x768xf32>) -> tensor<1x197x768xf32> {
  %t = tilec.concat %c, %p {axis = 1 : i64} : (tensor<1x1x768xf32>, tensor<1x196x768xf32>) -> tensor<1x197x768xf32>
  return %t : tensor<1x197x768xf32>
}
