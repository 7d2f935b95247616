// RUN: tilec-opt %s -split-input-file --tilec-split-pools=min-positions=256 | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-split-pools | FileCheck %s --check-prefix=OFF
// RUN: not tilec-opt %s -split-input-file --tilec-split-pools=min-positions=-1 2>&1 | FileCheck %s --check-prefix=BAD

// A channels-last pool over 112x112 positions (at least 256): its rows'
// means over W, then the pool of those (a mean of equal-sized means).
// CHECK-LABEL: func.func @large
// CHECK: %[[R:.*]] = tilec.reduce_mean %arg0 {axes = array<i64: 2>} : (tensor<2x112x112x32xf32>) -> tensor<2x112x1x32xf32>
// CHECK: tilec.global_avg_pool %[[R]] {layout = "nhwc"} : (tensor<2x112x1x32xf32>) -> tensor<2x1x1x32xf32>
// OFF-LABEL: func.func @large
// OFF-NOT: reduce_mean
// BAD: error: tilec-split-pools: min-positions must be >= 0, got -1
func.func @large(%x: tensor<2x112x112x32xf32>) -> tensor<2x1x1x32xf32> {
  %p = tilec.global_avg_pool %x {layout = "nhwc"} : (tensor<2x112x112x32xf32>) -> tensor<2x1x1x32xf32>
  return %p : tensor<2x1x1x32xf32>
}

// -----

// Fewer positions (7x7), a single row, and NCHW pools are unchanged.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: reduce_mean
// CHECK: tilec.global_avg_pool %arg0 {layout = "nhwc"}
// CHECK: tilec.global_avg_pool %arg1 {layout = "nhwc"}
// CHECK: tilec.global_avg_pool %arg2 :
func.func @unchanged(%a: tensor<1x7x7x1280xf32>, %b: tensor<1x1x1024x8xf32>, %c: tensor<1x32x112x112xf32>) -> (tensor<1x1x1x1280xf32>, tensor<1x1x1x8xf32>, tensor<1x32x1x1xf32>) {
  %p = tilec.global_avg_pool %a {layout = "nhwc"} : (tensor<1x7x7x1280xf32>) -> tensor<1x1x1x1280xf32>
  %q = tilec.global_avg_pool %b {layout = "nhwc"} : (tensor<1x1x1024x8xf32>) -> tensor<1x1x1x8xf32>
  %r = tilec.global_avg_pool %c : (tensor<1x32x112x112xf32>) -> tensor<1x32x1x1xf32>
  return %p, %q, %r : tensor<1x1x1x1280xf32>, tensor<1x1x1x8xf32>, tensor<1x32x1x1xf32>
}
