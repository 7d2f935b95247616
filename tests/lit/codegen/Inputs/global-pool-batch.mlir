func.func @main(%x: tensor<64x7x7x2048xf32>) -> tensor<64x1x1x2048xf32> {
  %y = tilec.global_avg_pool %x {layout = "nhwc"} : (tensor<64x7x7x2048xf32>) -> tensor<64x1x1x2048xf32>
  return %y : tensor<64x1x1x2048xf32>
}
