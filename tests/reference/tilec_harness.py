"""Helpers shared by the PyTorch comparison scripts: .npy files, running the
tilec binary, writing a one-function tilec module, comparing tensors."""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def run_tilec(tilec, args, cwd=None):
    """Runs `tilec <args>`; returns (exit code, stdout + stderr)."""
    proc = subprocess.run([tilec] + args, cwd=cwd, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def tensor_type(shape):
    return "tensor<" + "".join(f"{d}x" for d in shape) + "f32>"


def attr_text(attrs):
    """Renders a dict of Python values as an MLIR attribute dictionary."""
    parts = []
    for key, value in attrs.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int):
            text = f"{value} : i64"
        elif isinstance(value, float):
            text = f"{value:.17e} : f64"  # MLIR needs a mantissa with a dot
        elif isinstance(value, str):
            text = f'"{value}"'
        else:  # a list of ints
            text = "array<i64: " + ", ".join(str(v) for v in value) + ">"
        parts.append(f"{key} = {text}")
    return " {" + ", ".join(parts) + "}" if parts else ""


def single_op_module(op, input_shapes, output_shape, attrs, same_type):
    """A module whose @main applies one tilec op to its arguments."""
    args = ", ".join(f"%a{i}: {tensor_type(s)}" for i, s in enumerate(input_shapes))
    operands = ", ".join(f"%a{i}" for i in range(len(input_shapes)))
    out = tensor_type(output_shape)
    if same_type:
        sig = tensor_type(input_shapes[0])
    else:
        sig = "(" + ", ".join(tensor_type(s) for s in input_shapes) + f") -> {out}"
    return (f"func.func @main({args}) -> {out} {{\n"
            f"  %r = tilec.{op} {operands}{attr_text(attrs)} : {sig}\n"
            f"  return %r : {out}\n}}\n")


def run_module(tilec, module_text, inputs):
    """Writes the module and inputs to a temp dir, runs it with --reference and
    returns (output array or None, log)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "case.mlir")
        with open(path, "w") as f:
            f.write(module_text)
        args = ["run", path, "--reference", "--output", os.path.join(tmp, "out.npy")]
        for i, x in enumerate(inputs):
            name = os.path.join(tmp, f"in{i}.npy")
            np.save(name, np.asarray(x, dtype=np.float32, order="C"))  # keeps 0-d arrays 0-d
            args += ["--input", name]
        code, log = run_tilec(tilec, args)
        if code != 0:
            return None, log
        return np.load(os.path.join(tmp, "out.npy")), log


def max_errors(actual, expected):
    """(max absolute error, max error relative to the largest |expected|)."""
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    scale = max(float(np.max(np.abs(expected))), 1e-30)
    return float(diff.max(initial=0.0)), float(diff.max(initial=0.0)) / scale


def zoo_models(tilec):
    """Every model name of the zoo, from `tilec models --csv`."""
    out = subprocess.run([tilec, "models", "--csv"], capture_output=True, text=True, check=True)
    return [line.split(",")[0] for line in out.stdout.splitlines()[1:]]


def model_check_main(doc, check, default, known=None):
    """The shared command line of the per-model check scripts:
    `script.py path/to/tilec [--all] [models...]`. `check(tilec, name)` returns
    None or a failure message; `known` lists the models the script can check
    (None: the whole zoo). Prints one FAILED line per failure and the
    'N passed, N failed' summary; returns the exit status."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("tilec")
    parser.add_argument("models", nargs="*")
    parser.add_argument("--all", action="store_true", help="check every model it knows")
    args = parser.parse_args()
    universe = list(known) if known is not None else zoo_models(args.tilec)
    names = args.models or (universe if args.all else default)
    unknown = [n for n in names if n not in universe]
    if unknown:
        parser.error(f"cannot check {unknown}; choose from {universe}")
    failures = [f for f in (check(args.tilec, n) for n in names) if f]
    for f in failures:
        print("FAILED", f, file=sys.stderr)
    print(f"{len(names) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0
