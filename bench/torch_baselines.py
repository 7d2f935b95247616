#!/usr/bin/env python3
"""PyTorch baselines on the same GPU as tilec's kernels (tests/gpu/run_on_device.sh).

Eager-mode latency of torchvision's ResNet-50, MobileNet v2, EfficientNet-B0
and ViT-B/16 (random weights: the time does not depend on them) at the given
batch sizes, in fp32 and bf16 (the model and input cast to bfloat16), and
scaled_dot_product_attention on ViT-B/16's attention shape (12 heads of 197
tokens by 64) at the same batch sizes. Each time is the median of CUDA-event
timed runs after warm-up. One line per measurement:

  torch_eager <model> b<batch> <dtype> median <ms> ms
  torch_sdpa vit_b_16 b<batch> <dtype> median <ms> ms

Usage: python3 bench/torch_baselines.py [--batches 1,64] [--models resnet50,...]
Exits 77 when PyTorch or a CUDA device is missing (nothing to compare with).
"""
import argparse
import statistics
import sys


def median_ms(torch, fn, warmup, runs):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="1,64")
    parser.add_argument("--models", default="resnet50,mobilenet_v2,efficientnet_b0,vit_b_16")
    parser.add_argument("--dtypes", default="fp32,bf16")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"PyTorch/torchvision missing ({e}); no baselines", file=sys.stderr)
        return 77
    if not torch.cuda.is_available():
        print("no CUDA device for PyTorch; no baselines", file=sys.stderr)
        return 77
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 means fp32
    torch.backends.cudnn.allow_tf32 = False
    dtypes = {"fp32": torch.float32, "bf16": torch.bfloat16}
    batches = [int(b) for b in args.batches.split(",")]
    with torch.inference_mode():
        for name in args.models.split(","):
            model = getattr(torchvision.models, name)(weights=None).cuda().eval()
            for dtype_name in args.dtypes.split(","):
                model = model.to(dtypes[dtype_name])
                for batch in batches:
                    x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=dtypes[dtype_name])
                    ms = median_ms(torch, lambda: model(x), warmup=3, runs=args.runs)
                    print(f"torch_eager {name} b{batch} {dtype_name} median {ms:.4f} ms", flush=True)
            del model
            torch.cuda.empty_cache()
        f = torch.nn.functional.scaled_dot_product_attention
        for dtype_name in args.dtypes.split(","):
            for batch in batches:
                q, k, v = (torch.randn(batch, 12, 197, 64, device="cuda", dtype=dtypes[dtype_name])
                           for _ in range(3))
                ms = median_ms(torch, lambda: f(q, k, v), warmup=5, runs=max(args.runs, 50))
                print(f"torch_sdpa vit_b_16 b{batch} {dtype_name} median {ms:.4f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
