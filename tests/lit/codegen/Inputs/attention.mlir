func.func @main(%q: tensor<1x3x70x16xf32>, %k: tensor<1x3x150x16xf32>, %v: tensor<1x3x150x24xf32>) -> tensor<1x3x70x24xf32> {
  %y = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x3x70x16xf32>, tensor<1x3x150x16xf32>, tensor<1x3x150x24xf32>) -> tensor<1x3x70x24xf32>
  return %y : tensor<1x3x70x24xf32>
}
