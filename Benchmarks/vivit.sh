#!/usr/bin/env bash
# ViViT forward-pass benchmark (a measurement, not a test): `vivid bench` on the published ViViT
# configurations with random weights, and, when a Python with torch and transformers is given, transformers'
# ViViT-B/16x2 (Model 1) on the same machine and thread count in the same run.
# Usage: Benchmarks/vivit.sh [PATH/TO/vivid]
#   TORCH_PYTHON=/path/to/venv/bin/python  enables the PyTorch comparison (skipped when unset or missing)
#   THREADS=N (default: all cores), RUNS=N PyTorch repetitions (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
threads=${THREADS:-$(nproc)}
runs=${RUNS:-2}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $threads threads"
for arch in vivit-b16x2-fe vivit-b16x2; do
  echo "vivid $("$vivid" bench --arch "$arch" --random-weights --threads "$threads" --json | tr -d '\n ')"
done
if [ -n "${TORCH_PYTHON:-}" ] && [ -x "$TORCH_PYTHON" ]; then
  echo "pytorch $("$TORCH_PYTHON" Benchmarks/torch_vivit.py "$threads" "$runs" 2>/dev/null)"
else
  echo "pytorch: skipped (set TORCH_PYTHON to a python with torch and transformers)"
fi
