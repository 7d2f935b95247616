#!/usr/bin/env python3
"""Checks every op of the reference interpreter against PyTorch.

Each case builds a one-op tilec module, runs it with `tilec run --reference` on
random inputs, and compares with PyTorch evaluated in float64 on the same
float32 inputs. Shapes include 1, primes and non-multiples of common tile sizes;
convolution and pooling cases cover strides, asymmetric padding, dilation,
groups, depthwise, ceil mode and count_include_pad.

Usage: check_ops_vs_torch.py path/to/tilec [-k substring]
Exit status 0 only if every case matches (max error <= 1e-5 of the output's scale).
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn.functional as F

from tilec_harness import max_errors, run_module, single_op_module

RTOL = 1e-5
rng = np.random.default_rng(1234)


def rand(*shape, low=-2.0, high=2.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def t(x):
    return torch.from_numpy(x).double()


CASES = []


def case(name, op, inputs, torch_fn, attrs=None, same_type=False):
    CASES.append((name, op, inputs, torch_fn, attrs or {}, same_type))


# --- convolution: (N, C, H, W), (O, C/g, KH, KW), bias; padding [t, l, b, r]
def conv_case(name, n, c, h, w, o, k, stride=(1, 1), pad=(0, 0, 0, 0), dil=(1, 1), groups=1,
              bias=True):
    kh, kw = k
    ins = [rand(n, c, h, w), rand(o, c // groups, kh, kw)] + ([rand(o)] if bias else [])

    def fn(x, wt, b=None):
        x = F.pad(x, (pad[1], pad[3], pad[0], pad[2]))
        return F.conv2d(x, wt, b, stride=stride, dilation=dil, groups=groups)

    case(name, "conv2d", ins, fn, {"strides": list(stride), "padding": list(pad),
                                   "dilations": list(dil), "groups": groups})


conv_case("conv_3x3", 1, 3, 8, 8, 4, (3, 3), pad=(1, 1, 1, 1))
conv_case("conv_stride2_asym_pad", 2, 5, 11, 7, 6, (3, 3), stride=(2, 2), pad=(0, 1, 2, 1))
conv_case("conv_dilation", 1, 4, 13, 13, 3, (3, 3), dil=(2, 3), pad=(2, 3, 2, 3))
conv_case("conv_groups", 1, 6, 9, 10, 4, (3, 5), groups=2, pad=(1, 2, 1, 2))
conv_case("conv_depthwise_stride2", 1, 7, 17, 17, 7, (5, 5), stride=(2, 2), pad=(2, 2, 2, 2),
          groups=7)
conv_case("conv_1x1_no_bias", 3, 17, 5, 3, 13, (1, 1), bias=False)
conv_case("conv_large_kernel_stride", 1, 3, 31, 29, 8, (7, 7), stride=(3, 2), pad=(3, 3, 3, 3))
conv_case("conv_kernel_equals_input", 1, 2, 4, 4, 5, (4, 4))

# --- matrix products
case("matmul_2d", "matmul", [rand(7, 13), rand(13, 5)], torch.matmul)
case("matmul_batched", "matmul", [rand(3, 4, 9), rand(3, 9, 2)], torch.matmul)
case("matmul_broadcast", "matmul", [rand(2, 1, 5, 3), rand(4, 3, 6)], torch.matmul)
case("attention", "attention", [rand(2, 3, 5, 8), rand(2, 3, 7, 8), rand(2, 3, 7, 4)],
     lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) * 0.3, -1) @ v, {"scale": 0.3})
case("attention_one_query", "attention", [rand(1, 1, 16), rand(1, 13, 16), rand(1, 13, 3)],
     lambda q, k, v: torch.softmax(q @ k.transpose(-1, -2) * 0.25, -1) @ v, {"scale": 0.25})
case("linear_bias", "linear", [rand(4, 17), rand(9, 17), rand(9)], F.linear)
case("linear_3d_no_bias", "linear", [rand(2, 5, 8), rand(3, 8)], F.linear)

# --- elementwise binary with broadcasting
for op, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul)]:
    case(f"{op}_broadcast", op, [rand(2, 3, 4, 5), rand(3, 1, 1)], fn)
    case(f"{op}_scalar_like", op, [rand(1), rand(2, 3)], fn)
case("div_broadcast", "div", [rand(2, 3, 5), rand(5, low=0.5, high=2.0)], torch.div)

# --- elementwise unary
x = rand(2, 3, 7, 5, low=-5, high=5)
case("relu", "relu", [x], F.relu, same_type=True)
case("leaky_relu", "leaky_relu", [x], lambda v: F.leaky_relu(v, 0.2), {"alpha": 0.2}, True)
case("clip", "clip", [x], lambda v: torch.clamp(v, -0.5, 0.7), {"min": -0.5, "max": 0.7}, True)
case("relu6", "clip", [x], F.relu6, {"min": 0.0, "max": 6.0}, True)
case("sigmoid", "sigmoid", [x], torch.sigmoid, same_type=True)
case("tanh", "tanh", [x], torch.tanh, same_type=True)
case("silu", "silu", [x], F.silu, same_type=True)
case("hardswish", "hardswish", [x], F.hardswish, same_type=True)
case("hardsigmoid", "hardsigmoid", [x], F.hardsigmoid, same_type=True)
case("gelu_erf", "gelu", [x], F.gelu, same_type=True)
case("gelu_tanh", "gelu", [x], lambda v: F.gelu(v, approximate="tanh"),
     {"approximate": "tanh"}, True)
case("exp", "exp", [rand(3, 4)], torch.exp, same_type=True)
case("sqrt", "sqrt", [rand(3, 4, low=0.0, high=9.0)], torch.sqrt, same_type=True)
case("reciprocal", "reciprocal", [rand(3, 4, low=0.5, high=3.0)], torch.reciprocal,
     same_type=True)
case("erf", "erf", [x], torch.erf, same_type=True)
case("neg", "neg", [x], torch.neg, same_type=True)
case("dropout", "dropout", [x], lambda v: v, {"ratio": 0.3}, True)

# --- normalization
case("softmax_axis1", "softmax", [rand(2, 5, 3)], lambda v: F.softmax(v, 1), {"axis": 1}, True)
case("softmax_last", "softmax", [rand(3, 11) * 10], lambda v: F.softmax(v, -1), {"axis": -1},
     True)
case("layer_norm_last", "layer_norm", [rand(2, 7, 9), rand(9), rand(9)],
     lambda v, w, b: F.layer_norm(v, (9,), w, b, 1e-6), {"epsilon": 1e-6})
case("layer_norm_two_dims", "layer_norm", [rand(3, 4, 5), rand(4, 5), rand(4, 5)],
     lambda v, w, b: F.layer_norm(v, (4, 5), w, b, 1e-5), {"axis": -2})
case("batch_norm", "batch_norm",
     [rand(2, 3, 5, 4), rand(3), rand(3), rand(3), rand(3, low=0.5, high=2)],
     lambda v, s, b, m, var: F.batch_norm(v, m, var, s, b, False, 0.0, 1e-3), {"epsilon": 1e-3})
case("lrn_5", "lrn", [rand(2, 7, 3, 4)],
     lambda v: F.local_response_norm(v, 5, 1e-2, 0.75, 2.0),
     {"size": 5, "alpha": 1e-2, "beta": 0.75, "bias": 2.0}, True)
case("lrn_3", "lrn", [rand(1, 4, 2, 3)], lambda v: F.local_response_norm(v, 3, 1e-1, 0.5, 1.0),
     {"size": 3, "alpha": 1e-1, "beta": 0.5, "bias": 1.0}, True)


# --- pooling
def pool_case(name, op, shape, k, s, pad, ceil=False, dil=(1, 1), include_pad=True):
    attrs = {"kernel": list(k), "strides": list(s), "padding": list(pad), "ceil_mode": ceil}
    symmetric = pad[0] == pad[2] and pad[1] == pad[3]
    if op == "max_pool2d":
        attrs["dilations"] = list(dil)

        def fn(v):
            if not symmetric:
                v = F.pad(v, (pad[1], pad[3], pad[0], pad[2]), value=-float("inf"))
            return F.max_pool2d(v, k, s, (pad[0], pad[1]) if symmetric else 0, dil, ceil)
    else:
        attrs["count_include_pad"] = include_pad

        def fn(v):
            return F.avg_pool2d(v, k, s, (pad[0], pad[1]), ceil, include_pad)
    case(name, op, [rand(*shape)], fn, attrs)


pool_case("maxpool_3s2p1", "max_pool2d", (1, 3, 9, 9), (3, 3), (2, 2), (1, 1, 1, 1))
pool_case("maxpool_ceil", "max_pool2d", (2, 2, 10, 7), (3, 3), (2, 2), (0, 0, 0, 0), ceil=True)
pool_case("maxpool_ceil_pad", "max_pool2d", (1, 3, 14, 14), (3, 3), (1, 1), (1, 1, 1, 1), ceil=True)
pool_case("maxpool_dilation", "max_pool2d", (1, 2, 11, 11), (3, 2), (1, 2), (1, 1, 1, 1),
          dil=(2, 2))
pool_case("maxpool_asym_pad", "max_pool2d", (1, 2, 6, 7), (2, 2), (2, 2), (0, 0, 1, 1))
pool_case("avgpool_2s2", "avg_pool2d", (1, 3, 8, 6), (2, 2), (2, 2), (0, 0, 0, 0))
pool_case("avgpool_pad_include", "avg_pool2d", (1, 2, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1))
pool_case("avgpool_pad_exclude", "avg_pool2d", (1, 2, 7, 7), (3, 3), (2, 2), (1, 1, 1, 1),
          include_pad=False)
pool_case("avgpool_ceil_include", "avg_pool2d", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1, 1, 1),
          ceil=True)
pool_case("avgpool_ceil_exclude", "avg_pool2d", (1, 1, 10, 5), (3, 2), (3, 2), (1, 1, 1, 1),
          ceil=True, include_pad=False)
case("global_avg_pool", "global_avg_pool", [rand(2, 3, 5, 7)],
     lambda v: v.mean(dim=(2, 3), keepdim=True))
case("adaptive_avg_pool_overlap", "adaptive_avg_pool2d", [rand(1, 2, 10, 13)],
     lambda v: F.adaptive_avg_pool2d(v, (7, 7)), {"output_size": [7, 7]})
case("adaptive_avg_pool_up", "adaptive_avg_pool2d", [rand(1, 3, 2, 3)],
     lambda v: F.adaptive_avg_pool2d(v, (5, 4)), {"output_size": [5, 4]})

# --- data movement and reductions
case("concat_axis1", "concat", [rand(2, 3, 4), rand(2, 1, 4), rand(2, 5, 4)],
     lambda *v: torch.cat(v, 1), {"axis": 1})
case("concat_last", "concat", [rand(3, 2), rand(3, 7)], lambda *v: torch.cat(v, -1), {"axis": -1})
case("reshape", "reshape", [rand(2, 3, 4)], lambda v: v.reshape(4, -1), {"shape": [4, -1]})
case("flatten", "flatten", [rand(2, 3, 4, 5)], lambda v: torch.flatten(v, 1), {"start_dim": 1})
case("flatten_middle", "flatten", [rand(2, 3, 4, 5)], lambda v: torch.flatten(v, 1, 2),
     {"start_dim": 1, "end_dim": 2})
case("transpose", "transpose", [rand(2, 3, 4, 5)], lambda v: v.permute(2, 0, 3, 1),
     {"permutation": [2, 0, 3, 1]})
case("slice_negative_step2", "slice", [rand(5, 11)], lambda v: v[:, -9:10:2],
     {"axes": [1], "starts": [-9], "ends": [10], "steps": [2]})
case("slice_two_axes_clamped", "slice", [rand(4, 6, 3)], lambda v: v[1:100, :, 0:2],
     {"axes": [0, 2], "starts": [1, 0], "ends": [100, 2], "steps": [1, 1]})
case("pad", "pad", [rand(2, 3, 4)], lambda v: F.pad(v, (2, 0, 1, 3, 0, 1), value=0.5),
     {"pads": [0, 1, 2, 1, 3, 0], "value": 0.5})
case("broadcast", "broadcast", [rand(3, 1)], lambda v: v.expand(2, 3, 4), {"shape": [2, 3, 4]})
case("reduce_mean_keep", "reduce_mean", [rand(2, 3, 4)], lambda v: v.mean(dim=(0, 2), keepdim=True),
     {"axes": [0, 2], "keepdims": True})
case("reduce_sum_drop", "reduce_sum", [rand(2, 3, 4)], lambda v: v.sum(dim=-1),
     {"axes": [-1], "keepdims": False})
case("reduce_max", "reduce_max", [rand(3, 5, 2)], lambda v: v.amax(dim=1, keepdim=True),
     {"axes": [1], "keepdims": True})


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tilec")
    parser.add_argument("-k", default="", help="run only cases whose name contains this")
    args = parser.parse_args()
    passed, failed = 0, []
    for name, op, inputs, fn, attrs, same_type in CASES:
        if args.k not in name:
            continue
        expected = fn(*[t(x) for x in inputs]).numpy()
        module = single_op_module(op, [x.shape for x in inputs], expected.shape, attrs, same_type)
        actual, log = run_module(args.tilec, module, inputs)
        if actual is None:
            failed.append(f"{name}: tilec failed:\n{module}\n{log}")
            continue
        if actual.shape != expected.shape:
            failed.append(f"{name}: shape {actual.shape} != torch {expected.shape}")
            continue
        abs_err, rel_err = max_errors(actual, expected)
        status = "ok" if rel_err <= RTOL else "MISMATCH"
        print(f"{status:8} {name:28} {op:20} max abs err {abs_err:.2e}, rel {rel_err:.2e}")
        if rel_err <= RTOL:
            passed += 1
        else:
            failed.append(f"{name}: relative error {rel_err:.2e} > {RTOL}")
    for message in failed:
        print("FAILED", message, file=sys.stderr)
    print(f"{passed} passed, {len(failed)} failed")
    return 0 if passed > 0 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
