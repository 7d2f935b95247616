#!/usr/bin/env python3
"""End-to-end batch-1 latency: tilec's compiled artifact against ONNX Runtime.

For each model: `tilec export` writes the zoo model (same weights) as ONNX,
`tilec compile` builds the CPU artifact, `tilec bench` measures it; ONNX Runtime
(all graph optimizations, the same intra-op thread count) runs the exported
file on the same input. Both outputs are compared first. Prints one row per
model: median latencies and tilec / ORT (below 1.0: tilec is faster).
With --db, a second artifact is compiled from the tuning database (`tilec
tune`) and measured in the same run: default schedules, tuned, ORT side by side.

With --fusion-compare, the model compiled with --fusion none is measured too
(alternating with the fused one, three times each: the median of the medians).
With --layout-compare, the same for the model compiled with --layout nchw
(convolutions on NCHW as imported) against the default channels-last one.

  .venv/bin/python bench/model_latency.py build/bin/tilec [--threads 2] [--db tuning.db]
      [--fusion-compare] [--layout-compare] [models...]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

DEFAULT_MODELS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "densenet121", "vit_b_16"]


def tilec_latency(tilec, artifact, threads):
    out = subprocess.run([tilec, "bench", artifact, "--threads", str(threads), "--runs", "20",
                          "--min-time", "3"], check=True, capture_output=True, text=True).stdout
    return float(re.search(r"median ([0-9.]+) ms", out).group(1))


def ort_latency(onnx_path, x, threads, runs=20, min_time=3.0):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    for _ in range(3):
        y = session.run(None, {name: x})[0]
    times, start = [], time.perf_counter()
    while len(times) < runs or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        session.run(None, {name: x})
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), y


def relative_error(y, y_ref):
    return float(np.max(np.abs(y - y_ref)) / max(np.max(np.abs(y_ref)), 1e-30))


def alternate(tilec, base, other, threads):
    """Median latency of two artifacts of similar speed on a noisy machine:
    alternated, three medians each, the median of those."""
    base_runs, other_runs = [], []
    for _ in range(3):
        other_runs.append(tilec_latency(tilec, other, threads))
        base_runs.append(tilec_latency(tilec, base, threads))
    return statistics.median(base_runs), statistics.median(other_runs)


def compile_variant(args, model, work, suffix, flags, x_path, y_path):
    """Compiles `model` with extra `flags`, runs it on x; (artifact, output)."""
    artifact = os.path.join(work, model + suffix + ".tilec")
    subprocess.run([args.tilec, "compile", model, *flags, "-o", artifact], check=True,
                   capture_output=True)
    subprocess.run([args.tilec, "run", artifact, "--input", x_path, "--output", y_path],
                   check=True, capture_output=True)
    return artifact, np.load(y_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tilec")
    parser.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--db", help="also measure an artifact compiled with this tuning database")
    parser.add_argument("--fusion-compare", action="store_true",
                        help="also measure the model compiled with --fusion none (one op per "
                             "dispatch): fused against unfused in the same run")
    parser.add_argument("--layout-compare", action="store_true",
                        help="also measure the model compiled with --layout nchw: channels last "
                             "against NCHW in the same run")
    args = parser.parse_intermixed_args()
    rows, unfused_rows, layout_rows = [], [], []
    with tempfile.TemporaryDirectory() as work:
        for model in args.models:
            onnx_path = os.path.join(work, model + ".onnx")
            artifact = os.path.join(work, model + ".tilec")
            subprocess.run([args.tilec, "export", model, "-o", onnx_path], check=True,
                           capture_output=True)
            start = time.perf_counter()
            subprocess.run([args.tilec, "compile", model, "-o", artifact], check=True,
                           capture_output=True)
            compile_s = time.perf_counter() - start
            # One random input, saved for tilec and fed to ONNX Runtime.
            x_path, y_path = os.path.join(work, "x.npy"), os.path.join(work, "y.npy")
            rng = np.random.default_rng(0)
            session_shape = ort.InferenceSession(
                onnx_path, providers=["CPUExecutionProvider"]).get_inputs()[0].shape
            x = rng.uniform(-1, 1, size=session_shape).astype(np.float32)
            np.save(x_path, x)
            subprocess.run([args.tilec, "run", artifact, "--input", x_path, "--output", y_path],
                           check=True, capture_output=True)
            ours = tilec_latency(args.tilec, artifact, args.threads)
            theirs, y_ort = ort_latency(onnx_path, x, args.threads)
            y = np.load(y_path)
            err = relative_error(y, y_ort)
            tuned = None
            if args.db:
                tuned_artifact = os.path.join(work, model + ".tuned.tilec")
                subprocess.run([args.tilec, "compile", model, "--db", args.db, "--threads",
                                str(args.threads), "-o", tuned_artifact], check=True,
                               capture_output=True)
                subprocess.run([args.tilec, "run", tuned_artifact, "--input", x_path, "--output",
                                y_path], check=True, capture_output=True)
                y = np.load(y_path)
                err = max(err, float(np.max(np.abs(y - y_ort)) / max(np.max(np.abs(y_ort)), 1e-30)))
                tuned = tilec_latency(args.tilec, tuned_artifact, args.threads)
            # Side-by-side variants: (flag, artifact suffix, compile flags, table).
            for wanted, suffix, flags, table in (
                    (args.fusion_compare, ".unfused", ["--fusion", "none"], unfused_rows),
                    (args.layout_compare, ".nchw", ["--layout", "nchw"], layout_rows)):
                if not wanted:
                    continue
                other_artifact, y = compile_variant(args, model, work, suffix, flags, x_path,
                                                    y_path)
                err = max(err, relative_error(y, y_ort))
                base, other = alternate(args.tilec, artifact, other_artifact, args.threads)
                table.append((model, other, base))
                print(f"{model:18s} {' '.join(flags)} {other:8.2f} ms  default {base:8.2f} ms  "
                      f"speed-up of the default {other / base:4.2f}x", flush=True)
            rows.append((model, compile_s, ours, tuned, theirs, err))
            print(f"{model:18s} compile {compile_s:5.1f} s  tilec {ours:8.2f} ms  "
                  + (f"tuned {tuned:8.2f} ms  " if tuned else "")
                  + f"ORT {theirs:8.2f} ms  ratio {(tuned or ours) / theirs:5.2f}  rel.err {err:.1e}",
                  flush=True)
    if args.db:
        print(f"\n| model | tilec default (ms) | tilec tuned (ms) | ONNX Runtime (ms) | tuned / ORT "
              f"| default / tuned | rel. error |")
        print("|---|---|---|---|---|---|---|")
        for model, compile_s, ours, tuned, theirs, err in rows:
            print(f"| {model} | {ours:.1f} | {tuned:.1f} | {theirs:.1f} | {tuned / theirs:.2f} | "
                  f"{ours / tuned:.2f} | {err:.1e} |")
    else:
        print(f"\n| model | tilec (ms) | ONNX Runtime (ms) | tilec / ORT | rel. error | compile (s) |")
        print("|---|---|---|---|---|---|")
        for model, compile_s, ours, _, theirs, err in rows:
            print(f"| {model} | {ours:.1f} | {theirs:.1f} | {ours / theirs:.2f} | {err:.1e} | "
                  f"{compile_s:.1f} |")
    if unfused_rows:
        print("\n| model | fusion=none (ms) | fusion=default (ms) | speed-up from fusion |")
        print("|---|---|---|---|")
        for model, unfused, fused in unfused_rows:
            print(f"| {model} | {unfused:.1f} | {fused:.1f} | {unfused / fused:.2f}x |")
    if layout_rows:
        print("\n| model | layout=nchw (ms) | layout=auto (ms) | speed-up of the default |")
        print("|---|---|---|---|")
        for model, nchw, default in layout_rows:
            print(f"| {model} | {nchw:.1f} | {default:.1f} | {nchw / default:.2f}x |")
    return 0 if all(row[-1] <= 1e-4 for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
