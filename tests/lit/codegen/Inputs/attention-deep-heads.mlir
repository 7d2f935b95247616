func.func @main(%q: tensor<1x1x256x512xf32>, %k: tensor<1x1x64x512xf32>, %v: tensor<1x1x64x16xf32>) -> tensor<1x1x256x16xf32> {
  %y = tilec.attention %q, %k, %v {scale = 0.05 : f64} : (tensor<1x1x256x512xf32>, tensor<1x1x64x512xf32>, tensor<1x1x64x16xf32>) -> tensor<1x1x256x16xf32>
  return %y : tensor<1x1x256x16xf32>
}
