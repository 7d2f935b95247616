#!/usr/bin/env python3
"""Runs the ONNX backend node tests through tilec's importer and reference interpreter.

Each test under onnx/backend/test/data/node (shipped with the `onnx` package) is a
one-node model with inputs and expected outputs. For each: `tilec run model.onnx
--reference` on the inputs. Integer inputs (shapes, axes, indices, pads) are
baked into the model as initializers first, since tilec compiles for static
shapes and computes on float tensors; float inputs stay inputs. exit status 3 means tilec reports the model as using
something it does not support (an op, attribute value, opset or data type), and
the reason is recorded; any other failure, or outputs outside ONNX Runtime's
tolerances (rtol 1e-3, atol 1e-5), is a failed test. Prints a pass-rate table per
op type and exits 1 if any supported test failed.

Usage: check_onnx_node_tests.py path/to/tilec [-k substring] [--markdown out.md]
"""

import argparse
import collections
import glob
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-5
UNSUPPORTED = 3


def load_tensors(test_dir, prefix):
    files = sorted(glob.glob(os.path.join(test_dir, "test_data_set_0", f"{prefix}_*.pb")),
                   key=lambda p: int(p.rsplit("_", 1)[1].split(".")[0]))
    tensors = []
    for f in files:
        t = onnx.TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        tensors.append(numpy_helper.to_array(t))
    return tensors


def first_line(text, model_path):
    for line in text.splitlines():
        if "error:" in line:
            message = line.split("error:", 1)[1].strip().replace(model_path + ": ", "")
            return message.replace("unsupported: ", "").replace("node '' ", "")
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def bake_integer_inputs(model_path, inputs, out_path):
    """Moves non-float inputs into initializers; returns the remaining inputs."""
    model = onnx.load(model_path)
    graph_inputs = [i for i in model.graph.input
                    if i.name not in {t.name for t in model.graph.initializer}]
    integer_types = {onnx.TensorProto.INT8, onnx.TensorProto.INT16, onnx.TensorProto.INT32,
                     onnx.TensorProto.INT64, onnx.TensorProto.UINT8, onnx.TensorProto.UINT16,
                     onnx.TensorProto.UINT32, onnx.TensorProto.UINT64, onnx.TensorProto.BOOL}
    kept_inputs, kept_values = [], []
    for info, value in zip(graph_inputs, inputs):
        if info.type.tensor_type.elem_type in integer_types:
            model.graph.initializer.append(numpy_helper.from_array(value, info.name))
        else:
            kept_inputs.append(info)
            kept_values.append(value)
    del model.graph.input[:]
    model.graph.input.extend(kept_inputs)
    onnx.save(model, out_path)
    return kept_values


def run_test(tilec, test_dir):
    """Returns (status, detail) with status in passed / failed / unsupported."""
    model = os.path.join(test_dir, "model.onnx")
    try:
        inputs = load_tensors(test_dir, "input")
        expected = load_tensors(test_dir, "output")
    except Exception as e:  # optional / sequence / map types the helper cannot read
        return "unsupported", f"test data of a non-tensor type ({type(e).__name__})"
    with tempfile.TemporaryDirectory() as tmp:
        if any(x.dtype.kind in "iub" for x in inputs):
            baked = os.path.join(tmp, "model.onnx")
            inputs = bake_integer_inputs(model, inputs, baked)
            model = baked
        for x in inputs:
            if x.dtype != np.float32:
                return "unsupported", f"input of type {x.dtype} (tilec graphs take float32)"
        args = [tilec, "run", model, "--reference", "--threads", "1"]
        for i, x in enumerate(inputs):
            path = os.path.join(tmp, f"in{i}.npy")
            np.save(path, np.asarray(x, order="C"))  # np.ascontiguousarray would make 0-d 1-d
            args += ["--input", path]
        outs = [os.path.join(tmp, f"out{i}.npy") for i in range(len(expected))]
        for path in outs:
            args += ["--output", path]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
        if proc.returncode == UNSUPPORTED:
            return "unsupported", first_line(proc.stderr, model)
        if proc.returncode != 0:
            return "failed", f"exit {proc.returncode}: {first_line(proc.stderr, model)}"
        for i, (path, want) in enumerate(zip(outs, expected)):
            got = np.load(path)
            if want.dtype != np.float32:
                return "unsupported", f"output of type {want.dtype}"
            if got.shape != want.shape:
                return "failed", f"output {i} shape {got.shape} != expected {want.shape}"
            if not np.allclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True):
                err = float(np.max(np.abs(got.astype(np.float64) - want)))
                return "failed", f"output {i} differs (max abs error {err:.3g})"
    return "passed", ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tilec")
    parser.add_argument("-k", default="", help="only tests whose name contains this")
    parser.add_argument("--markdown", help="also write the table as Markdown here")
    parser.add_argument("-v", action="store_true", help="print every test")
    args = parser.parse_args()
    root = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    tests = sorted(d for d in glob.glob(os.path.join(root, "test_*")) if args.k in d)
    per_op = collections.defaultdict(lambda: collections.Counter())
    reasons = collections.defaultdict(collections.Counter)
    failures = []
    for test_dir in tests:
        name = os.path.basename(test_dir)
        try:
            ops = sorted({n.op_type for n in onnx.load(os.path.join(test_dir, "model.onnx"),
                                                       load_external_data=False).graph.node})
        except Exception:
            ops = ["(unreadable)"]
        op = ops[0] if len(ops) == 1 else "+".join(ops) if len(ops) <= 3 else "(composite)"
        status, detail = run_test(args.tilec, test_dir)
        per_op[op][status] += 1
        if status == "unsupported":
            reasons[op][detail] += 1
        if status == "failed":
            failures.append(f"{name}: {detail}")
        if args.v or status == "failed":
            print(f"{status:12} {name}: {detail}", flush=True)

    rows = []
    for op in sorted(per_op):
        c = per_op[op]
        supported = c["passed"] + c["failed"]
        why = "; ".join(f"{r} ({k})" for r, k in reasons[op].most_common(2))
        rows.append((op, c["passed"], supported, c["unsupported"], why))
    header = "| op type | passed / supported | unsupported | why unsupported (most common) |"
    lines = [header, "|---|---|---|---|"]
    for op, passed, supported, unsupported, why in rows:
        lines.append(f"| {op} | {passed} / {supported} | {unsupported} | {why} |")
    totals = collections.Counter()
    for c in per_op.values():
        totals.update(c)
    supported = totals["passed"] + totals["failed"]
    summary = (f"{len(tests)} node tests: {totals['passed']} passed of {supported} supported "
               f"({100.0 * totals['passed'] / max(supported, 1):.1f}%), "
               f"{totals['unsupported']} unsupported (reported with reasons)")
    print("\n".join(lines))
    print(summary)
    unsupported_ops = sorted(op for op, c in per_op.items() if c["passed"] + c["failed"] == 0)
    print(f"op types with no supported test: {len(unsupported_ops)}")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(summary + "\n\n" + "\n".join(lines) + "\n")
    for message in failures:
        print("FAILED", message, file=sys.stderr)
    print(f"{totals['passed']} passed, {totals['failed']} failed")
    return 1 if failures or totals["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
