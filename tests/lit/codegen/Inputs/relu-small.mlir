func.func @main(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %y = tilec.relu %x : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
