// A fully connected layer with bias and GELU, then a batched product: shapes
// whose GEMMs fit tensor-core tiles (rows multiples of 16, columns of 8, K
// of 16).
func.func @main(%x: tensor<2x32x64xf32>, %w: tensor<48x64xf32>, %b: tensor<48xf32>, %y: tensor<2x48x24xf32>) -> tensor<2x32x24xf32> {
  %l = tilec.linear %x, %w, %b : (tensor<2x32x64xf32>, tensor<48x64xf32>, tensor<48xf32>) -> tensor<2x32x48xf32>
  %g = tilec.gelu %l : tensor<2x32x48xf32>
  %m = tilec.matmul %g, %y : (tensor<2x32x48xf32>, tensor<2x48x24xf32>) -> tensor<2x32x24xf32>
  return %m : tensor<2x32x24xf32>
}
