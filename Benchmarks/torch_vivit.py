#!/usr/bin/env python3
"""Times transformers' ViViT-B/16x2 (Model 1, random weights, fp32) on one 32×224² view.

Usage: PYTHON torch_vivit.py THREADS RUNS   (PYTHON: a venv with torch and transformers)
Prints one JSON line: {"arch", "threads", "ms_per_view" (median), "ms_runs"}.
"""
import json
import statistics
import sys
import time

import torch
from transformers import VivitConfig, VivitForVideoClassification


def main():
    threads, runs = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = VivitForVideoClassification(VivitConfig()).eval()  # the defaults are ViViT-B/16x2, 400 classes
    pixels = torch.rand(1, 32, 3, 224, 224) * 2 - 1
    times = []
    with torch.no_grad():
        for _ in range(runs):
            start = time.perf_counter()
            model(pixel_values=pixels)
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"arch": "transformers-vivit-b16x2", "threads": threads,
                      "ms_per_view": round(statistics.median(times), 1), "ms_runs": [round(t, 1) for t in times]}))


if __name__ == "__main__":
    main()
