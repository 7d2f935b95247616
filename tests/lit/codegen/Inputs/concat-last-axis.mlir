func.func @main(%a: tensor<1x4x4x32xf32>, %b: tensor<1x4x4x96xf32>, %c: tensor<1x4x4x7xf32>) -> tensor<1x4x4x135xf32> {
  %y = tilec.concat %a, %b, %c {axis = 3 : i64} : (tensor<1x4x4x32xf32>, tensor<1x4x4x96xf32>, tensor<1x4x4x7xf32>) -> tensor<1x4x4x135xf32>
  return %y : tensor<1x4x4x135xf32>
}
