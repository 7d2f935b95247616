func.func @main(%a: tensor<512x256xf32>, %b: tensor<256x128xf32>, %c: tensor<128xf32>) -> tensor<512x128xf32> {
  %r = tilec.matmul %a, %b : (tensor<512x256xf32>, tensor<256x128xf32>) -> tensor<512x128xf32>
  %s = tilec.add %r, %c : (tensor<512x128xf32>, tensor<128xf32>) -> tensor<512x128xf32>
  %t = tilec.relu %s : tensor<512x128xf32>
  return %t : tensor<512x128xf32>
}
