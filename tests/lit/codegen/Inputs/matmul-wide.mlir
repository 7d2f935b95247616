func.func @main(%a: tensor<96x512xf32>) -> tensor<96x1024xf32> {
  %w = tilec.constant dense<0.01> : tensor<512x1024xf32>
  %r = tilec.matmul %a, %w : (tensor<96x512xf32>, tensor<512x1024xf32>) -> tensor<96x1024xf32>
  return %r : tensor<96x1024xf32>
}
