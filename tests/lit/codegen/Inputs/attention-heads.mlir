func.func @main(%q: tensor<1x2x197x64xf32>, %k: tensor<1x2x197x64xf32>, %v: tensor<1x2x197x64xf32>) -> tensor<1x2x197x64xf32> {
  %y = tilec.attention %q, %k, %v {scale = 0.125 : f64} : (tensor<1x2x197x64xf32>, tensor<1x2x197x64xf32>, tensor<1x2x197x64xf32>) -> tensor<1x2x197x64xf32>
  return %y : tensor<1x2x197x64xf32>
}
