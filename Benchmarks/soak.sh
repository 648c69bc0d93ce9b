#!/usr/bin/env bash
# Soak test of `vivid serve` (issue 25; not run in CI: it takes DURATION seconds): a mixed load of good, bad,
# slow and aborted uploads, /status and /metrics at about RATE requests/s for DURATION seconds, then RSS, open
# fds, leftover temp files, exit status on SIGTERM and the server's /metrics against the client's counts.
# Benchmarks/soak.py's docstring says what it sends and checks; it exits non-zero when anything was unexpected.
# Usage: bash Benchmarks/soak.sh [PATH/TO/vivid] [MODEL_DIR]     (defaults .build/release/vivid, Models/demo)
#   DURATION=1800  RATE=4  CLIENTS=4  SAMPLE=60
# Copy the binary first if it may be rebuilt meanwhile: cp .build/release/vivid /tmp/vivid-soak.
set -euo pipefail
vivid=$(realpath "${1:-$(dirname "$0")/../.build/release/vivid}")
model=$(realpath "${2:-$(dirname "$0")/../Models/demo}")
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%FT%TZ)"
exec /usr/bin/python3 Benchmarks/soak.py "$vivid" "$model"
