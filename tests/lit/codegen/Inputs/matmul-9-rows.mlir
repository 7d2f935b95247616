func.func @main(%a: tensor<9x1024xf32>, %b: tensor<1024x40xf32>) -> tensor<9x40xf32> {
     %r = tilec.matmul %a, %b : (tensor<9x1024xf32>, tensor<1024x40xf32>) -> tensor<9x40xf32>
     return %r : tensor<9x40xf32> }
