#!/usr/bin/env python3
"""Times pytorchvideo's own ir-CSN-152 and SlowFast builders (random weights, fp32) on one view, at the sizes
`vivid bench --arch` uses: csn-152 32×224² (VMZ's structure: create_csn depth 152 with a stem pool),
slowfast-r50 32×256² (hub slowfast_r50), slowfast-16x8-r101 64×256² (hub slowfast_16x8_r101_50_50).

Usage: PYTHON torch_convnets.py ARCH THREADS RUNS   (PYTHON: a venv with torch, torchvision and pytorchvideo)
Prints one JSON line: {"arch", "threads", "ms_per_view" (median), "ms_runs"}.
"""
import json
import statistics
import sys
import time

import torch
from pytorchvideo.models import hub
from pytorchvideo.models.csn import create_csn


def build(arch):
    """The model and its input for one view."""
    if arch == "csn-152":
        model = create_csn(model_depth=152, stem_pool=torch.nn.MaxPool3d, head_pool_kernel_size=(4, 7, 7))
        return model, torch.rand(1, 3, 32, 224, 224)
    frames = {"slowfast-r50": 32, "slowfast-16x8-r101": 64}[arch]
    model = hub.slowfast_r50() if arch == "slowfast-r50" else hub.slowfast_16x8_r101_50_50()
    fast = torch.rand(1, 3, frames, 256, 256)
    return model, lambda: [fast.index_select(2, torch.linspace(0, frames - 1, frames // 4).long()), fast]


def main():
    arch, threads, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, clip = build(arch)
    model.eval()
    inputs = clip if callable(clip) else (lambda: clip)  # SlowFast's blocks overwrite the list they are given
    times = []
    with torch.no_grad():
        model(inputs())  # warm-up, untimed, as `vivid bench --runs` does
        for _ in range(runs):
            view = inputs()
            start = time.perf_counter()
            model(view)
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"arch": f"pytorchvideo-{arch}", "threads": threads,
                      "ms_per_view": round(statistics.median(times), 1), "ms_runs": [round(t, 1) for t in times]}))


if __name__ == "__main__":
    main()
