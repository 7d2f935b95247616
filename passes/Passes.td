//===- Passes.td - tilec graph passes ----------------------*- tablegen -*-===//
//
// One pass per file; flag `tilec-<verb>-<noun>`, class `<Verb><Noun>Pass`, lit
// test `tests/lit/passes/<verb>-<noun>.mlir`. The order they run in, and why, is
// in Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_PASSES_TD
#define TILEC_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseAttentionPass : Pass<"tilec-fuse-attention", "mlir::func::FuncOp"> {
  let summary = "Replace matmul -> scale -> softmax -> matmul with tilec.attention";
  let description = [{
    Recognises scaled dot-product attention, with the scale applied to the
    scores or to the query, by a one-element constant (mul or div) or absent, and
    the key transposed in its last two dims. Every intermediate must have one
    use; otherwise the pattern is left as it is.

    Before:
    ```mlir
    %kt = tilec.transpose %k {permutation = array<i64: 0, 1, 3, 2>} : ...
    %s = tilec.matmul %q, %kt : ...
    %c = tilec.mul %s, %scale : ...
    %p = tilec.softmax %c {axis = -1} : ...
    %o = tilec.matmul %p, %v : ...
    ```
    After:
    ```mlir
    %o = tilec.attention %q, %k, %v {scale = 0.125 : f64} : ...
    ```

    Then the heads' split: k equal slices of a value's last dim, each
    reshaped to [..., H, D] and transposed alike (ViT's Q, K and V out of one
    projection), become one reshape to [..., k, H, D], one transpose with the
    k axis first, and slices of that axis (contiguous: plan-memory places
    them in the transposed tensor, no kernel).
  }];
}

def FuseLayerNormPass : Pass<"tilec-fuse-layer-norm", "mlir::func::FuncOp"> {
  let summary = "Replace a decomposed layer norm with tilec.layer_norm";
  let description = [{
    ONNX exports below opset 17 spell layer norm as
    `d = x - mean(x); y = d / sqrt(mean(d * d) + eps) * gamma + beta` over the
    trailing dims (Pow(d, 2) imports as `d * d`). With constant eps, gamma and
    beta (gamma and beta optional) and single-use intermediates, this becomes
    one `tilec.layer_norm`, which is one reduction kernel instead of eight.
  }];
}

def FoldBatchNormPass : Pass<"tilec-fold-batch-norm", "mlir::func::FuncOp"> {
  let summary = "Fold inference batch norm into the preceding conv or linear layer";
  let description = [{
    `batch_norm(conv2d(x, W, b))` with constant parameters and a single use of
    the convolution becomes `conv2d(x, W', b')` with
    `W'[o] = W[o] * s[o]`, `b'[o] = (b[o] - mean[o]) * s[o] + shift[o]`,
    `s = scale / sqrt(var + eps)`; the same for `linear` on rank-2 inputs.
    A batch norm with anything else before it (DenseNet's pre-activation) becomes
    a per-channel `mul` + `add` with constant operands, which fusion can absorb.

    Before:
    ```mlir
    %c = tilec.conv2d %x, %w : (...) -> tensor<1x4x6x6xf32>
    %y = tilec.batch_norm %c, %s, %t, %m, %v : (...) -> tensor<1x4x6x6xf32>
    ```
    After:
    ```mlir
    %y = tilec.conv2d %x, %w2, %b2 : (...) -> tensor<1x4x6x6xf32>
    ```
  }];
  let dependentDialects = ["tilec::TilecDialect"];
}

def FoldPadPass : Pass<"tilec-fold-pad", "mlir::func::FuncOp"> {
  let summary = "Fold explicit zero padding of the spatial dims into the consuming conv";
  let description = [{
    `conv2d(pad(x, value = 0, H/W only))` becomes `conv2d(x)` with the pads added
    to the conv's own padding, when the pad has no other use (TensorFlow-exported
    models pad explicitly before strided convolutions). Saves one kernel and the
    padded copy of the activation.

    Before:
    ```mlir
    %p = tilec.pad %x {pads = array<i64: 0, 0, 1, 0, 0, 0, 2, 1>} : (...) -> tensor<1x3x11x9xf32>
    %y = tilec.conv2d %p, %w : (...) -> ...
    ```
    After:
    ```mlir
    %y = tilec.conv2d %x, %w {padding = array<i64: 1, 0, 2, 1>} : (...) -> ...
    ```
  }];
}

def PackWeightsPass : Pass<"tilec-pack-weights", "mlir::func::FuncOp"> {
  let summary = "Store constant weights in the layout the kernels read (linear: W^T)";
  let description = [{
    A fully connected layer's weight is `[N, K]` (PyTorch's layout); the GEMM
    kernels want `[K, N]` so that each step reads a contiguous row. The
    transpose is done once, here, on the constant.

    Before:
    ```mlir
    %w = tilec.constant {name = "fc.weight"} dense_resource<fc.weight> : tensor<10x20xf32>
    %y = tilec.linear %x, %w, %b : (tensor<4x20xf32>, tensor<10x20xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    ```
    After:
    ```mlir
    %wt = tilec.constant {name = "fc.weight.packed_kn"} dense_resource<...> : tensor<20x10xf32>
    %m = tilec.matmul %x, %wt : (tensor<4x20xf32>, tensor<20x10xf32>) -> tensor<4x10xf32>
    %y = tilec.add %m, %b : (tensor<4x10xf32>, tensor<10xf32>) -> tensor<4x10xf32>
    ```
  }];
}

def AssignLayoutsPass : Pass<"tilec-assign-layouts", "mlir::func::FuncOp"> {
  let summary = "Choose activation and weight layouts: NHWC activations, HWIO weights";
  let description = [{
    With `layout=nhwc` (and `auto`, unless the graph's channel concats are
    written in place in NCHW and outweigh the converted ops: DenseNet), convolutions
    (groups = 1 or depthwise) and 2-D / global pools compute channels last and constant weights are re-laid out to HWIO at
    compile time; transposes inserted at the boundaries sink through
    elementwise ops, concats and reductions and cancel in pairs, so the graph
    changes layout only at its input and before layout-bound ops (flatten,
    matmul). `layout=nchw` changes nothing. See AssignLayouts.cpp.

    Before:
    ```mlir
    %c = tilec.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
    %r = tilec.relu %c : tensor<1x4x6x6xf32>
    ```
    After:
    ```mlir
    %t = tilec.transpose %x {permutation = array<i64: 0, 2, 3, 1>} : ... -> tensor<1x8x8x3xf32>
    %c = tilec.conv2d %t, %w_hwio {layout = "nhwc"} : (..., tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32>
    %r = tilec.relu %c : tensor<1x6x6x4xf32>
    %y = tilec.transpose %r {permutation = array<i64: 0, 3, 1, 2>} : ... -> tensor<1x4x6x6xf32>
    ```
  }];
  let options = [
    Option<"layout", "layout", "std::string", /*default=*/"\"auto\"",
           "'auto' (nhwc unless NCHW's in-place concats outweigh it), 'nhwc' (channels "
           "last) or 'nchw' (leave the graph as it is)">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def SetPrecisionPass : Pass<"tilec-set-precision", "mlir::func::FuncOp"> {
  let summary = "Give convolutions, matrix products and attention 16-bit operands (fp32 accumulation)";
  let description = [{
    With `precision=bf16` or `fp16`, the input and weight of every `conv2d`,
    `matmul` and `linear` (and the query, key and value of every `attention`)
    whose operands are f32 become bf16 / f16: constant
    weights are rounded (to nearest even) once, here, into new constants
    (half the bytes in the artifact); activations get a `tilec.convert` (one per
    value, shared by its consumers), which fusion then puts at the end of the
    producer's kernel when the value has no other use. The contraction's result
    stays f32: products accumulate in fp32 (attention's scores, softmax and
    probabilities too). Normalizations and elementwise ops stay f32.
    `precision=tf32` changes no type: `conv2d`, `matmul` and `linear` get the
    unit attribute `tilec.tf32`, which lets tensor cores (CUDA sm_80+) round
    their f32 operands to TF32 (10-bit mantissa) inside the instruction.
    `precision=fp32` changes nothing.

    Before:
    ```mlir
    %y = tilec.conv2d %x, %w : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32>
    ```
    After (`precision=bf16`):
    ```mlir
    %xh = tilec.convert %x : tensor<1x8x8x3xf32> -> tensor<1x8x8x3xbf16>
    %y = tilec.conv2d %xh, %w_bf16 : (tensor<1x8x8x3xbf16>, tensor<3x3x3x4xbf16>) -> tensor<1x6x6x4xf32>
    ```
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"fp32\"",
           "'fp32' (unchanged), 'tf32' (marked), 'bf16' or 'fp16': the operand type of contractions">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def ConvsAsGemmsPass : Pass<"tilec-convs-as-gemms", "mlir::func::FuncOp"> {
  let summary = "Channels-last 16-bit convolutions as matrix products (tensor-core targets)";
  let description = [{
    With `enabled=true` (the compiler sets it for targets with tensor cores
    and 16-bit operands), every channels-last `conv2d` with `groups = 1`,
    bf16 / f16 operands, `KH * KW * C_in` a multiple of 16, `C_out` a
    multiple of 8 and at least 32 output pixels becomes a product of its windows and its weight: the input
    as a `[N * OH * OW, KH * KW * C_in]` matrix (`tilec.im2col`; a `reshape`
    for 1x1, stride-1, unpadded convolutions), the HWIO weight reshaped to
    `[KH * KW * C_in, C_out]`, the bias added, the result reshaped back to
    NHWC. Tensor cores then compute it as a GEMM; the windows join the
    matmul's dispatch (form-dispatches) and GPU kernels read them from the
    input per staged block (implicit GEMM). Elementwise consumers that only
    the convolution feeds move ahead of the final reshape (on the matrix,
    their NHWC operands through views, per-channel ones as `[C_out]`) so that
    they fuse into the product's kernel.

    Before:
    ```mlir
    %y = tilec.conv2d %x, %w, %b {layout = "nhwc", padding = array<i64: 1, 1, 1, 1>}
         : (tensor<1x8x8x16xbf16>, tensor<3x3x16x32xbf16>, tensor<32xf32>) -> tensor<1x8x8x32xf32>
    ```
    After:
    ```mlir
    %a = tilec.im2col %x {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x16xbf16>) -> tensor<64x144xbf16>
    %k = tilec.reshape %w {shape = array<i64: 144, 32>} : (tensor<3x3x16x32xbf16>) -> tensor<144x32xbf16>
    %m = tilec.matmul %a, %k : (tensor<64x144xbf16>, tensor<144x32xbf16>) -> tensor<64x32xf32>
    %s = tilec.add %m, %b : (tensor<64x32xf32>, tensor<32xf32>) -> tensor<64x32xf32>
    %y = tilec.reshape %s {shape = array<i64: 1, 8, 8, 32>} : (tensor<64x32xf32>) -> tensor<1x8x8x32xf32>
    ```
    and a `relu` of `%y` (its only use) would be `relu(%s)` before the reshape.
  }];
  let options = [
    Option<"enabled", "enabled", "bool", /*default=*/"false", "rewrite (false: off)">,
    Option<"rowMultiple", "row-multiple", "int64_t", /*default=*/"0",
           "im2col matrices take rows up to this multiple (zero rows: what "
           "tilec-pad-rows would add as a kernel of its own); 0: none">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def SplitPoolsPass : Pass<"tilec-split-pools", "mlir::func::FuncOp"> {
  let summary = "GPU global pools over many positions as row means, then their mean";
  let description = [{
    With `min-positions=P` (P > 0; the compiler sets 256 for GPU targets and
    simt), a channels-last `global_avg_pool` over `[N, H, W, C]` with H > 1,
    W > 1 and H * W >= P pools instead the means of its rows (`reduce_mean`
    over W, keepdims): the mean of equal-sized row means is the mean. GPU
    kernels compute a reduction's outputs a thread each, each thread walking
    its whole reduction: a pool's N * C threads each added H * W values
    (EfficientNet-B0's first squeeze-excite pool at batch 64: 8 blocks of
    256 threads adding 12544 values each; at batch 1, 32 threads on one
    multiprocessor). Split, N * H * C threads add W values, then N * C add H.
    A squeeze-excite block whose pool is split no longer fuses its gating
    product into the pool's one-block kernel (tilec-form-dispatches fuses it
    only when the pool reads the gated tensor), so that product runs on the
    whole GPU. `min-positions=0` changes nothing.

    Before (`min-positions=256`):
    ```mlir
    %p = tilec.global_avg_pool %x {layout = "nhwc"} : (tensor<1x112x112x32xf32>) -> tensor<1x1x1x32xf32>
    ```
    After:
    ```mlir
    %r = tilec.reduce_mean %x {axes = array<i64: 2>, keepdims = true} : (tensor<1x112x112x32xf32>) -> tensor<1x112x1x32xf32>
    %p = tilec.global_avg_pool %r {layout = "nhwc"} : (tensor<1x112x1x32xf32>) -> tensor<1x1x1x32xf32>
    ```
  }];
  let options = [
    Option<"minPositions", "min-positions", "int64_t", /*default=*/"0",
           "split pools over at least this many positions (H x W; 0: none)">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def PadRowsPass : Pass<"tilec-pad-rows", "mlir::func::FuncOp"> {
  let summary = "Pad the rows of 16-bit matrix products to a multiple of a tensor-core tile";
  let description = [{
    With `multiple=N` (N > 0; the compiler sets 16 for targets with tensor
    cores and 16-bit operands), every `linear` and `matmul` whose operands are
    bf16 / f16 and whose row count M (the lhs's second-to-last dimension) is
    at least 2N and not a multiple of N reads its lhs zero-padded to the next
    multiple and its result is sliced back to M rows: the product itself then
    splits into whole tensor-core tiles (ViT's 197 tokens: 208 rows, 5.6 %
    more work instead of one-row SIMT blocks). Zero rows of A give zero rows
    of the product, which the slice drops. An `attention` with 16-bit
    operands gets its query rows padded the same way (keys and values
    unchanged), so GPU blocks take 16 query rows each. With
    `any-precision=true` (the compiler sets it for GPU targets) every product
    and attention does, f32 ones too (to 16, or `multiple` when set): a GPU
    kernel's blocks divide its rows, and 197 rows only divide into one-row
    blocks. ViT-B/16 in f32 at batch 1 then runs its SIMT GEMMs as 52x64
    blocks of 208 rows (they were 1x64 blocks of 16 threads, each re-reading
    its 64 columns of the weight for one row) and its attention as 156
    blocks of 16 query rows instead of 12 blocks of a whole head's 197.
    `multiple=0` (without `attention`) changes nothing. First, a `linear` or `matmul` whose weight is shared by its
    leading dims (rhs of rank 2) computes on its lhs flattened to
    [rows, K] (a view) and reshapes its result back, its elementwise
    epilogue moved ahead of that reshape: ViT at batch 64 is one GEMM of
    64 x 197 = 12608 rows per layer (no padding: a multiple of 16) instead
    of 64 padded products of 208.

    Before (`multiple=16`):
    ```mlir
    %y = tilec.linear %x, %w, %b : (tensor<1x197x192xbf16>, tensor<576x192xbf16>, tensor<576xf32>) -> tensor<1x197x576xf32>
    ```
    After:
    ```mlir
    %f = tilec.reshape %x {shape = array<i64: 197, 192>} : (tensor<1x197x192xbf16>) -> tensor<197x192xbf16>
    %p = tilec.pad %f {pads = array<i64: 0, 0, 11, 0>} : (tensor<197x192xbf16>) -> tensor<208x192xbf16>
    %q = tilec.linear %p, %w, %b : (tensor<208x192xbf16>, tensor<576x192xbf16>, tensor<576xf32>) -> tensor<208x576xf32>
    %s = tilec.slice %q {axes = array<i64: 0>, starts = array<i64: 0>, ends = array<i64: 197>, steps = array<i64: 1>} : (tensor<208x576xf32>) -> tensor<197x576xf32>
    %y = tilec.reshape %s {shape = array<i64: 1, 197, 576>} : (tensor<197x576xf32>) -> tensor<1x197x576xf32>
    ```
  }];
  let options = [
    Option<"multiple", "multiple", "int64_t", /*default=*/"0",
           "row multiple (0: off)">,
    Option<"anyPrecision", "any-precision", "bool", /*default=*/"false",
           "pad every product's and attention's rows to a multiple of 16 (or "
           "`multiple`), whatever the precision of its operands (GPU targets: "
           "blocks of whole rows)">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def FormDispatchesPass : Pass<"tilec-form-dispatches", "mlir::func::FuncOp"> {
  let summary = "Group every compute op into a tilec.dispatch region (one kernel each)";
  let description = [{
    Each root op (convolution, matrix product, pooling, normalization, reduction,
    data movement, or an elementwise op nothing absorbed) gets a dispatch; with
    `fusion=default` it takes along the chain of elementwise consumers that the
    cost rule accepts (see FormDispatches.cpp): bias, activation, residual add,
    scale/shift. Views (`reshape`, `flatten`) and constants stay outside.

    Before:
    ```mlir
    %c = tilec.conv2d %x, %w : (...) -> tensor<1x4x6x6xf32>
    %r = tilec.relu %c : tensor<1x4x6x6xf32>
    ```
    After:
    ```mlir
    %r = tilec.dispatch "conv2d" (%x, %w) {signature = "conv2d(...)+relu"} : ... {
    ^bb0(%a: ..., %b: ...):
      %c = tilec.conv2d %a, %b : ...
      %r = tilec.relu %c : ...
      tilec.yield %r : ...
    }
    ```
  }];
  let options = [
    Option<"fusion", "fusion", "std::string", /*default=*/"\"default\"",
           "'default' fuses by the cost rule; 'none' gives every op its own dispatch">
  ];
  let dependentDialects = ["tilec::TilecDialect"];
}

def PlanMemoryPass : Pass<"tilec-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Assign activation buffers to offsets in one arena by liveness";
  let description = [{
    Every dispatch result is a buffer live from its dispatch to its last use
    (through reshape/flatten views, which alias their operand). Buffers are
    placed largest first at the lowest 64-byte-aligned offset that does not
    overlap a buffer live at the same time. Each dispatch gets `arena_offsets`
    (one per result); the function gets `tilec.arena_bytes` and, for
    comparison, `tilec.naive_activation_bytes` (every buffer separately).

    Concat in place: a dispatch that is only a concat of dispatch results whose
    slices are contiguous (all dims before the axis are 1) gets `in_place`; its
    operands are placed inside it and it runs no kernel. In-place reuse: an
    elementwise-only dispatch writes over a same-typed operand that dies there
    and is read once, by its first op (`in_place_operand = i`).
  }];
}

#endif // TILEC_PASSES_TD
