#!/usr/bin/env python3
"""Exports torchvision models to ONNX with PyTorch, imports them into tilec, and
compares tilec's reference interpreter with PyTorch.

Each model gets random weights (fixed seed) and randomized batch-norm statistics,
is exported with torch.onnx.export at the opset listed below (13 to 17), run by
`tilec run model.onnx --reference`, and must match PyTorch (float64) to relative
error <= 1e-4 with the same top-1 class.

Usage: check_onnx_vs_torchvision.py path/to/tilec [--all] [models...]
"""

import os
import sys
import tempfile

import numpy as np
import torch

from check_zoo_vs_torchvision import randomized_model
from tilec_harness import max_errors, model_check_main, run_tilec

RTOL = 1e-4
# model -> export opset; together they cover opsets 13 to 17.
OPSETS = {"resnet18": 13, "mobilenet_v2": 14, "mobilenet_v3_large": 15, "efficientnet_b0": 16,
          "densenet121": 17, "googlenet": 13, "alexnet": 14, "vgg16": 15, "resnet50": 16,
          "vit_b_16": 17}
DEFAULT = ["resnet18", "mobilenet_v2", "mobilenet_v3_large", "efficientnet_b0", "googlenet",
           "densenet121"]


def check(tilec, name):
    model, resolution = randomized_model(name)
    x = np.random.default_rng(2).standard_normal((1, 3, resolution, resolution)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"{name}.onnx")
        torch.onnx.export(model, torch.from_numpy(x), path, opset_version=OPSETS[name],
                          input_names=["input"], output_names=["logits"])
        with torch.no_grad():
            expected = model.double()(torch.from_numpy(x).double()).numpy()
        np.save(os.path.join(tmp, "x.npy"), x)
        out = os.path.join(tmp, "y.npy")
        code, log = run_tilec(tilec, ["run", path, "--reference", "--input",
                                      os.path.join(tmp, "x.npy"), "--output", out])
        if code != 0:
            return f"{name}: tilec failed (exit {code}):\n{log}"
        actual = np.load(out)
    abs_err, rel_err = max_errors(actual, expected)
    top_ok = int(actual.argmax()) == int(expected.argmax())
    ok = rel_err <= RTOL and top_ok
    print(f"{'ok' if ok else 'MISMATCH':8} {name:20} opset {OPSETS[name]}  max abs err "
          f"{abs_err:.2e}, rel {rel_err:.2e}, top-1 {int(actual.argmax())} vs torch "
          f"{int(expected.argmax())}", flush=True)
    return None if ok else f"{name}: rel error {rel_err:.2e} (limit {RTOL}), same top-1: {top_ok}"


if __name__ == "__main__":
    sys.exit(model_check_main(__doc__, check, DEFAULT, OPSETS))
