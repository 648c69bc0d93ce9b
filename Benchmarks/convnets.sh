#!/usr/bin/env bash
# CSN and SlowFast forward-pass benchmark (a measurement, not a test): `vivid bench --profile` on ir-CSN-152,
# SlowFast 8x8 R50 and 16x8 R101 with random weights, and, when a Python with torch and pytorchvideo is given,
# pytorchvideo's own builders at the same sizes on the same machine and thread count in the same run.
# Usage: Benchmarks/convnets.sh [PATH/TO/vivid]
#   TORCH_PYTHON=/path/to/venv/bin/python  enables the PyTorch comparison (skipped when unset or missing)
#   THREADS=N (default: all cores), RUNS=N timed passes of each, after a warm-up, median reported (default 2), ARCHS="csn-152 …" to choose
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
threads=${THREADS:-$(nproc)}
runs=${RUNS:-2}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $threads threads"
for arch in ${ARCHS:-csn-152 slowfast-r50 slowfast-16x8-r101}; do
  echo "vivid $("$vivid" bench --arch "$arch" --random-weights --threads "$threads" --runs "$runs" --profile --json | tr -d '\n ')"
  if [ -n "${TORCH_PYTHON:-}" ] && [ -x "$TORCH_PYTHON" ]; then
    echo "pytorch $("$TORCH_PYTHON" Benchmarks/torch_convnets.py "$arch" "$threads" "$runs" 2>/dev/null)"
  else
    echo "pytorch: skipped (set TORCH_PYTHON to a python with torch and pytorchvideo)"
  fi
done
