func.func @main(%x: tensor<1x197x768xf32>, %w: tensor<768xf32>, %b: tensor<768xf32>) -> tensor<1x197x768xf32> {
  %y = tilec.layer_norm %x, %w, %b {axis = -1 : i64} : (tensor<1x197x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<1x197x768xf32>
  return %y : tensor<1x197x768xf32>
}
