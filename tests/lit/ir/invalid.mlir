// Ill-formed graphs are diagnostics that name the op and the problem, never crashes.
// RUN: tilec-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{'tilec.conv2d' op weight has 2 input channels per group but input has 3 channels in 1 group(s)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x6x8x8xf32>, %w: tensor<5x3x3x3xf32>) -> tensor<1x5x6x6xf32> {
  // expected-error @+2 {{'tilec.conv2d' op groups = 2 must divide input channels (6) and output channels (5)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w {groups = 2} : (tensor<1x6x8x8xf32>, tensor<5x3x3x3xf32>) -> tensor<1x5x6x6xf32>
  return %y : tensor<1x5x6x6xf32>
}

// -----

func.func @conv_wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+2 {{'tilec.conv2d' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_bad_strides(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{'tilec.conv2d' op strides entries must be >= 1, got 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w {strides = array<i64: 0, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @kernel_too_big(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32> {
  // expected-error @+2 {{'tilec.max_pool2d' op window of 3 (dilation 1) does not fit input dimension 2 padded by 0 + 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.max_pool2d %x {kernel = array<i64: 3, 3>} : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  return %y : tensor<1x3x1x1xf32>
}

// -----

func.func @missing_kernel(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{'tilec.max_pool2d' op requires attribute 'kernel'}}
  %y = tilec.max_pool2d %x : (tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @dynamic_shape(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{'tilec.relu' op operand #0 must be statically shaped tensor of floating-point values, but got 'tensor<?x3xf32>'}}
  %y = tilec.relu %x : tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

func.func @no_broadcast(%x: tensor<2x3xf32>, %y: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'tilec.add' op operand shapes 'tensor<2x3xf32>' and 'tensor<4xf32>' do not broadcast}}
  // expected-error @+1 {{failed to infer returned types}}
  %z = tilec.add %x, %y : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

func.func @mixed_element_types(%x: tensor<2x3xf32>, %y: tensor<2x3xf16>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'tilec.mul' op operands must share one element type, got 'f32' and 'f16'}}
  // expected-error @+1 {{failed to infer returned types}}
  %z = tilec.mul %x, %y : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'tilec.matmul' op contraction sizes differ: lhs has K = 3, rhs has K = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %c = tilec.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %c : tensor<2x5xf32>
}

// -----

func.func @linear_k(%x: tensor<2x3xf32>, %w: tensor<5x4xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'tilec.linear' op input has K = 3 but weight has K = 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.linear %x, %w : (tensor<2x3xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @bn_channels(%x: tensor<1x3x2x2xf32>, %c: tensor<4xf32>) -> tensor<1x3x2x2xf32> {
  // expected-error @+2 {{'tilec.batch_norm' op scale, bias, mean and variance must be [3], operand #1 is 'tensor<4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.batch_norm %x, %c, %c, %c, %c : (tensor<1x3x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// -----

func.func @layer_norm_shape(%x: tensor<2x5xf32>, %w: tensor<4xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{'tilec.layer_norm' op weight and bias must have the normalized shape of 'tensor<2x5xf32>' from axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.layer_norm %x, %w, %w : (tensor<2x5xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'tilec.softmax' op axis -3 is out of range for rank 2}}
  %y = tilec.softmax %x {axis = -3} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @clip_range(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'tilec.clip' op needs min <= max, got min = 1.000000e+00 and max = 0.000000e+00}}
  %y = tilec.clip %x {min = 1.0, max = 0.0} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @gelu_mode(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'tilec.gelu' op approximate must be "none" or "tanh", got "fast"}}
  %y = tilec.gelu %x {approximate = "fast"} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @dropout_ratio(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{'tilec.dropout' op ratio must be in [0, 1), got 1}}
  %y = tilec.dropout %x {ratio = 1.0} : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @concat_dims(%x: tensor<2x3xf32>, %y: tensor<3x3xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{'tilec.concat' op input #1 has size 3 in dimension 0, expected 2 (only axis 1 may differ)}}
  // expected-error @+1 {{failed to infer returned types}}
  %z = tilec.concat %x, %y {axis = 1} : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return %z : tensor<2x6xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+2 {{'tilec.reshape' op shape has 8 elements but input has 6}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.reshape %x {shape = array<i64: 4, 2>} : (tensor<2x3xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @reshape_two_minus_one(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  // expected-error @+2 {{'tilec.reshape' op shape may contain at most one -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.reshape %x {shape = array<i64: -1, -1>} : (tensor<2x3xf32>) -> tensor<6xf32>
  return %y : tensor<6xf32>
}

// -----

func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{'tilec.transpose' op permutation must list each of 0..1 once, got entry 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.transpose %x {permutation = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @slice_negative_step(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{'tilec.slice' op steps must be >= 1 (negative steps are not supported), got -1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.slice %x {axes = array<i64: 0>, starts = array<i64: 3>, ends = array<i64: 0>, steps = array<i64: -1>} : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @im2col_rank(%x: tensor<8x8x4xbf16>) -> tensor<64x36xbf16> {
  // expected-error @+2 {{'tilec.im2col' op expects a 4-D NHWC input, got rank 3}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.im2col %x {kernel = array<i64: 3, 3>} : (tensor<8x8x4xbf16>) -> tensor<64x36xbf16>
  return %y : tensor<64x36xbf16>
}

// -----

func.func @im2col_window(%x: tensor<1x2x2x4xbf16>) -> tensor<1x36xbf16> {
  // expected-error @+2 {{'tilec.im2col' op window of 3 (dilation 1) does not fit input dimension 2 padded by 0 + 0}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.im2col %x {kernel = array<i64: 3, 3>} : (tensor<1x2x2x4xbf16>) -> tensor<1x36xbf16>
  return %y : tensor<1x36xbf16>
}

// -----

func.func @im2col_rows(%x: tensor<1x4x4x2xbf16>) -> tensor<8x18xbf16> {
  // expected-error @+2 {{'tilec.im2col' op rows = 8 is fewer than the 16 windows}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.im2col %x {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, rows = 8} : (tensor<1x4x4x2xbf16>) -> tensor<8x18xbf16>
  return %y : tensor<8x18xbf16>
}

// -----

func.func @pad_count(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+2 {{'tilec.pad' op pads must have 4 entries, got 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.pad %x {pads = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @reduce_axis_twice(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  // expected-error @+2 {{'tilec.reduce_mean' op axis -1 is listed twice}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.reduce_mean %x {axes = array<i64: 1, -1>} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}

// -----

func.func @broadcast_shape(%x: tensor<2x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+2 {{'tilec.broadcast' op cannot broadcast 'tensor<2x3xf32>' to shape [4, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.broadcast %x {shape = array<i64: 4, 3>} : (tensor<2x3xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @attention_depth(%q: tensor<2x5x8xf32>, %k: tensor<2x7x4xf32>, %v: tensor<2x7x4xf32>) -> tensor<2x5x4xf32> {
  // expected-error @+2 {{'tilec.attention' op query has depth 8 but key has 4}}
  // expected-error @+1 {{failed to infer returned types}}
  %o = tilec.attention %q, %k, %v {scale = 1.0} : (tensor<2x5x8xf32>, tensor<2x7x4xf32>, tensor<2x7x4xf32>) -> tensor<2x5x4xf32>
  return %o : tensor<2x5x4xf32>
}

// -----

func.func @unknown_layout(%x: tensor<1x8x8x3xf32>, %w: tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32> {
  // expected-error @+2 {{'tilec.conv2d' op layout must be "nchw" or "nhwc", got "nchwc"}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w {layout = "nchwc"} : (tensor<1x8x8x3xf32>, tensor<3x3x3x4xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}

// -----

func.func @nhwc_grouped(%x: tensor<1x8x8x4xf32>, %w: tensor<3x3x2x4xf32>) -> tensor<1x6x6x4xf32> {
  // expected-error @+2 {{'tilec.conv2d' op layout "nhwc" takes groups = 1 or a depthwise convolution, got groups = 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w {groups = 2 : i64, layout = "nhwc"} : (tensor<1x8x8x4xf32>, tensor<3x3x2x4xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}

// -----

func.func @nhwc_pool_shape(%x: tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32> {
  // Without layout = "nhwc" the input is read as NCHW (8 channels of 8x4).
  // expected-error @+2 {{'tilec.max_pool2d' op inferred type(s) 'tensor<1x8x4x2xf32>' are incompatible with return type(s) of operation 'tensor<1x4x4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

func.func @convert_shape(%x: tensor<2x3xf32>) -> tensor<3x2xbf16> {
  // expected-error @+1 {{'tilec.convert' op changes the element type only; the shapes differ: 'tensor<2x3xf32>' -> 'tensor<3x2xbf16>'}}
  %y = tilec.convert %x : tensor<2x3xf32> -> tensor<3x2xbf16>
  return %y : tensor<3x2xbf16>
}

// -----

func.func @convert_f64(%x: tensor<2xf32>) -> tensor<2xf64> {
  // expected-error @+1 {{'tilec.convert' op converts between f32, bf16 and f16, got 'tensor<2xf32>' -> 'tensor<2xf64>'}}
  %y = tilec.convert %x : tensor<2xf32> -> tensor<2xf64>
  return %y : tensor<2xf64>
}

// -----

// 16-bit contraction operands must agree, and the bias is the f32 accumulator.
func.func @matmul_mixed(%a: tensor<2x3xbf16>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'tilec.matmul' op operands must share one element type, got 'bf16' and 'f32'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.matmul %a, %b : (tensor<2x3xbf16>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @linear_half_bias(%x: tensor<2x3xf16>, %w: tensor<4x3xf16>, %b: tensor<4xf16>) -> tensor<2x4xf32> {
  // expected-error @+2 {{'tilec.linear' op bias must be 'f32' (the accumulator type), got 'tensor<4xf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.linear %x, %w, %b : (tensor<2x3xf16>, tensor<4x3xf16>, tensor<4xf16>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

func.func @conv_half_result(%x: tensor<1x1x4x4xbf16>, %w: tensor<1x1x1x1xbf16>) -> tensor<1x1x4x4xbf16> {
  // expected-error @+2 {{'tilec.conv2d' op inferred type(s) 'tensor<1x1x4x4xf32>' are incompatible with return type(s) of operation 'tensor<1x1x4x4xbf16>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = tilec.conv2d %x, %w : (tensor<1x1x4x4xbf16>, tensor<1x1x1x1xbf16>) -> tensor<1x1x4x4xbf16>
  return %y : tensor<1x1x4x4xbf16>
}
