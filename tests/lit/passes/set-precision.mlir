// RUN: tilec-opt %s -split-input-file --tilec-set-precision=precision=bf16 | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-set-precision=precision=fp16 | FileCheck %s --check-prefix=F16
// RUN: tilec-opt %s -split-input-file --tilec-set-precision | FileCheck %s --check-prefix=F32
// RUN: not tilec-opt %s -split-input-file --tilec-set-precision=precision=int8 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tilec-opt %s -split-input-file --tilec-set-precision=precision=tf32 | FileCheck %s --check-prefix=TF32

// A constant weight is rounded into a new bf16 constant (1.0, 1.00390625 is
// halfway between 1.0 and 1.0078125 and rounds to even: 1.0, 3.0); the
// activation gets a convert; the result stays f32; the f32 weight is gone.
// CHECK-LABEL: func.func @conv
// CHECK-NOT: xf32> = tilec.constant
// CHECK-DAG: %[[W:.*]] = tilec.constant {name = "conv.weight.bf16"} dense_resource<[[BLOB:.*]]> : tensor<1x1x2x2xbf16>
// CHECK-DAG: %[[X:.*]] = tilec.convert %arg0 : tensor<1x3x3x2xf32> -> tensor<1x3x3x2xbf16>
// CHECK: %[[Y:.*]] = tilec.conv2d %[[X]], %[[W]], %arg1 {layout = "nhwc"} : (tensor<1x3x3x2xbf16>, tensor<1x1x2x2xbf16>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
// CHECK: tilec.relu %[[Y]] : tensor<1x3x3x2xf32>
// CHECK: [[BLOB]]: "0x40000000803F803F404020C0"
// F16-LABEL: func.func @conv
// F16-DAG: tilec.constant {name = "conv.weight.f16"} dense_resource<{{.*}}> : tensor<1x1x2x2xf16>
// F16-DAG: tilec.convert %arg0 : tensor<1x3x3x2xf32> -> tensor<1x3x3x2xf16>
// F16: tilec.conv2d {{.*}} -> tensor<1x3x3x2xf32>
// F32-LABEL: func.func @conv
// F32-NOT: tilec.convert
// F32: tilec.conv2d %arg0, %{{.*}}, %arg1 {layout = "nhwc"} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>)
// BAD: error: tilec-set-precision: precision must be 'fp32', 'tf32', 'bf16' or 'fp16', got 'int8'
// tf32: no type changes, no converts; the contraction is marked for tensor
// cores to round its operands.
// TF32-LABEL: func.func @conv
// TF32-NOT: tilec.convert
// TF32: tilec.conv2d %arg0, %{{.*}}, %arg1 {layout = "nhwc", tilec.tf32} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>)
func.func @conv(%x: tensor<1x3x3x2xf32>, %b: tensor<2xf32>) -> tensor<1x3x3x2xf32> {
  %w = tilec.constant {name = "conv.weight"} dense<[[[[1.0, 1.00390625], [3.0, -2.5]]]]> : tensor<1x1x2x2xf32>
  %y = tilec.conv2d %x, %w, %b {layout = "nhwc"} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %r = tilec.relu %y : tensor<1x3x3x2xf32>
  return %r : tensor<1x3x3x2xf32>
}

// -----

// One convert per value, shared by every contraction reading it (Q, K and V
// projections of one input); a non-constant weight is converted too.
// CHECK-LABEL: func.func @shared
// CHECK-DAG: tilec.convert %arg1 : tensor<8x8xf32> -> tensor<8x8xbf16>
// CHECK-DAG: tilec.convert %arg0 : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK-NOT: tilec.convert
// CHECK: tilec.matmul {{.*}} : (tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<4x8xf32>
// CHECK: tilec.matmul {{.*}} : (tensor<4x8xbf16>, tensor<8x8xbf16>) -> tensor<4x8xf32>
func.func @shared(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = tilec.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %c = tilec.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  return %a, %c : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Attention reads 16-bit q, k and v (one convert: all three are one value
// here) and returns f32; softmax stays f32.
// CHECK-LABEL: func.func @attention
// CHECK: %[[Q:.*]] = tilec.convert %arg0 : tensor<1x4x8xf32> -> tensor<1x4x8xbf16>
// CHECK-NOT: tilec.convert
// CHECK: tilec.attention %[[Q]], %[[Q]], %[[Q]] {scale = 5.000000e-01 : f64} : (tensor<1x4x8xbf16>, tensor<1x4x8xbf16>, tensor<1x4x8xbf16>) -> tensor<1x4x8xf32>
// CHECK: tilec.softmax %{{.*}} : tensor<1x4x8xf32>
// Attention is not marked for TF32 (its GPU kernel has no tensor-core form).
// TF32-LABEL: func.func @attention
// TF32-NOT: tilec.tf32
// TF32: return
func.func @attention(%q: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %y = tilec.attention %q, %q, %q {scale = 0.5 : f64} : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %s = tilec.softmax %y : tensor<1x4x8xf32>
  return %s : tensor<1x4x8xf32>
}

// -----

// Normalizations and elementwise ops keep f32.
// CHECK-LABEL: func.func @others
// CHECK-NOT: tilec.convert
// CHECK: tilec.layer_norm
func.func @others(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %y = tilec.layer_norm %x, %g, %b : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %s = tilec.gelu %y : tensor<2x8xf32>
  return %s : tensor<2x8xf32>
}

// -----

// A residual: the block's input is read by a convolution and by the add.
// It is stored once, in bf16: the add reads it widened back from the rounded
// value (so the producer writes only the bf16 tensor), not the f32 one.
// CHECK-LABEL: func.func @residual
// CHECK: %[[R:.*]] = tilec.relu %arg0 : tensor<1x3x3x2xf32>
// CHECK-NEXT: %[[N:.*]] = tilec.convert %[[R]] : tensor<1x3x3x2xf32> -> tensor<1x3x3x2xbf16>
// CHECK-NEXT: %[[W:.*]] = tilec.convert %[[N]] : tensor<1x3x3x2xbf16> -> tensor<1x3x3x2xf32>
// CHECK: %[[Y:.*]] = tilec.conv2d %[[N]]
// CHECK: tilec.add %[[Y]], %[[W]]
// F32-LABEL: func.func @residual
// F32-NOT: tilec.convert
func.func @residual(%x: tensor<1x3x3x2xf32>, %b: tensor<2xf32>) -> tensor<1x3x3x2xf32> {
  %r = tilec.relu %x : tensor<1x3x3x2xf32>
  %w = tilec.constant {name = "conv.weight"} dense<[[[[1.0, 1.0], [3.0, -2.5]]]]> : tensor<1x1x2x2xf32>
  %y = tilec.conv2d %r, %w, %b {layout = "nhwc"} : (tensor<1x3x3x2xf32>, tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x3x3x2xf32>
  %s = tilec.add %y, %r : (tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32>
  return %s : tensor<1x3x3x2xf32>
}

// -----

// Narrowings move above the data movement before them (slices, reshapes,
// transposes: rounding first gives the same values): a projection sliced
// into Q, K and V and transposed into heads is rounded once, where it is
// computed, and the movement ops carry bf16 (half the bytes). Attention's
// output likewise, transposed back for the output projection.
// CHECK-LABEL: func.func @qkv
// CHECK: %[[P:.*]] = tilec.matmul
// CHECK-NEXT: %[[N:.*]] = tilec.convert %[[P]] : tensor<1x4x24xf32> -> tensor<1x4x24xbf16>
// CHECK-COUNT-3: tilec.transpose {{.*}} : (tensor<1x4x2x4xbf16>) -> tensor<1x2x4x4xbf16>
// CHECK: %[[A:.*]] = tilec.attention {{.*}} -> tensor<1x2x4x4xf32>
// CHECK-NEXT: %[[AN:.*]] = tilec.convert %[[A]] : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xbf16>
// CHECK-NEXT: %[[T:.*]] = tilec.transpose %[[AN]] {{.*}} -> tensor<1x4x2x4xbf16>
// CHECK-NEXT: %[[R:.*]] = tilec.reshape %[[T]] {{.*}} -> tensor<1x4x8xbf16>
// CHECK-NOT: tilec.convert
// CHECK: tilec.matmul %[[R]]
// F32-LABEL: func.func @qkv
// F32-NOT: tilec.convert
func.func @qkv(%x: tensor<1x4x8xf32>, %w: tensor<8x24xf32>, %wo: tensor<8x8xf32>) -> tensor<1x4x8xf32> {
  %p = tilec.matmul %x, %w : (tensor<1x4x8xf32>, tensor<8x24xf32>) -> tensor<1x4x24xf32>
  %s0 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<1x4x24xf32>) -> tensor<1x4x8xf32>
  %s1 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 16>, starts = array<i64: 8>, steps = array<i64: 1>} : (tensor<1x4x24xf32>) -> tensor<1x4x8xf32>
  %s2 = tilec.slice %p {axes = array<i64: 2>, ends = array<i64: 24>, starts = array<i64: 16>, steps = array<i64: 1>} : (tensor<1x4x24xf32>) -> tensor<1x4x8xf32>
  %r0 = tilec.reshape %s0 {shape = array<i64: 1, 4, 2, 4>} : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %r1 = tilec.reshape %s1 {shape = array<i64: 1, 4, 2, 4>} : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %r2 = tilec.reshape %s2 {shape = array<i64: 1, 4, 2, 4>} : (tensor<1x4x8xf32>) -> tensor<1x4x2x4xf32>
  %q = tilec.transpose %r0 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %k = tilec.transpose %r1 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %v = tilec.transpose %r2 {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x4x2x4xf32>) -> tensor<1x2x4x4xf32>
  %a = tilec.attention %q, %k, %v {scale = 5.000000e-01 : f64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %t = tilec.transpose %a {permutation = array<i64: 0, 2, 1, 3>} : (tensor<1x2x4x4xf32>) -> tensor<1x4x2x4xf32>
  %o = tilec.reshape %t {shape = array<i64: 1, 4, 8>} : (tensor<1x4x2x4xf32>) -> tensor<1x4x8xf32>
  %y = tilec.matmul %o, %wo : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// A value that any reader takes in f32 (an add after a slice) is not
// rounded for the others: the narrowing stays after the slice it follows.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[P:.*]] = tilec.matmul
// CHECK-NOT: tilec.convert %[[P]]
// CHECK: %[[S:.*]] = tilec.slice %[[P]] {{.*}} -> tensor<4x8xf32>
// CHECK-NEXT: tilec.convert %[[S]] : tensor<4x8xf32> -> tensor<4x8xbf16>
// CHECK: tilec.slice %[[P]] {{.*}} -> tensor<4x8xf32>
func.func @mixed(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %w2: tensor<8x8xf32>, %b: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %p = tilec.matmul %x, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %s0 = tilec.slice %p {axes = array<i64: 1>, ends = array<i64: 8>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<4x16xf32>) -> tensor<4x8xf32>
  %s1 = tilec.slice %p {axes = array<i64: 1>, ends = array<i64: 16>, starts = array<i64: 8>, steps = array<i64: 1>} : (tensor<4x16xf32>) -> tensor<4x8xf32>
  %y = tilec.matmul %s0, %w2 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %z = tilec.add %s1, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A stem's max pool read only by a 16-bit convolution: the relu's value is
// rounded (in the stem's epilogue) and the pool takes the largest of the
// rounded values, which is the rounded largest: it reads and writes bf16.
// CHECK-LABEL: func.func @stem_pool
// CHECK: %[[R:.*]] = tilec.relu
// CHECK-NEXT: %[[N:.*]] = tilec.convert %[[R]] : tensor<1x8x8x4xf32> -> tensor<1x8x8x4xbf16>
// CHECK-NEXT: %[[P:.*]] = tilec.max_pool2d %[[N]] {{.*}} : (tensor<1x8x8x4xbf16>) -> tensor<1x4x4x4xbf16>
// CHECK-NEXT: tilec.conv2d %[[P]]
func.func @stem_pool(%x: tensor<1x16x16x3xf32>, %w: tensor<3x3x3x4xf32>, %w2: tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %c = tilec.conv2d %x, %w {layout = "nhwc", strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x16x16x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x8x8x4xf32>
  %r = tilec.relu %c : tensor<1x8x8x4xf32>
  %p = tilec.max_pool2d %r {layout = "nhwc", kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  %y = tilec.conv2d %p, %w2 {layout = "nhwc"} : (tensor<1x4x4x4xf32>, tensor<1x1x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %y : tensor<1x4x4x8xf32>
}
