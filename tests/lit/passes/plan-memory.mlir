// RUN: tilec-opt %s --tilec-form-dispatches=fusion=none --tilec-plan-memory | FileCheck %s

// A chain a -> b -> c -> d of 4 KiB activations: a dies when c is written, so c
// reuses a's bytes; b and d likewise. Two buffers of 4096 bytes instead of four.
// The returned value lives to the end.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: tilec.arena_bytes = 8192 : i64, tilec.naive_activation_bytes = 16384 : i64
// CHECK: %[[A:.*]] = tilec.dispatch "relu"(%arg0) {arena_offsets = array<i64: [[OA:[0-9]+]]>
// CHECK: %[[B:.*]] = tilec.dispatch "sigmoid"(%[[A]]) {arena_offsets = array<i64: [[OB:[0-9]+]]>
// CHECK: %[[C:.*]] = tilec.dispatch "tanh"(%[[B]]) {arena_offsets = array<i64: [[OA]]>
// CHECK: %[[D:.*]] = tilec.dispatch "exp"(%[[C]]) {arena_offsets = array<i64: [[OB]]>
func.func @chain(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = tilec.relu %x : tensor<1024xf32>
  %b = tilec.sigmoid %a : tensor<1024xf32>
  %c = tilec.tanh %b : tensor<1024xf32>
  %d = tilec.exp %c : tensor<1024xf32>
  return %d : tensor<1024xf32>
}

// A value read later through a view stays alive until that read.
// CHECK-LABEL: func.func @view_extends_life
// CHECK-SAME: tilec.arena_bytes = 12288 : i64
func.func @view_extends_life(%x: tensor<1024xf32>) -> tensor<1024xf32> {
  %a = tilec.relu %x : tensor<1024xf32>
  %v = tilec.reshape %a {shape = array<i64: 32, 32>} : (tensor<1024xf32>) -> tensor<32x32xf32>
  %b = tilec.sigmoid %a : tensor<1024xf32>
  %c = tilec.tanh %b : tensor<1024xf32>
  %f = tilec.reshape %v {shape = array<i64: 1024>} : (tensor<32x32xf32>) -> tensor<1024xf32>
  %d = tilec.add %c, %f : (tensor<1024xf32>, tensor<1024xf32>) -> tensor<1024xf32>
  return %d : tensor<1024xf32>
}
