#!/usr/bin/env bash
# Remakes the video seeds of FuzzContainer/ (clip.*): the first 4 KiB of half-second 32×24 clips in each
# container the policy allows and the tests meet, made with the ffmpeg CLI. The other seeds there are
# written by hand: formats the policy refuses (a playlist, a concat script, SDP, an image, text) and garbage.
set -euo pipefail
out="$(dirname "$0")/FuzzContainer"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
make_clip() { # make_clip EXTENSION FFMPEG-OUTPUT-OPTIONS...
  local extension=$1; shift
  ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=32x24:rate=10:duration=0.5 -fflags +bitexact "$@" "$work/clip.$extension"
  head -c 4096 "$work/clip.$extension" >"$out/clip.$extension"
}
make_clip mp4 -c:v libx264 -pix_fmt yuv420p -movflags +faststart
make_clip webm -c:v libvpx-vp9 -b:v 50k
make_clip mkv -c:v libx264
make_clip avi -c:v mpeg4
make_clip ts -c:v libx264
make_clip flv -c:v flv1
make_clip y4m -frames:v 1 -pix_fmt yuv420p
ffmpeg -nostdin -v error -f lavfi -i sine=frequency=440:duration=0.1 -ar 8000 -fflags +bitexact "$work/clip.wav"
head -c 4096 "$work/clip.wav" >"$out/clip.wav"
