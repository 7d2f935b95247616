"""Writes the fuzzer's seed corpus: small valid ONNX models covering the
importer's paths (each op family, shape subgraphs, attributes, older opsets).
Usage: make_corpus.py OUT_DIR (the committed corpus is tests/fuzz/corpus)."""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)


def f32(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def i64(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def vi(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def save(name, nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(out, name + ".onnx"))


N = helper.make_node
x4 = vi("x", [1, 3, 6, 6])
save("conv_bn_relu", [N("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
                      N("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"]),
                      N("Relu", ["n"], ["y"])], [x4], [vi("y", [1, 4, 3, 3])],
     [f32("w", 4, 3, 3, 3), f32("b", 4), f32("s", 4), f32("bb", 4), f32("m", 4),
      numpy_helper.from_array(np.ones(4, np.float32), "v")])
save("pool_gemm", [N("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
                   N("GlobalAveragePool", ["p"], ["g"]), N("Flatten", ["g"], ["f"]),
                   N("Gemm", ["f", "w", "b"], ["y"], transB=1)], [x4], [vi("y", [1, 5])],
     [f32("w", 5, 3), f32("b", 5)])
save("shape_subgraph", [N("Shape", ["x"], ["s"]), N("Gather", ["s", "zero"], ["n"], axis=0),
                        N("Unsqueeze", ["n", "axes"], ["u"]), N("Concat", ["u", "rest"], ["t"], axis=0),
                        N("Reshape", ["x", "t"], ["y"])], [x4], [vi("y", [1, 108])],
     [i64("zero", 0), i64("axes", [0]), i64("rest", [-1])])
save("attention", [N("MatMul", ["q", "k"], ["s"]), N("Div", ["s", "scale"], ["d"]),
                   N("Softmax", ["d"], ["p"], axis=-1), N("MatMul", ["p", "q"], ["y"])],
     [vi("q", [2, 4, 4]), vi("k", [2, 4, 4])], [vi("y", [2, 4, 4])],
     [numpy_helper.from_array(np.array(2.0, np.float32), "scale")])
save("layernorm_gelu", [N("LayerNormalization", ["x", "g", "b"], ["l"], axis=-1, epsilon=1e-6),
                        N("Gelu", ["l"], ["y"])], [vi("x", [2, 5, 8])], [vi("y", [2, 5, 8])],
     [f32("g", 8), f32("b", 8)], opset=20)
save("slice_pad_split", [N("Slice", ["x", "st", "en", "ax", "sp"], ["s"]),
                         N("Pad", ["s", "pads"], ["p"]),
                         N("Split", ["p"], ["a", "b"], axis=1)],
     [x4], [vi("a", [1, 2, 5, 7]), vi("b", [1, 1, 5, 7])],
     [i64("st", [1, 0]), i64("en", [6, 6]), i64("ax", [2, 3]), i64("sp", [2, 1]),
      i64("pads", [0, 0, 1, 0, 0, 0, 1, 1])])
save("activations", [N("Clip", ["x", "lo", "hi"], ["c"]), N("HardSwish", ["c"], ["h"]),
                     N("HardSigmoid", ["h"], ["s"]), N("LeakyRelu", ["s"], ["l"], alpha=0.1),
                     N("Mul", ["l", "x"], ["m"]), N("Sigmoid", ["m"], ["y"])], [x4],
     [vi("y", [1, 3, 6, 6])],
     [numpy_helper.from_array(np.array(0.0, np.float32), "lo"),
      numpy_helper.from_array(np.array(6.0, np.float32), "hi")])
save("reduce_expand", [N("ReduceMean", ["x"], ["r"], axes=[2, 3], keepdims=1),
                       N("Expand", ["r", "shape"], ["e"]), N("Sub", ["x", "e"], ["y"])],
     [x4], [vi("y", [1, 3, 6, 6])], [i64("shape", [1, 3, 6, 6])])
save("avgpool_lrn_opset11", [N("AveragePool", ["x"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                count_include_pad=1),
                             N("LRN", ["a"], ["l"], size=3),
                             N("Softmax", ["l"], ["y"], axis=1)], [x4], [vi("y", [1, 3, 6, 6])],
     opset=11)
save("constant_of_shape", [N("ConstantOfShape", ["shape"], ["c"],
                             value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.5])),
                           N("Add", ["x", "c"], ["y"])], [x4], [vi("y", [1, 3, 6, 6])],
     [i64("shape", [1, 3, 6, 6])])
save("transpose_where_cast", [N("Transpose", ["x"], ["t"], perm=[0, 2, 3, 1]),
                              N("Equal", ["a", "a"], ["eq"]), N("Where", ["eq", "a", "a"], ["w"]),
                              N("Cast", ["w"], ["c"], to=TensorProto.INT64),
                              N("Reshape", ["t", "c"], ["y"])], [x4], [vi("y", [36, 3])],
     [i64("a", [36, 3])])
