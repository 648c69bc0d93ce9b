#!/usr/bin/env bash
# Server benchmark (a measurement, not a test): the overhead of `POST /classify` over `vivid classify` on a
# short video, and `/status` latency while a classification runs. Figures go to Benchmarks/RESULTS.md.
# Usage: Benchmarks/server.sh [PATH/TO/vivid] [MODEL_DIR] [VIDEO...]
#   defaults: .build/release/vivid, Models/demo, and two videos:
#   - ../shared/videos/cup.mp4, a recorded camera clip (8 s, 640×480, 1.5 MB; skipped when absent): what a
#     pipeline sends, and the clip the overhead target (< 2%) is judged on;
#   - the demo's first example (4 s, 320×240, 13 KB, rendered): its classification takes only 13–18 ms, so
#     serving's fixed cost (loopback, wake-ups, the client) shows at its largest share.
# RUNS uploads per block (default 10), BLOCKS blocks (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
model=${2:-Models/demo}
shift $(($# < 2 ? $# : 2))
videos=("$@")
if [ ${#videos[@]} -eq 0 ]; then
    [ -f ../shared/videos/cup.mp4 ] && videos+=(../shared/videos/cup.mp4)
    videos+=("$(ls Models/demo/examples/*.mp4 | head -1)")
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for video in "${videos[@]}"; do
    python3 Benchmarks/server.py "$vivid" "$model" "$video" "${RUNS:-10}" "${BLOCKS:-5}"
done
