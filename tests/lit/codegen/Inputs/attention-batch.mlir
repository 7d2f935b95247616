func.func @main(%q: tensor<64x12x32x16xf32>, %k: tensor<64x12x64x16xf32>, %v: tensor<64x12x64x16xf32>) -> tensor<64x12x32x16xf32> {
  %y = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<64x12x32x16xf32>, tensor<64x12x64x16xf32>, tensor<64x12x64x16xf32>) -> tensor<64x12x32x16xf32>
  return %y : tensor<64x12x32x16xf32>
}
