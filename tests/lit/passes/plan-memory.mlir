// RUN: tilec-opt %s --tilec-form-dispatches=fusion=none --tilec-plan-memory | FileCheck %s
// RUN: tilec-opt %s --tilec-form-dispatches --tilec-plan-memory | FileCheck %s --check-prefix=FUSED

// A chain a -> b -> c -> d of 4 KiB elementwise activations: each operand dies
// where the next is written, element for element, so every dispatch writes over
// its operand (in-place reuse): one buffer instead of two (or four, naively).
// The returned value lives to the end.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: tilec.arena_bytes = 4096 : i64, tilec.naive_activation_bytes = 16384 : i64
// CHECK: %[[A:.*]] = tilec.dispatch "relu"(%arg0) {arena_offsets = array<i64: 0>
// CHECK-NOT: in_place_operand
// CHECK-SAME: signature
// CHECK: tilec.dispatch "sigmoid"(%[[A]]) {arena_offsets = array<i64: 0>, in_place_operand = 0 : i64
// CHECK: tilec.dispatch "tanh"({{.*}}) {arena_offsets = array<i64: 0>, in_place_operand = 0 : i64
// CHECK: tilec.dispatch "exp"({{.*}}) {arena_offsets = array<i64: 0>, in_place_operand = 0 : i64
func.func @chain(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = tilec.relu %x : tensor<1024xf32>
  %b = tilec.sigmoid %a : tensor<1024xf32>
  %c = tilec.tanh %b : tensor<1024xf32>
  %d = tilec.exp %c : tensor<1024xf32>
  return %d : tensor<1024xf32>
}

// An operand read later (a, by the add) is not overwritten; the add may write
// over b, which dies there.
// CHECK-LABEL: func.func @operand_still_live
// CHECK-SAME: tilec.arena_bytes = 8192 : i64
// CHECK: tilec.dispatch "sigmoid"
// CHECK-NOT: in_place_operand
// CHECK-SAME: signature
// CHECK: tilec.dispatch "add"({{.*}}) {arena_offsets = array<i64: {{[0-9]+}}>, in_place_operand = 0 : i64
func.func @operand_still_live(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = tilec.relu %x : tensor<1024xf32>
  %b = tilec.sigmoid %a : tensor<1024xf32>
  %c = tilec.add %b, %a : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  return %c : tensor<1024xf32>
}

// A value read later through a view stays alive until that read.
// CHECK-LABEL: func.func @view_extends_life
// CHECK-SAME: tilec.arena_bytes = 8192 : i64
func.func @view_extends_life(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = tilec.relu %x : tensor<1024xf32>
  %v = tilec.reshape %a {shape = array<i64: 32, 32>} : (tensor<1024xf32>) -> tensor<32x32xf32>
  %b = tilec.sigmoid %a : tensor<1024xf32>
  %c = tilec.tanh %b : tensor<1024xf32>
  %f = tilec.reshape %v {shape = array<i64: 1024>} : (tensor<32x32xf32>) -> tensor<1024xf32>
  %d = tilec.add %c, %f : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  return %d : tensor<1024xf32>
}

// A matmul reads its operand at other indices than it writes: never in place.
// CHECK-LABEL: func.func @matmul_not_in_place
// CHECK-SAME: tilec.arena_bytes = 8192 : i64
// CHECK: tilec.dispatch "matmul"
// CHECK-NOT: in_place_operand
// CHECK-SAME: signature
func.func @matmul_not_in_place(%x: tensor<32x32xf32>, %w: tensor<32x32xf32>) -> tensor<32x32xf32> {
  %a = tilec.relu %x : tensor<32x32xf32>
  %m = tilec.matmul %a, %w : (tensor<32x32xf32>, tensor<32x32xf32>) -> tensor<32x32xf32>
  return %m : tensor<32x32xf32>
}

// Fused: the dispatch (tanh, sigmoid, add p) reads p in its third op, after
// the chain may already have written to the result: p is not overwritten.
// FUSED-LABEL: func.func @late_reader
// FUSED-SAME: tilec.arena_bytes = 8192 : i64
// FUSED: tilec.dispatch "tanh"
// FUSED-NOT: in_place_operand
// FUSED-SAME: signature
func.func @late_reader(%x: tensor<1024xf32>, %y: tensor<1024xf32>) -> tensor<1024xf32> {
  %p = tilec.exp %x : tensor<1024xf32>
  %q = tilec.tanh %y : tensor<1024xf32>
  %s = tilec.sigmoid %q : tensor<1024xf32>
  %r = tilec.add %s, %p : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}

// Concat in place (batch 1, channels): a and b are written at their slices of
// c (offsets 0 and 1024), the concat runs no kernel, and tanh writes over the
// concat, which dies there: one 2 KiB buffer.
// FUSED-LABEL: func.func @concat_in_place
// FUSED-SAME: tilec.arena_bytes = 2048 : i64
// FUSED: tilec.dispatch "relu"(%arg0) {arena_offsets = array<i64: 0>
// FUSED: tilec.dispatch "sigmoid"(%arg0) {arena_offsets = array<i64: 1024>
// FUSED: tilec.dispatch "concat"({{.*}}) {arena_offsets = array<i64: 0>, in_place
// FUSED: tilec.dispatch "tanh"({{.*}}) {arena_offsets = array<i64: 0>, in_place_operand = 0 : i64
func.func @concat_in_place(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %a = tilec.relu %x : tensor<1x4x8x8xf32>
  %b = tilec.sigmoid %x : tensor<1x4x8x8xf32>
  %c = tilec.concat %a, %b {axis = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32>
  %d = tilec.tanh %c : tensor<1x8x8x8xf32>
  return %d : tensor<1x8x8x8xf32>
}

// DenseNet: c1 = [x0, x1] and c2 = [x0, x1, x2] share bytes, c1 a prefix of c2.
// FUSED-LABEL: func.func @growing_concats
// FUSED: tilec.dispatch "relu"(%arg0) {arena_offsets = array<i64: [[O:[0-9]+]]>
// FUSED: tilec.dispatch "sigmoid"{{.*}}arena_offsets = array<i64: [[O1:[0-9]+]]>
// FUSED: tilec.dispatch "concat"({{.*}}) {arena_offsets = array<i64: [[O]]>, in_place
// FUSED: tilec.dispatch "concat"({{.*}}) {arena_offsets = array<i64: [[O]]>, in_place
func.func @growing_concats(%x: tensor<1x2x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x6x4x4xf32>) {
  %x0 = tilec.relu %x : tensor<1x2x4x4xf32>
  %x1 = tilec.sigmoid %x0 : tensor<1x2x4x4xf32>
  %c1 = tilec.concat %x0, %x1 {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
  %x2 = tilec.exp %x1 : tensor<1x2x4x4xf32>
  %c2 = tilec.concat %x0, %x1, %x2 {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x6x4x4xf32>
  return %c1, %c2 : tensor<1x4x4x4xf32>, tensor<1x6x4x4xf32>
}

// Not in place (a copy kernel): a batch of 2 (slices not contiguous), a
// function input, the same value twice, a value that another concat placed
// elsewhere (c2 = [b, a] puts b first; c1 = [a, b] cannot also).
// FUSED-LABEL: func.func @concats_that_copy
// FUSED: tilec.dispatch "concat"
// FUSED-NOT: in_place
// FUSED-SAME: signature
// FUSED: tilec.dispatch "concat"
// FUSED-NOT: in_place
// FUSED-SAME: signature
// FUSED: tilec.dispatch "concat"
// FUSED-NOT: in_place
// FUSED-SAME: signature
// FUSED: tilec.dispatch "concat"
// FUSED-NOT: in_place
// FUSED-SAME: signature
// FUSED: tilec.dispatch "concat"({{.*}}) {arena_offsets = array<i64: {{[0-9]+}}>, in_place
func.func @concats_that_copy(%x: tensor<2x4x4x4xf32>, %y: tensor<1x4x4x4xf32>)
    -> (tensor<2x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %p = tilec.relu %x : tensor<2x4x4x4xf32>
  %q = tilec.sigmoid %x : tensor<2x4x4x4xf32>
  %batch2 = tilec.concat %p, %q {axis = 1 : i64} : (tensor<2x4x4x4xf32>, tensor<2x4x4x4xf32>) -> tensor<2x8x4x4xf32>
  %a = tilec.relu %y : tensor<1x4x4x4xf32>
  %b = tilec.sigmoid %y : tensor<1x4x4x4xf32>
  %input = tilec.concat %y, %a {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  %twice = tilec.concat %a, %a {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c1 = tilec.concat %a, %b {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  %c2 = tilec.concat %b, %a {axis = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %batch2, %input, %twice, %c1, %c2 : tensor<2x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// Slices taking one contiguous run of a dispatch's result (the first axis,
// or an axis after dims of 1, through a view too) are placed inside its
// bytes and run no kernel (`in_place`); a strided slice (the second axis of
// [2, 8, 16]) and a run not 64-byte aligned (80 bytes in) are copies.
// FUSED-LABEL: func.func @slices_in_place
// FUSED: %[[T:.*]] = tilec.dispatch "tanh"(%arg0) {arena_offsets = array<i64: [[#OFF:]]>,
// FUSED: tilec.dispatch "slice"(%[[T]]) {arena_offsets = array<i64: [[#OFF]]>, in_place,
// FUSED: tilec.dispatch "slice"(%[[T]]) {arena_offsets = array<i64: [[#OFF+512]]>, in_place,
// FUSED: tilec.dispatch "slice"(%[[T]]) {arena_offsets = array<i64: {{[0-9]+}}>, signature = "slice(2x8x16xf32){axes = array<i64: 1>
// FUSED: %[[R:.*]] = tilec.reshape %[[T]]
// FUSED: tilec.dispatch "slice"(%[[R]]) {arena_offsets = array<i64: [[#OFF+192]]>, in_place,
// FUSED: %[[S:.*]] = tilec.reshape %[[T]]
// FUSED: tilec.dispatch "slice"(%[[S]]) {arena_offsets = array<i64: {{[0-9]+}}>, signature =
func.func @slices_in_place(%x: tensor<2x8x16xf32>) -> (tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<2x4x16xf32>, tensor<1x1x16xf32>, tensor<1x1x4xf32>) {
  %t = tilec.tanh %x : tensor<2x8x16xf32>
  %a = tilec.slice %t {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x8x16xf32>) -> tensor<1x8x16xf32>
  %b = tilec.slice %t {axes = array<i64: 0>, ends = array<i64: 2>, starts = array<i64: 1>, steps = array<i64: 1>} : (tensor<2x8x16xf32>) -> tensor<1x8x16xf32>
  %c = tilec.slice %t {axes = array<i64: 1>, ends = array<i64: 4>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x8x16xf32>) -> tensor<2x4x16xf32>
  %r = tilec.reshape %t {shape = array<i64: 16, 1, 16>} : (tensor<2x8x16xf32>) -> tensor<16x1x16xf32>
  %d = tilec.slice %r {axes = array<i64: 0>, ends = array<i64: 4>, starts = array<i64: 3>, steps = array<i64: 1>} : (tensor<16x1x16xf32>) -> tensor<1x1x16xf32>
  %s = tilec.reshape %t {shape = array<i64: 64, 1, 4>} : (tensor<2x8x16xf32>) -> tensor<64x1x4xf32>
  %e = tilec.slice %s {axes = array<i64: 0>, ends = array<i64: 6>, starts = array<i64: 5>, steps = array<i64: 1>} : (tensor<64x1x4xf32>) -> tensor<1x1x4xf32>
  return %a, %b, %c, %d, %e : tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<2x4x16xf32>, tensor<1x1x16xf32>, tensor<1x1x4xf32>
}

// An elementwise kernel reading a buffer and a slice placed in it does not
// write over that buffer (an output element would overwrite what a later
// one reads through the slice).
// FUSED-LABEL: func.func @no_reuse_under_a_slice
// FUSED: tilec.dispatch "slice"({{.*}}) {arena_offsets = array<i64: {{[0-9]+}}>, in_place,
// FUSED: tilec.dispatch "add"
// FUSED-NOT: in_place_operand
// FUSED-SAME: signature
func.func @no_reuse_under_a_slice(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %t = tilec.tanh %x : tensor<2x8x16xf32>
  %q = tilec.slice %t {axes = array<i64: 0>, ends = array<i64: 1>, starts = array<i64: 0>, steps = array<i64: 1>} : (tensor<2x8x16xf32>) -> tensor<1x8x16xf32>
  %y = tilec.add %t, %q : (tensor<2x8x16xf32>, tensor<1x8x16xf32>) -> tensor<2x8x16xf32>
  return %y : tensor<2x8x16xf32>
}
