func.func @main(%x: tensor<1x56x56x32xf32>) -> tensor<1x56x56x16xf32> {
  %w1 = tilec.constant dense<0.05> : tensor<1x1x32x8xf32>
  %b1 = tilec.constant dense<0.1> : tensor<8xf32>
  %w2 = tilec.constant dense<-0.2> : tensor<1x1x8x32xf32>
  %b2 = tilec.constant dense<0.3> : tensor<32xf32>
  %w3 = tilec.constant dense<0.01> : tensor<1x1x32x16xf32>
  %p = tilec.global_avg_pool %x {layout = "nhwc"} : (tensor<1x56x56x32xf32>) -> tensor<1x1x1x32xf32>
  %c1 = tilec.conv2d %p, %w1, %b1 {layout = "nhwc"} : (tensor<1x1x1x32xf32>, tensor<1x1x32x8xf32>, tensor<8xf32>) -> tensor<1x1x1x8xf32>
  %r = tilec.silu %c1 : tensor<1x1x1x8xf32>
  %c2 = tilec.conv2d %r, %w2, %b2 {layout = "nhwc"} : (tensor<1x1x1x8xf32>, tensor<1x1x8x32xf32>, tensor<32xf32>) -> tensor<1x1x1x32xf32>
  %s = tilec.sigmoid %c2 : tensor<1x1x1x32xf32>
  %y = tilec.mul %x, %s : (tensor<1x56x56x32xf32>, tensor<1x1x1x32xf32>) -> tensor<1x56x56x32xf32>
  %z = tilec.conv2d %y, %w3 {layout = "nhwc"} : (tensor<1x56x56x32xf32>, tensor<1x1x32x16xf32>) -> tensor<1x56x56x16xf32>
  return %z : tensor<1x56x56x16xf32>
}
