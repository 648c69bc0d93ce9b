#!/usr/bin/env bash
# Rebuilds Models/demo from nothing: renders the training and validation frames, trains the model, exports it
# with its parity fixture, and renders the shipped example clips. Takes about 65 minutes on 2 cores.
#
#   bash Tools/make_demo.sh TORCH_PYTHON [WORK_DIR]
#
# TORCH_PYTHON: a Python with torch, safetensors and numpy (a venv outside the repository). Rendering uses
# /usr/bin/python3 (numpy only). WORK_DIR (default /tmp/vivid-demo) holds the ~7 GB of frames; a stage whose
# output already exists there is skipped, so an interrupted run resumes. Seeds: training 1000, validation 2000,
# examples 4000; the test range 3000-3999 is never rendered here (Tools/evaluate_demo.py uses it).
set -euo pipefail
torch_python=${1:?usage: make_demo.sh TORCH_PYTHON [WORK_DIR]}
work=${2:-/tmp/vivid-demo}
cd "$(dirname "$0")/.."
render="/usr/bin/python3 Tools/render_actions.py"
frames="--size 54 --frames 16 --stride 8 --workers 2 --quiet"

[ -f "$work/train/frames.npy" ] || $render frames --count 16384 --seed 1000 --out "$work/train" $frames
[ -f "$work/train2/frames.npy" ] || $render frames --count 16384 --seed 1000 --start 16384 --out "$work/train2" $frames
[ -f "$work/train3/frames.npy" ] || $render frames --count 16384 --seed 1000 --start 32768 --out "$work/train3" $frames
[ -f "$work/val/frames.npy" ] || $render frames --count 1024 --seed 2000 --out "$work/val" $frames

[ -f "$work/model/model.safetensors" ] || "$torch_python" Tools/train_demo.py \
  --train "$work/train" --train "$work/train2" --train "$work/train3" --val "$work/val" \
  --stride 8 --crop 40 --tubelet-frames 4 --minutes 55 --eval-every 500 \
  --out "$work/model" --fixture "$work/model/demo_io.safetensors" | tee "$work/train.log"

mkdir -p Models/demo
cp "$work"/model/{config.json,model.safetensors,verbs.txt,nouns.txt,training.json} Models/demo/
cp "$work/model/demo_io.safetensors" Tests/Fixtures/demo_io.safetensors

# One example per verb and per noun, small enough to ship: 4 s, 320x240 (portrait for odd clips), codecs drawn
# from H.264, VP9 and MPEG-4 as for the test sets.
rm -rf Models/demo/examples
$render videos --count 8 --seed 4000 --out Models/demo/examples --size 320x240 --duration 4 --compact --quiet \
  --actions take:cup,put:pan,open:jar,close:box,pour:kettle,move:bowl,shake:bottle,turn:pot
du -sh Models/demo
