func.func @main(%a: tensor<2048x1024xf32>, %b: tensor<1024x2048xf32>, %c: tensor<2048xf32>) -> tensor<2048x2048xf32> {
  %r = tilec.matmul %a, %b : (tensor<2048x1024xf32>, tensor<1024x2048xf32>) -> tensor<2048x2048xf32>
  %s = tilec.add %r, %c : (tensor<2048x2048xf32>, tensor<2048xf32>) -> tensor<2048x2048xf32>
  return %s : tensor<2048x2048xf32>
}
