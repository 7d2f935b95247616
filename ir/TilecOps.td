//===- TilecOps.td - operators of the tilec graph dialect --*- tablegen -*-===//
//
// Every op here is Pure and infers its result type (InferTypeOpAdaptor): the
// C++ inference in TilecOps.cpp is also the verifier, so an op whose attributes or
// operand shapes are inconsistent fails verification with a message that names it.
//
//===----------------------------------------------------------------------===//

#ifndef TILEC_OPS_TD
#define TILEC_OPS_TD

include "ir/TilecDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

// Activations and weights: statically shaped float tensors of any rank.
def Tilec_Tensor : StaticShapeTensorOf<[AnyFloat]>;

// Ops whose result type needs a shape function (ShapeInference.cpp).
class Tilec_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tilec_Dialect, mnemonic, !listconcat([Pure, InferTypeOpAdaptor], traits)>;

// Ops whose result type is their operand type; ODS generates the inference.
class Tilec_SameTypeOp<string mnemonic, list<Trait> traits = []>
    : Op<Tilec_Dialect, mnemonic,
         !listconcat([Pure, SameOperandsAndResultType, InferTypeOpInterface], traits)>;

//===----------------------------------------------------------------------===//
// Constants (weights)
//===----------------------------------------------------------------------===//

def Tilec_ConstantOp : Tilec_Op<"constant", [ConstantLike]> {
  let summary = "A constant tensor, typically a weight held as a dense_resource blob";
  let description = [{
    `name` is the parameter's name in the model's state dict (for example
    `layer1.0.conv1.weight`), so that real weights can be attached by name.

    ```mlir
    %w = tilec.constant {name = "fc.weight"} dense_resource<fc.weight> : tensor<10x20xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value, OptionalAttr<StrAttr>:$name);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "attr-dict $value";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Convolution, matrix products
//===----------------------------------------------------------------------===//

def Tilec_Conv2DOp : Tilec_Op<"conv2d"> {
  let summary = "2-D convolution, NCHW input, OIHW weight, optional bias";
  let description = [{
    `padding` is `[top, left, bottom, right]` (asymmetric padding allowed).
    With `groups = C_in = C_out` this is a depthwise convolution; the weight is
    `[C_out, C_in / groups, KH, KW]`.

    `layout = "nhwc"` (set by `tilec-assign-layouts`; absent means `"nchw"`): the
    input and result are `[N, H, W, C]` and the weight is HWIO,
    `[KH, KW, C_in / groups, C_out]`. Only `groups = 1` and depthwise take it.

    ```mlir
    %y = tilec.conv2d %x, %w, %b {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    ```
  }];
  let arguments = (ins Tilec_Tensor:$input, Tilec_Tensor:$weight, Optional<Tilec_Tensor>:$bias,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<I64Attr, "1">:$groups,
                   OptionalAttr<StrAttr>:$layout);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{ bool isChannelsLast() { return tilec::isChannelsLast(getLayout()); } }];
}

def Tilec_MatmulOp : Tilec_Op<"matmul"> {
  let summary = "Batched matrix product with broadcast batch dimensions";
  let description = [{
    `[..., M, K] x [..., K, N] -> [..., M, N]`; both operands have rank >= 2 and
    their leading (batch) dimensions broadcast as in NumPy.
  }];
  let arguments = (ins Tilec_Tensor:$lhs, Tilec_Tensor:$rhs);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Tilec_LinearOp : Tilec_Op<"linear"> {
  let summary = "Fully connected layer: y = x W^T + b over the last dimension";
  let description = [{
    `input` is `[..., K]`, `weight` is `[N, K]` (PyTorch's `nn.Linear` layout),
    `bias` is `[N]`; the result is `[..., N]`.
  }];
  let arguments = (ins Tilec_Tensor:$input, Tilec_Tensor:$weight, Optional<Tilec_Tensor>:$bias);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)";
}

def Tilec_AttentionOp : Tilec_Op<"attention"> {
  let summary = "Scaled dot-product attention: softmax(q k^T * scale) v";
  let description = [{
    `q` is `[..., S, D]`, `k` is `[..., T, D]`, `v` is `[..., T, Dv]` with the same
    leading (batch, head) dims; the result is `[..., S, Dv]`. Formed by
    `tilec-fuse-attention` from matmul -> scale -> softmax -> matmul, so code
    generation can emit one kernel with an online softmax instead of writing
    the `[S, T]` score matrix to memory.
  }];
  let arguments = (ins Tilec_Tensor:$query, Tilec_Tensor:$key, Tilec_Tensor:$value,
                   F64Attr:$scale);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$query `,` $key `,` $value attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

def Tilec_ConvertOp : Op<Tilec_Dialect, "convert", [Pure]> {
  let summary = "Element type conversion (f32 <-> bf16 / f16), rounding to nearest even";
  let description = [{
    Inserted by `tilec-set-precision` in front of the operands of contractions
    so they read 16-bit values; the shape is unchanged.

    ```mlir
    %h = tilec.convert %x : tensor<1x64x56x56xf32> -> tensor<1x64x56x56xbf16>
    ```
  }];
  let arguments = (ins Tilec_Tensor:$input);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

class Tilec_BinaryOp<string mnemonic, string formula> : Tilec_Op<mnemonic> {
  let summary = "Elementwise " # formula # " with NumPy broadcasting";
  let arguments = (ins Tilec_Tensor:$lhs, Tilec_Tensor:$rhs);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Tilec_AddOp : Tilec_BinaryOp<"add", "lhs + rhs">;
def Tilec_SubOp : Tilec_BinaryOp<"sub", "lhs - rhs">;
def Tilec_MulOp : Tilec_BinaryOp<"mul", "lhs * rhs">;
def Tilec_DivOp : Tilec_BinaryOp<"div", "lhs / rhs">;

class Tilec_UnaryOp<string mnemonic, string formula, dag attrs = (ins)>
    : Tilec_SameTypeOp<mnemonic> {
  let summary = "Elementwise " # formula;
  let arguments = !con((ins Tilec_Tensor:$input), attrs);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Tilec_ReluOp : Tilec_UnaryOp<"relu", "max(x, 0)">;
def Tilec_SigmoidOp : Tilec_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Tilec_TanhOp : Tilec_UnaryOp<"tanh", "tanh(x)">;
def Tilec_SiluOp : Tilec_UnaryOp<"silu", "x * sigmoid(x) (also called swish)">;
def Tilec_HardswishOp : Tilec_UnaryOp<"hardswish", "x * relu6(x + 3) / 6">;
def Tilec_ExpOp : Tilec_UnaryOp<"exp", "exp(x)">;
def Tilec_SqrtOp : Tilec_UnaryOp<"sqrt", "sqrt(x)">;
def Tilec_ReciprocalOp : Tilec_UnaryOp<"reciprocal", "1 / x">;
def Tilec_ErfOp : Tilec_UnaryOp<"erf", "erf(x)">;
def Tilec_NegOp : Tilec_UnaryOp<"neg", "-x">;
def Tilec_LeakyReluOp : Tilec_UnaryOp<"leaky_relu", "x >= 0 ? x : alpha * x",
    (ins DefaultValuedAttr<F64Attr, "0.01">:$alpha)>;
def Tilec_ClipOp : Tilec_UnaryOp<"clip", "min(max(x, min), max); relu6 is clip(0, 6)",
    (ins F64Attr:$min, F64Attr:$max)> {
  let hasVerifier = 1;
}
def Tilec_HardsigmoidOp : Tilec_UnaryOp<"hardsigmoid",
    "max(0, min(1, alpha * x + beta)); PyTorch's is alpha = 1/6, beta = 1/2",
    (ins DefaultValuedAttr<F64Attr, "0.16666666666666666">:$alpha,
         DefaultValuedAttr<F64Attr, "0.5">:$beta)>;
def Tilec_GeluOp : Tilec_UnaryOp<"gelu",
    "x * Phi(x); approximate = \"none\" (erf form) or \"tanh\"",
    (ins DefaultValuedAttr<StrAttr, "\"none\"">:$approximate)> {
  let hasVerifier = 1;
}
def Tilec_DropoutOp : Tilec_UnaryOp<"dropout", "identity at inference; ratio is kept for export",
    (ins DefaultValuedAttr<F64Attr, "0.5">:$ratio)> {
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Tilec_SoftmaxOp : Tilec_SameTypeOp<"softmax"> {
  let summary = "Softmax along one axis";
  let arguments = (ins Tilec_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Tilec_LayerNormOp : Tilec_Op<"layer_norm"> {
  let summary = "Layer normalization over the dimensions from `axis` to the last";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * weight + bias`, with mean and (biased)
    variance over dimensions `axis..rank-1`; `weight` and `bias` have the shape of
    those dimensions.
  }];
  let arguments = (ins Tilec_Tensor:$input, Tilec_Tensor:$weight, Tilec_Tensor:$bias,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F64Attr, "1e-05">:$epsilon);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)";
}

def Tilec_BatchNormOp : Tilec_Op<"batch_norm"> {
  let summary = "Inference batch normalization over dimension 1 (channels)";
  let description = [{
    `y = (x - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c]`. `scale` and
    `bias` are learned parameters; `mean` and `var` are running statistics (buffers,
    not parameters, when counting a model's parameters).
  }];
  let arguments = (ins Tilec_Tensor:$input, Tilec_Tensor:$scale, Tilec_Tensor:$bias,
                   Tilec_Tensor:$mean, Tilec_Tensor:$variance,
                   DefaultValuedAttr<F64Attr, "1e-05">:$epsilon);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input `,` $scale `,` $bias `,` $mean `,` $variance attr-dict `:` functional-type(operands, results)";
}

def Tilec_LrnOp : Tilec_SameTypeOp<"lrn"> {
  let summary = "Local response normalization across channels (PyTorch / ONNX form)";
  let description = [{
    `y[c] = x[c] / (bias + alpha / size * sum(x[c']^2))^beta` over the `size`
    channels centred on `c` (`floor((size-1)/2)` before, `ceil((size-1)/2)` after).
  }];
  let arguments = (ins Tilec_Tensor:$input, I64Attr:$size,
                   DefaultValuedAttr<F64Attr, "0.0001">:$alpha,
                   DefaultValuedAttr<F64Attr, "0.75">:$beta,
                   DefaultValuedAttr<F64Attr, "1.0">:$bias);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def Tilec_MaxPool2DOp : Tilec_Op<"max_pool2d"> {
  let summary = "2-D max pooling over NCHW (padding is -inf); NHWC with `layout = \"nhwc\"`";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   OptionalAttr<StrAttr>:$layout);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{ bool isChannelsLast() { return tilec::isChannelsLast(getLayout()); } }];
}

def Tilec_AvgPool2DOp : Tilec_Op<"avg_pool2d"> {
  let summary = "2-D average pooling over NCHW; NHWC with `layout = \"nhwc\"`";
  let description = [{
    With `count_include_pad`, the divisor counts padded positions (but never the
    extra positions that `ceil_mode` adds past the padded input, as in PyTorch).
  }];
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<BoolAttr, "false">:$ceil_mode,
                   DefaultValuedAttr<BoolAttr, "true">:$count_include_pad,
                   OptionalAttr<StrAttr>:$layout);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{ bool isChannelsLast() { return tilec::isChannelsLast(getLayout()); } }];
}

def Tilec_GlobalAvgPoolOp : Tilec_Op<"global_avg_pool"> {
  let summary = "Mean over all spatial positions: [N, C, H, W] -> [N, C, 1, 1]";
  let description = [{
    With `layout = "nhwc"` (rank 4 only): `[N, H, W, C] -> [N, 1, 1, C]`.
  }];
  let arguments = (ins Tilec_Tensor:$input, OptionalAttr<StrAttr>:$layout);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDeclaration = [{ bool isChannelsLast() { return tilec::isChannelsLast(getLayout()); } }];
}

def Tilec_AdaptiveAvgPool2DOp : Tilec_Op<"adaptive_avg_pool2d"> {
  let summary = "PyTorch's adaptive average pooling to `output_size` = [OH, OW]";
  let description = [{
    Output cell `i` averages input rows `floor(i*H/OH) .. ceil((i+1)*H/OH) - 1`
    (and the same for columns), so the windows may overlap.
  }];
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$output_size);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Tilec_ConcatOp : Tilec_Op<"concat"> {
  let summary = "Concatenation along one axis";
  let arguments = (ins Variadic<Tilec_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

def Tilec_ReshapeOp : Tilec_Op<"reshape"> {
  let summary = "Reshape to `shape` (one entry may be -1: inferred), row-major order kept";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_BroadcastOp : Tilec_Op<"broadcast"> {
  let summary = "Broadcast to `shape` with NumPy rules (ONNX Expand); `shape` must be the result";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$shape);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_FlattenOp : Tilec_Op<"flatten"> {
  let summary = "Merge dimensions start_dim..end_dim into one (torch.flatten)";
  let arguments = (ins Tilec_Tensor:$input,
                   DefaultValuedAttr<I64Attr, "1">:$start_dim,
                   DefaultValuedAttr<I64Attr, "-1">:$end_dim);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_TransposeOp : Tilec_Op<"transpose"> {
  let summary = "Permute dimensions: output dim i is input dim permutation[i]";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_SliceOp : Tilec_Op<"slice"> {
  let summary = "Strided slice along `axes` (ONNX Slice semantics, positive steps)";
  let description = [{
    For each listed axis, elements `starts[i], starts[i] + steps[i], ...` below
    `ends[i]`; negative starts/ends count from the end and both are clamped to the
    dimension, as in Python slicing. Unlisted axes are kept whole.
  }];
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$axes,
                   DenseI64ArrayAttr:$starts, DenseI64ArrayAttr:$ends,
                   DenseI64ArrayAttr:$steps);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_Im2ColOp : Tilec_Op<"im2col"> {
  let summary = "Convolution windows of a channels-last input as the rows of a matrix";
  let description = [{
    For an `[N, H, W, C]` input and a `kernel = [KH, KW]` window moved with
    `strides`, `padding` (`[top, left, bottom, right]`, zeros) and `dilations`,
    the result is `[N * OH * OW, KH * KW * C]`: row `(n, oh, ow)` holds the
    window of output pixel (oh, ow), column `(kh, kw, c)` in the order of an
    HWIO weight's leading dims, so a convolution is this times the weight
    reshaped to `[KH * KW * C, C_out]`. With `rows` (at least N * OH * OW)
    the result has that many rows, the extra ones zero (whole tensor-core
    tiles without a pad of their own); with `columns` (at least
    KH * KW * C) that many columns, the extra ones zero (a reduction of
    whole tensor-core K steps: a 7x7 stem over 3 channels has 147 columns,
    160 with the padding). `tilec-convs-as-gemms` makes them (tensor-core
    targets); 16-bit inputs stay 16-bit.

    ```mlir
    %p = tilec.im2col %x {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>}
         : (tensor<1x8x8x4xbf16>) -> tensor<64x36xbf16>
    ```
  }];
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$kernel,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                   DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                   OptionalAttr<I64Attr>:$rows, OptionalAttr<I64Attr>:$columns);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_PadOp : Tilec_Op<"pad"> {
  let summary = "Constant padding; `pads` = [begin_0..begin_{r-1}, end_0..end_{r-1}] (ONNX order)";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$pads,
                   DefaultValuedAttr<F64Attr, "0.0">:$value);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

class Tilec_ReduceOp<string mnemonic, string what> : Tilec_Op<mnemonic> {
  let summary = what # " over `axes`, keeping them as size 1 when `keepdims`";
  let arguments = (ins Tilec_Tensor:$input, DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs Tilec_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Tilec_ReduceMeanOp : Tilec_ReduceOp<"reduce_mean", "Mean">;
def Tilec_ReduceSumOp : Tilec_ReduceOp<"reduce_sum", "Sum">;
def Tilec_ReduceMaxOp : Tilec_ReduceOp<"reduce_max", "Maximum">;

//===----------------------------------------------------------------------===//
// Dispatch regions
//===----------------------------------------------------------------------===//

def Tilec_DispatchOp : Op<Tilec_Dialect, "dispatch",
    [IsolatedFromAbove, RecursiveMemoryEffects,
     SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "One kernel: a root op with its fused producers and consumers";
  let description = [{
    Produced by `tilec-form-dispatches`; code generation turns each dispatch into
    exactly one kernel. The region is isolated from above: its block arguments
    are the dispatch's `inputs` (activations and weights), `tilec.yield` returns
    its results. `kind` names the root op; `signature` is the stable key of the
    dispatch (op kinds, shapes, dtypes, attributes, fused epilogue) that tuning
    records are stored under.

    ```mlir
    %r = tilec.dispatch "conv2d" (%x, %w) {signature = "..."}
        : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
    ^bb0(%a: tensor<1x3x8x8xf32>, %b: tensor<4x3x3x3xf32>):
      %c = tilec.conv2d %a, %b : (...) -> tensor<1x4x6x6xf32>
      %d = tilec.relu %c : tensor<1x4x6x6xf32>
      tilec.yield %d : tensor<1x4x6x6xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Tilec_Tensor>:$inputs, StrAttr:$kind, StrAttr:$signature);
  let results = (outs Variadic<Tilec_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
}

def Tilec_YieldOp : Op<Tilec_Dialect, "yield",
    [Pure, Terminator, ReturnLike, HasParent<"DispatchOp">]> {
  let summary = "Returns the results of a dispatch region";
  let arguments = (ins Variadic<Tilec_Tensor>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let builders = [OpBuilder<(ins), [{ /* empty */ }]>];
}

#endif // TILEC_OPS_TD
