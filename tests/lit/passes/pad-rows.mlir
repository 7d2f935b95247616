// RUN: tilec-opt %s -split-input-file --tilec-pad-rows=multiple=16 | FileCheck %s
// RUN: tilec-opt %s -split-input-file --tilec-pad-rows | FileCheck %s --check-prefix=OFF
// RUN: not tilec-opt %s -split-input-file --tilec-pad-rows=multiple=-4 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tilec-opt %s -split-input-file --tilec-pad-rows=any-precision=true | FileCheck %s --check-prefix=ATT

// ViT's 197 tokens: the bf16 input of a linear layer is flattened to its
// rows (a view), zero-padded to 208 rows, the product computed on 208 rows
// and sliced back to 197; the relu runs on the matrix, before the reshape
// back, and on the padded rows, before the slice (so that it fuses into the
// product's kernel and the slice of leading rows is a view).
// CHECK-LABEL: func.func @tokens
// CHECK: %[[F:.*]] = tilec.reshape %arg0 {shape = array<i64: 197, 64>} : (tensor<1x197x64xbf16>) -> tensor<197x64xbf16>
// CHECK: %[[P:.*]] = tilec.pad %[[F]] {pads = array<i64: 0, 0, 11, 0>} : (tensor<197x64xbf16>) -> tensor<208x64xbf16>
// CHECK: %[[Y:.*]] = tilec.linear %[[P]], %arg1, %arg2 : (tensor<208x64xbf16>, tensor<32x64xbf16>, tensor<32xf32>) -> tensor<208x32xf32>
// CHECK: %[[R:.*]] = tilec.relu %[[Y]] : tensor<208x32xf32>
// CHECK: %[[S:.*]] = tilec.slice %[[R]] {axes = array<i64: 0>, ends = array<i64: 197>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<208x32xf32>) -> tensor<197x32xf32>
// CHECK: tilec.reshape %[[S]] {shape = array<i64: 1, 197, 32>}
// OFF-LABEL: func.func @tokens
// OFF-NOT: tilec.pad
// BAD: error: tilec-pad-rows: multiple must be >= 0, got -4
func.func @tokens(%x: tensor<1x197x64xbf16>, %w: tensor<32x64xbf16>, %b: tensor<32xf32>) -> tensor<1x197x32xf32> {
  %y = tilec.linear %x, %w, %b : (tensor<1x197x64xbf16>, tensor<32x64xbf16>, tensor<32xf32>) -> tensor<1x197x32xf32>
  %r = tilec.relu %y : tensor<1x197x32xf32>
  return %r : tensor<1x197x32xf32>
}

// -----

// An epilogue on the padded rows: the bias add (a [C] operand), GELU and
// convert move above the slice; the residual add reads the sliced rows
// (a [197, C] operand) and stays after it.
// CHECK-LABEL: func.func @epilogue
// CHECK: %[[M:.*]] = tilec.matmul {{.*}} -> tensor<208x32xf32>
// CHECK: %[[B:.*]] = tilec.add %[[M]], %arg2 : (tensor<208x32xf32>, tensor<32xf32>) -> tensor<208x32xf32>
// CHECK: %[[G:.*]] = tilec.gelu %[[B]] {{.*}}tensor<208x32xf32>
// CHECK: %[[C:.*]] = tilec.convert %[[G]] {{.*}}-> tensor<208x32xbf16>
// CHECK: %[[S:.*]] = tilec.slice %[[C]] {{.*}}-> tensor<197x32xbf16>
// CHECK: tilec.add %[[S]], %arg3 : (tensor<197x32xbf16>, tensor<197x32xbf16>) -> tensor<197x32xbf16>
func.func @epilogue(%a: tensor<197x64xbf16>, %w: tensor<64x32xbf16>, %b: tensor<32xf32>, %res: tensor<197x32xbf16>) -> tensor<197x32xbf16> {
  %m = tilec.matmul %a, %w : (tensor<197x64xbf16>, tensor<64x32xbf16>) -> tensor<197x32xf32>
  %y = tilec.add %m, %b : (tensor<197x32xf32>, tensor<32xf32>) -> tensor<197x32xf32>
  %g = tilec.gelu %y : tensor<197x32xf32>
  %c = tilec.convert %g : tensor<197x32xf32> -> tensor<197x32xbf16>
  %r = tilec.add %c, %res : (tensor<197x32xbf16>, tensor<197x32xbf16>) -> tensor<197x32xbf16>
  return %r : tensor<197x32xbf16>
}

// -----

// Unchanged: f32 operands (no tensor cores), rows already a multiple of 16,
// and fewer than 32 rows (a classifier's one row would become 16).
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: tilec.pad
// CHECK-NOT: tilec.slice
func.func @unchanged(%a: tensor<197x64xf32>, %b: tensor<64x32xf32>, %c: tensor<208x64xbf16>, %d: tensor<64x32xbf16>, %e: tensor<1x64xbf16>) -> (tensor<197x32xf32>, tensor<208x32xf32>, tensor<1x32xf32>) {
  %x = tilec.matmul %a, %b : (tensor<197x64xf32>, tensor<64x32xf32>) -> tensor<197x32xf32>
  %y = tilec.matmul %c, %d : (tensor<208x64xbf16>, tensor<64x32xbf16>) -> tensor<208x32xf32>
  %z = tilec.matmul %e, %d : (tensor<1x64xbf16>, tensor<64x32xbf16>) -> tensor<1x32xf32>
  return %x, %y, %z : tensor<197x32xf32>, tensor<208x32xf32>, tensor<1x32xf32>
}

// -----

// A batched product of 16-bit operands: rows padded per batch entry.
// CHECK-LABEL: func.func @batched
// CHECK: tilec.pad %arg0 {pads = array<i64: 0, 0, 0, 0, 0, 0, 4, 0>{{.*}}-> tensor<2x3x48x8xf16>
// CHECK: tilec.matmul {{.*}} -> tensor<2x3x48x24xf32>
// CHECK: tilec.slice {{.*}}axes = array<i64: 2>, ends = array<i64: 44>{{.*}} -> tensor<2x3x44x24xf32>
func.func @batched(%a: tensor<2x3x44x8xf16>, %b: tensor<2x3x8x24xf16>) -> tensor<2x3x44x24xf32> {
  %y = tilec.matmul %a, %b : (tensor<2x3x44x8xf16>, tensor<2x3x8x24xf16>) -> tensor<2x3x44x24xf32>
  return %y : tensor<2x3x44x24xf32>
}

// -----

// Attention: the query's rows are padded (keys and values are not), the
// output sliced back: 197 query rows -> 208.
// CHECK-LABEL: func.func @attention
// CHECK: %[[Q:.*]] = tilec.pad %arg0 {pads = array<i64: 0, 0, 0, 0, 0, 0, 11, 0>} : (tensor<1x2x197x16xbf16>) -> tensor<1x2x208x16xbf16>
// CHECK: %[[A:.*]] = tilec.attention %[[Q]], %arg1, %arg2 {{.*}} : (tensor<1x2x208x16xbf16>, tensor<1x2x197x16xbf16>, tensor<1x2x197x16xbf16>) -> tensor<1x2x208x16xf32>
// CHECK: tilec.slice %[[A]] {axes = array<i64: 2>, ends = array<i64: 197>
func.func @attention(%q: tensor<1x2x197x16xbf16>, %k: tensor<1x2x197x16xbf16>, %v: tensor<1x2x197x16xbf16>) -> tensor<1x2x197x16xf32> {
  %a = tilec.attention %q, %k, %v {scale = 0.25 : f64} : (tensor<1x2x197x16xbf16>, tensor<1x2x197x16xbf16>, tensor<1x2x197x16xbf16>) -> tensor<1x2x197x16xf32>
  return %a : tensor<1x2x197x16xf32>
}

// -----

// A batch of token rows sharing one weight is one GEMM over all of them:
// 64 x 197 = 12608 rows, a multiple of 16, so no pad and no slice; the
// residual add (read as [12608, 32]) runs before the reshape back. A
// batched product with a weight per batch entry (rank 3) is not flattened.
// CHECK-LABEL: func.func @token_batch
// CHECK-DAG: %[[RES:.*]] = tilec.reshape %arg3 {shape = array<i64: 12608, 32>}
// CHECK-DAG: %[[F:.*]] = tilec.reshape %arg0 {shape = array<i64: 12608, 64>}
// CHECK-NOT: tilec.pad
// CHECK: %[[Y:.*]] = tilec.linear %[[F]], %arg1, %arg2 : (tensor<12608x64xbf16>, tensor<32x64xbf16>, tensor<32xf32>) -> tensor<12608x32xf32>
// CHECK: %[[A:.*]] = tilec.add %[[Y]], %[[RES]] : (tensor<12608x32xf32>, tensor<12608x32xf32>) -> tensor<12608x32xf32>
// CHECK: tilec.reshape %[[A]] {shape = array<i64: 64, 197, 32>}
// CHECK: tilec.matmul %arg4, %arg5 : (tensor<2x48x8xbf16>, tensor<2x8x16xbf16>)
func.func @token_batch(%x: tensor<64x197x64xbf16>, %w: tensor<32x64xbf16>, %b: tensor<32xf32>, %res: tensor<64x197x32xf32>, %p: tensor<2x48x8xbf16>, %q: tensor<2x8x16xbf16>) -> (tensor<64x197x32xf32>, tensor<2x48x16xf32>) {
  %y = tilec.linear %x, %w, %b : (tensor<64x197x64xbf16>, tensor<32x64xbf16>, tensor<32xf32>) -> tensor<64x197x32xf32>
  %a = tilec.add %y, %res : (tensor<64x197x32xf32>, tensor<64x197x32xf32>) -> tensor<64x197x32xf32>
  %m = tilec.matmul %p, %q : (tensor<2x48x8xbf16>, tensor<2x8x16xbf16>) -> tensor<2x48x16xf32>
  return %a, %m : tensor<64x197x32xf32>, tensor<2x48x16xf32>
}

// -----

// any-precision=true (GPU targets): every attention's query rows and every
// product's rows, f32 ones too, padded to 16-row blocks (without `multiple`:
// to 16); a token batch's f32 linear is flattened first, as a 16-bit one is.
// ATT-LABEL: func.func @any_precision
// ATT: %[[Q:.*]] = tilec.pad %arg0 {pads = array<i64: 0, 0, 0, 0, 11, 0>} : (tensor<12x197x64xf32>) -> tensor<12x208x64xf32>
// ATT: %[[A:.*]] = tilec.attention %[[Q]], %arg1, %arg2 {{.*}} -> tensor<12x208x64xf32>
// ATT: tilec.slice %[[A]] {axes = array<i64: 1>, ends = array<i64: 197>
// ATT: %[[P:.*]] = tilec.pad %arg3 {pads = array<i64: 0, 0, 11, 0>} : (tensor<197x64xf32>) -> tensor<208x64xf32>
// ATT: %[[M:.*]] = tilec.matmul %[[P]], %arg4 : (tensor<208x64xf32>, tensor<64x32xf32>) -> tensor<208x32xf32>
// ATT: tilec.slice %[[M]] {axes = array<i64: 0>, ends = array<i64: 197>
// ATT: %[[F:.*]] = tilec.reshape %arg5 {shape = array<i64: 197, 64>}
// ATT: %[[FP:.*]] = tilec.pad %[[F]] {pads = array<i64: 0, 0, 11, 0>} : (tensor<197x64xf32>) -> tensor<208x64xf32>
// ATT: tilec.linear %[[FP]], %arg6, %arg7 : (tensor<208x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<208x32xf32>
// CHECK-LABEL: func.func @any_precision
// CHECK: tilec.attention %arg0, %arg1, %arg2 {{.*}} -> tensor<12x197x64xf32>
// CHECK-NOT: tilec.pad
// OFF-LABEL: func.func @any_precision
// OFF-NOT: tilec.pad
func.func @any_precision(%q: tensor<12x197x64xf32>, %k: tensor<12x197x64xf32>, %v: tensor<12x197x64xf32>, %a: tensor<197x64xf32>, %b: tensor<64x32xf32>, %x: tensor<1x197x64xf32>, %w: tensor<32x64xf32>, %bias: tensor<32xf32>) -> (tensor<12x197x64xf32>, tensor<197x32xf32>, tensor<1x197x32xf32>) {
  %o = tilec.attention %q, %k, %v {scale = 0.125 : f64} : (tensor<12x197x64xf32>, tensor<12x197x64xf32>, tensor<12x197x64xf32>) -> tensor<12x197x64xf32>
  %m = tilec.matmul %a, %b : (tensor<197x64xf32>, tensor<64x32xf32>) -> tensor<197x32xf32>
  %y = tilec.linear %x, %w, %bias : (tensor<1x197x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<1x197x32xf32>
  return %o, %m, %y : tensor<12x197x64xf32>, tensor<197x32xf32>, tensor<1x197x32xf32>
}
