#!/usr/bin/env python3
"""Checks zoo models against torchvision: same structure, same numbers.

For each model: build torchvision's version with random weights (fixed seed) and
randomized batch-norm statistics, save its state dict as one .npy per tensor,
run `tilec run <model> --reference --weights <dir>` on the same input, and
require (a) every tensor of the state dict to be attached to a tilec weight of
the same name and shape, (b) max error <= 1e-4 of the logits' scale, and
(c) the same top-1 class. PyTorch runs in float64 as the oracle.

Usage: check_zoo_vs_torchvision.py path/to/tilec [--all] [models...]
"""

import os
import re
import sys
import tempfile

import numpy as np
import torch
import torchvision
from torchvision.models.vision_transformer import VisionTransformer

from tilec_harness import max_errors, model_check_main, run_tilec

RTOL = 1e-4


def deit(hidden, heads):
    return lambda: VisionTransformer(image_size=224, patch_size=16, num_layers=12,
                                     num_heads=heads, hidden_dim=hidden, mlp_dim=4 * hidden)


def tv(name, **kwargs):
    return lambda: getattr(torchvision.models, name)(weights=None, **kwargs)


# name -> (constructor, resolution used in the check)
MODELS = {
    "resnet18": (tv("resnet18"), 224),
    "mobilenet_v2": (tv("mobilenet_v2"), 224),
    "mobilenet_v3_small": (tv("mobilenet_v3_small"), 224),
    "mobilenet_v3_large": (tv("mobilenet_v3_large"), 224),
    "efficientnet_b0": (tv("efficientnet_b0"), 224),
    "googlenet": (tv("googlenet", aux_logits=False, init_weights=True), 224),
    "densenet121": (tv("densenet121"), 224),
    "alexnet": (tv("alexnet"), 224),
    "vit_ti_16": (deit(192, 3), 224),
    "vgg11_bn": (tv("vgg11_bn"), 64),
    "resnet50": (tv("resnet50"), 224),
    "vgg16": (tv("vgg16"), 224),
    "efficientnet_b3": (tv("efficientnet_b3"), 300),
    "vit_b_16": (tv("vit_b_16"), 224),
    "vit_b_32": (tv("vit_b_32"), 224),
    "resnet101": (tv("resnet101"), 224),
    "densenet169": (tv("densenet169"), 224),
}
# Small enough for CI on two cores; --all runs every entry above.
DEFAULT = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
           "efficientnet_b0", "googlenet", "densenet121", "alexnet", "vit_ti_16", "vgg11_bn"]


def randomize(model, generator):
    """Random BN statistics and affine parameters, so batch norm is not the identity,
    and random values for every parameter initialised to a constant (zero biases,
    ViT's zero head and class token), so each one is exercised."""
    for p in model.parameters():
        if p.numel() > 1 and bool((p == p.flatten()[0]).all()):
            p.copy_(torch.randn(p.shape, generator=generator) * 0.02)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=generator) + 0.5)
            m.weight.copy_(torch.rand(m.weight.shape, generator=generator) + 0.5)
            m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.1)


def randomized_model(name):
    """torchvision's `name` in eval mode with seeded random weights and randomized
    batch-norm statistics (see randomize), and the resolution to check it at."""
    make, resolution = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    with torch.no_grad():
        randomize(model, torch.Generator().manual_seed(1))
    return model, resolution


def check(tilec, name):
    model, resolution = randomized_model(name)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    x = np.random.default_rng(2).standard_normal((1, 3, resolution, resolution)).astype(np.float32)
    with torch.no_grad():
        expected = model.double()(torch.from_numpy(x).double()).numpy()
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "weights")
        os.mkdir(weights)
        for key, value in state.items():
            np.save(os.path.join(weights, key + ".npy"), value.float().numpy())
        np.save(os.path.join(tmp, "x.npy"), x)
        out = os.path.join(tmp, "y.npy")
        code, log = run_tilec(tilec, ["run", name, "--reference", "--resolution", str(resolution),
                                      "--weights", weights, "--input", os.path.join(tmp, "x.npy"),
                                      "--output", out])
        if code != 0:
            return f"{name}: tilec failed:\n{log}"
        attached = re.search(r"weights\s+(\d+) tensors", log)
        if not attached or int(attached.group(1)) != len(state):
            return (f"{name}: tilec attached {attached.group(1) if attached else 0} of "
                    f"{len(state)} state-dict tensors (names differ from torchvision's)")
        actual = np.load(out)
    abs_err, rel_err = max_errors(actual, expected)
    top_ok = int(actual.argmax()) == int(expected.argmax())
    status = "ok" if rel_err <= RTOL and top_ok else "MISMATCH"
    print(f"{status:8} {name:20} {len(state):4} tensors  max abs err {abs_err:.2e}, "
          f"rel {rel_err:.2e}, top-1 {int(actual.argmax())} vs torch {int(expected.argmax())}",
          flush=True)
    if status != "ok":
        return f"{name}: rel error {rel_err:.2e} (limit {RTOL}), same top-1: {top_ok}"
    return None


if __name__ == "__main__":
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    sys.exit(model_check_main(__doc__, check, DEFAULT, MODELS))
