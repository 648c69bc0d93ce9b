#!/usr/bin/env bash
# Decode benchmark (a measurement, not a test): `vivid sample` with 4×3 views of 32 frames at stride 2 and
# 224 pixels, against FFmpeg decoding and scaling the whole file on 2 threads, on two generated videos:
#   - 60 s of 1080p H.264 at 30 fps, x264 defaults (keyframe at most every 250 frames);
#   - 10 min of 320×240 H.264 at 25 fps, x264 defaults.
# Prints one line per measurement; figures are recorded in Benchmarks/RESULTS.md. The 231 MB output goes
# to tmpfs (/dev/shm) when there is one, so that disk writeback does not swamp the decoding being timed.
# Usage: Benchmarks/decode.sh [PATH/TO/vivid]   (default .build/release/vivid)
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
runs=${RUNS:-3}
data=${BENCH_DATA:-.build/bench-data}
mkdir -p "$data"
out=$(mktemp -d -p "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}" )")
trap 'rm -rf "$out"' EXIT

make_video() { # make_video FILE LAVFI_SOURCE
  [ -s "$1" ] || ffmpeg -nostdin -v error -y -f lavfi -i "$2" -c:v libx264 -preset veryfast -pix_fmt yuv420p "$1"
}
make_video "$data/1080p-60s.mp4" "testsrc2=size=1920x1080:rate=30:duration=60"
make_video "$data/240p-10min.mp4" "testsrc2=size=320x240:rate=25:duration=600"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for video in "$data/1080p-60s.mp4" "$data/240p-10min.mp4"; do
  name=$(basename "$video")
  sample=$(python3 Benchmarks/measure.py "$runs" "$vivid" sample "$video" --frames 32 --stride 2 --views 4x3 \
    --short-side 224 --crop 224 --output "$out/clips.safetensors")
  full=$(python3 Benchmarks/measure.py "$runs" ffmpeg -nostdin -v error -threads 2 -i "$video" -vf scale=-2:224 -f null -)
  echo "$name vivid-sample $sample"
  echo "$name ffmpeg-full-decode $full"
done
