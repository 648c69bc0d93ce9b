#!/usr/bin/env bash
# Peak memory of a timeline against the video's length (issue 23): `vivid classify --window 6 --hop 3` with the
# demo model on 1-, 5- and 10-minute videos made of the demo's examples played in turn (25 fps, 320×240 H.264),
# measured with /usr/bin/time -f %M. Memory should not grow with the length.
#   bash Benchmarks/timeline.sh [VIVID]
set -euo pipefail
cd "$(dirname "$0")/.."
vivid=${1:-.build/release/vivid}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One pass through the eight examples (32 s), then the minutes asked for, by looping it.
inputs=() streams="" joined=""
for i in 0 1 2 3 4 5 6 7; do
  inputs+=(-i "$(ls Models/demo/examples/0000${i}_*.mp4)")
  streams+="[$i:v]fps=25,scale=320:240,setpts=N/25/TB[v$i];"
  joined+="[v$i]"
done
ffmpeg -nostdin -v error "${inputs[@]}" -filter_complex "${streams}${joined}concat=n=8:v=1[out]" -map "[out]" \
  -c:v libx264 -pix_fmt yuv420p "$work/pass.mp4"

printf '%-8s %8s %10s %12s %10s\n' minutes windows seconds "peak RSS MB" runs
for minutes in 1 5 10; do
  ffmpeg -nostdin -v error -y -stream_loop -1 -i "$work/pass.mp4" -t $((minutes * 60)) -c copy "$work/long.mp4"
  /usr/bin/time -f "%M %e" -o "$work/time" "$vivid" classify --window 6 --hop 3 --json "$work/long.mp4" 2>/dev/null >"$work/answer.json"
  read -r rss elapsed <"$work/time"
  /usr/bin/python3 - "$work/answer.json" "$minutes" "$rss" "$elapsed" <<'PY'
import json, sys
answer = json.load(open(sys.argv[1]))
print(f"{sys.argv[2]:<8} {answer['windows']:>8} {float(sys.argv[4]):>10.1f} {int(sys.argv[3]) / 1024:>12.1f} {len(answer['runs']):>10}")
PY
done
