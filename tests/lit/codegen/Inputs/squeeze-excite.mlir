func.func @main(%x: tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32> {
  %w1 = tilec.constant dense<0.05> : tensor<4x16x1x1xf32>
  %b1 = tilec.constant dense<0.1> : tensor<4xf32>
  %w2 = tilec.constant dense<-0.2> : tensor<16x4x1x1xf32>
  %b2 = tilec.constant dense<0.3> : tensor<16xf32>
  %p = tilec.global_avg_pool %x : (tensor<1x16x6x6xf32>) -> tensor<1x16x1x1xf32>
  %c1 = tilec.conv2d %p, %w1, %b1 : (tensor<1x16x1x1xf32>, tensor<4x16x1x1xf32>, tensor<4xf32>) -> tensor<1x4x1x1xf32>
  %r = tilec.relu %c1 : tensor<1x4x1x1xf32>
  %c2 = tilec.conv2d %r, %w2, %b2 : (tensor<1x4x1x1xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x1x1xf32>
  %s = tilec.sigmoid %c2 : tensor<1x16x1x1xf32>
  %y = tilec.mul %x, %s : (tensor<1x16x6x6xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x6x6xf32>
  return %y : tensor<1x16x6x6xf32>
}
