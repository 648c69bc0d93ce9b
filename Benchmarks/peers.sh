#!/usr/bin/env bash
# Peer-runtime benchmark (a measurement, not a test): one view (batch 1) of each published architecture,
# seconds per view, on the same N threads in the same run, in
#   PyTorch fp32 (transformers ViViT-B/16x2, pytorchvideo create_csn ir-CSN-152 32×224² and create_slowfast
#   8x8 R50 32×256², random weights), ONNX Runtime fp32 and OpenVINO fp32 / bf16 on those modules exported to
#   ONNX, and `vivid bench --arch A --random-weights --runs R --json --threads N --precision P` for fp32, bf16,
#   int8 (fp32 alone, without the flag, where the binary does not list --precision; "refused" where it exits
#   non-zero). vivit-b16x2-fe has no peer (Scenic is JAX) and is timed on vivid only.
# It also prints the OpenBLAS core that vivid's libopenblas picks in this environment, and checks that every
# peer's output matches PyTorch's on the same input (so all of them time the same model).
#
# Usage: bash Benchmarks/peers.sh [PATH/TO/vivid]        (default .build/release/vivid)
#   RUNS=N            timed runs after one warm-up, median and min–max reported (default 3)
#   ARCHS="a b"       default "vivit-b16x2 vivit-b16x2-fe timesformer-b8 csn-152 slowfast-r50" (slowfast-16x8-r101 works too;
#                     vivit-b16x2-fsa, vivit-b16x2-fdpa and the other vivid-only names get vivid columns only)
#   THREADS=N         threads for every runtime (default: nproc)
#   PEERS_VENV=DIR    the Python venv, built from Benchmarks/requirements-peers.txt when missing or stale
#                     (default ~/.cache/vivid-peers-venv); PEERS_CACHE=DIR the ONNX files (~/.cache/vivid-peers)
#   PEERS_UNSET_OPENBLAS_ENV=1   unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for this script's commands
# A full run (5 archs, RUNS=3) takes about 12 minutes on 2 cores; the first one also installs ~1 GB and exports.
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
runs=${RUNS:-3}
threads=${THREADS:-$(nproc)}
archs=${ARCHS:-vivit-b16x2 vivit-b16x2-fe timesformer-b8 csn-152 slowfast-r50}
venv=${PEERS_VENV:-$HOME/.cache/vivid-peers-venv}
cache=${PEERS_CACHE:-$HOME/.cache/vivid-peers}
requirements=Benchmarks/requirements-peers.txt

if [ "${PEERS_UNSET_OPENBLAS_ENV:-0}" = 1 ]; then
  unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
fi

# The venv: rebuilt when the requirements changed since it was installed.
if ! cmp -s "$requirements" "$venv/requirements-peers.txt" 2>/dev/null; then
  echo "installing $requirements into $venv (pip, PyPI)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements-peers.txt"
fi

for _ in $(seq 60); do [ -x "$vivid" ] && break; sleep 5; done  # it may be being rebuilt
[ -x "$vivid" ] || { echo "no vivid binary at $vivid" >&2; exit 1; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $threads threads, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "vivid: $vivid ($(date -r "$vivid" '+%F %T'))"
# The OpenBLAS that vivid loads, asked in this same environment which core kernel it chose.
openblas=$(ldd "$vivid" 2>/dev/null | awk '/libopenblas/ {print $3; exit}' || true)
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE-(unset)} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE-(unset)}"
if [ -n "$openblas" ]; then
  python3 -c '
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
for name in ("openblas_get_corename", "openblas_get_config"):
    getattr(lib, name).restype = ctypes.c_char_p
core = lib.openblas_get_corename().decode()
print(f"OpenBLAS core: {core} ({sys.argv[1]}: {lib.openblas_get_config().decode().strip()})")
if core == "Prescott" and " avx2 " in open("/proc/cpuinfo").read():
    print("  (its SSE3 fallback: this OpenBLAS does not know the CPU model; OPENBLAS_CORETYPE=Haswell, SkylakeX or"
          " Cooperlake chooses a kernel)")
' "$openblas"
else
  echo "OpenBLAS core: vivid does not link libopenblas"
fi

PYTHONDONTWRITEBYTECODE=1 "$venv/bin/python" Benchmarks/peers.py run --vivid "$vivid" --archs "$archs" \
  --threads "$threads" --runs "$runs" --cache "$cache"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
