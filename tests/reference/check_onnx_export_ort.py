#!/usr/bin/env python3
"""Round trip: zoo models exported by tilec, checked by onnx.checker, run by ONNX
Runtime, must match tilec's reference interpreter on the same input; the exported
file imported back into tilec must match too.

Usage: check_onnx_export_ort.py path/to/tilec [--all] [models...]
CI runs one model per family; --all runs the whole zoo (tens of minutes).
"""

import os
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort

from tilec_harness import max_errors, model_check_main, run_tilec

RTOL = 1e-4
DEFAULT = ["lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18", "densenet121",
           "mobilenet_v1", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0", "vit_ti_16"]


def check(tilec, name):
    with tempfile.TemporaryDirectory() as tmp:
        path, x_path = os.path.join(tmp, f"{name}.onnx"), os.path.join(tmp, "x.npy")
        code, log = run_tilec(tilec, ["export", name, "-o", path])
        if code != 0:
            return f"{name}: export failed:\n{log}"
        onnx.checker.check_model(path, full_check=True)
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        shape = session.get_inputs()[0].shape
        x = np.random.default_rng(3).uniform(-1, 1, shape).astype(np.float32)
        np.save(x_path, x)
        from_ort = session.run(None, {session.get_inputs()[0].name: x})[0]
        results = {}
        for label, source in (("zoo", name), ("reimported", path)):
            out = os.path.join(tmp, f"{label}.npy")
            code, log = run_tilec(tilec, ["run", source, "--reference", "--input", x_path,
                                          "--output", out])
            if code != 0:
                return f"{name}: tilec run {label} failed:\n{log}"
            results[label] = np.load(out)
    reference = results["zoo"]
    messages = []
    for label, other in (("onnxruntime", from_ort), ("reimported", results["reimported"])):
        _, rel = max_errors(other, reference)
        same_top = int(other.argmax()) == int(reference.argmax())
        messages.append(f"{label} rel {rel:.1e}")
        if rel > RTOL or not same_top:
            return f"{name}: {label} differs from tilec's reference (rel {rel:.2e}, top-1 same: {same_top})"
    print(f"ok       {name:20} {', '.join(messages)}", flush=True)
    return None


if __name__ == "__main__":
    sys.exit(model_check_main(__doc__, check, DEFAULT))
