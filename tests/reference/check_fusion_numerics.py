#!/usr/bin/env python3
"""Numerics are unchanged by the graph pipeline: each model runs on the reference
interpreter as built, after the pipeline with fusion=default, and with
fusion=none; the outputs must agree to relative error <= 1e-5 with the same
top-1 (batch-norm folding rounds differently, nothing else may change).

Usage: check_fusion_numerics.py path/to/tilec [--all] [models...]
"""

import os
import sys
import tempfile

import numpy as np

from tilec_harness import max_errors, model_check_main, run_tilec

RTOL = 1e-5
DEFAULT = ["lenet5", "alexnet", "googlenet", "resnet50", "densenet121", "mobilenet_v2",
           "mobilenet_v3_small", "efficientnet_b0", "vit_ti_16", "vgg11_bn"]


def check(tilec, name):
    outputs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("graph", []), ("default", ["--fusion", "default"]),
                             ("none", ["--fusion", "none"])):
            path = os.path.join(tmp, label + ".npy")
            code, log = run_tilec(tilec, ["run", name, "--reference", "--output", path] + extra)
            if code != 0:
                return f"{name} ({label}): tilec failed:\n{log}"
            outputs[label] = np.load(path)
    base = outputs["graph"]
    notes = []
    for label in ("default", "none"):
        _, rel = max_errors(outputs[label], base)
        notes.append(f"fusion={label} rel {rel:.1e}")
        if rel > RTOL or int(outputs[label].argmax()) != int(base.argmax()):
            return f"{name}: fusion={label} changes the output (rel {rel:.2e})"
    print(f"ok       {name:20} {', '.join(notes)}", flush=True)
    return None


if __name__ == "__main__":
    sys.exit(model_check_main(__doc__, check, DEFAULT))
