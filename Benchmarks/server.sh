#!/usr/bin/env bash
# Server benchmark (a measurement, not a test): the overhead of `POST /classify` over `vivid classify` on one
# short video, and `/status` latency while a classification runs. Figures go to Benchmarks/RESULTS.md.
# Usage: Benchmarks/server.sh [PATH/TO/vivid] [MODEL_DIR] [VIDEO]
#   defaults: .build/release/vivid, Models/demo, the first of Models/demo/examples
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
model=${2:-Models/demo}
video=${3:-$(ls Models/demo/examples/*.mp4 | head -1)}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
python3 Benchmarks/server.py "$vivid" "$model" "$video" "${RUNS:-10}"
