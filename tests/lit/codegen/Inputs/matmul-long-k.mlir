func.func @main(%a: tensor<64x512xf32>, %b: tensor<512x128xf32>) -> tensor<64x128xf32> {
  %r = tilec.matmul %a, %b : (tensor<64x512xf32>, tensor<512x128xf32>) -> tensor<64x128xf32>
  return %r : tensor<64x128xf32>
}
