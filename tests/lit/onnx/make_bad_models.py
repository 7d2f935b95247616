"""Writes small malformed or unsupported ONNX models into a folder, one file per
kind of mistake, for bad-input.test. Usage: make_bad_models.py OUT_DIR"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def save(name, nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(out, name + ".onnx"))
    return model


def tensor(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


x = tensor("x", [1, 3, 8, 8])
y = tensor("y", [1, 4, 6, 6])
w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")

good = save("good", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y], [w])
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "not_onnx.onnx"), "w") as f:
    f.write("this is not a protobuf\n" * 10)

save("missing_initializer", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y])
save("cycle", [helper.make_node("Relu", ["b"], ["a"], name="first"),
               helper.make_node("Relu", ["a"], ["b"], name="second")], [x], [tensor("b", [1])])
bad_w = numpy_helper.from_array(np.ones((4, 2, 3, 3), np.float32), "w")
save("inconsistent_shapes", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y],
     [bad_w])
save("unknown_op", [helper.make_node("FancyOp", ["x"], ["y"], name="fancy")], [x], [y])
save("opset_too_new", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y], opset=30)
save("absurd_dims", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
     [tensor("x", [1 << 20, 1 << 20, 1 << 20])], [y])
save("symbolic_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
     [tensor("x", ["batch", 3])], [y])
escape = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
escape.ClearField("raw_data")
escape.data_location = TensorProto.EXTERNAL
for key, value in (("location", "../../../etc/passwd"), ("offset", "0"), ("length", "432")):
    entry = escape.external_data.add()
    entry.key, entry.value = key, value
save("external_escape", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y],
     [escape])
short = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
short.raw_data = short.raw_data[:100]
save("short_initializer", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y],
     [short])
save("dynamic_reshape", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
     [x, tensor("s", [2], TensorProto.INT64)], [y])
save("reflect_pad", [helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="reflect")], [x],
     [y], [numpy_helper.from_array(np.zeros(8, np.int64), "p")])
save("wrong_output_shape", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y])
huge = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4096, 4096, 16, 16])
save("huge_initializer", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")], [x], [y], [huge])

# A valid model whose weight lives in an external-data file next to it (the route
# for models over 2 GB).
ext_dir = os.path.join(out, "external")
os.makedirs(ext_dir, exist_ok=True)
ext_graph = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                              "external", [x], [y],
                              [numpy_helper.from_array(np.full((4, 3, 3, 3), 0.5, np.float32), "w")])
ext_model = helper.make_model(ext_graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.save_model(ext_model, os.path.join(ext_dir, "model.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
