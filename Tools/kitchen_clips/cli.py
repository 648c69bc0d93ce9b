"""Render synthetic kitchen action clips: a hand acting on a kitchen object on a counter.

Eight EPIC-KITCHENS-100 verbs times eight EPIC-KITCHENS-100 nouns (64 actions), with the
class ids and keys of EPIC_100_verb_classes.csv / EPIC_100_noun_classes.csv:

  verbs: take 0, put 1, open 3, close 4, pour 9, move 11, shake 15, turn 23
  nouns: pan 5, bowl 7, cup 13, bottle 15, box 23, pot 29, jar 40, kettle 44

Needs Python 3 and numpy only (Debian: python3-numpy; run with /usr/bin/python3), plus the
`ffmpeg` command-line tool for the `videos` command.

Commands
--------
  render_actions.py frames --count N --seed S --out DIR [--size 128] [--frames 32] [--workers 2]
                    [--start I] [--exact]
      Training / validation sets. DIR/frames.npy: uint8 (N, frames, size, size, 3), RGB,
      `frames` frames evenly spanning each whole clip (frame index floor((k + 0.5) * F / frames)
      of the clip's F frames), the frame resized so its short side is `size` and centre-cropped
      square. DIR/labels.csv: index, verb_id, verb, noun_id, noun, seed, width, height, fps,
      duration, action_start, action_end (the action's start/end as fractions of the clip).
      The scene is resolution independent and is rendered (anti-aliased) directly at the output
      scale, which matches rendering the full-size video and area-resizing it (only the pixel
      noise differs); `--exact` renders the full-size frames and resizes them with numpy instead
      (about 6x slower, for checking). `--start I` renders clips I .. I+N-1 of the set, so a set
      can be made in parts. About 30 clips/s per core at 128 px, 32 frames; 100 clips take
      157 MB (frames.npy is uncompressed).
  render_actions.py videos --count N --seed S --out DIR [--codecs h264,vp9,mpeg4] [--workers 2]
                    [--size WxH] [--duration S] [--compact] [--actions take:cup,…]
      Evaluation through a real decoder: each clip is rendered at its own size (landscape and
      portrait, 240p-640p) and frame rate (24, 25 or 30) and piped as raw RGB to ffmpeg:
      H.264 in .mp4 (most clips), VP9 in .webm, MPEG-4 part 2 in .avi. DIR/labels.csv: file,
      verb_id, verb, noun_id, noun, seed, width, height, fps, duration, codec, action_start,
      action_end.
  render_actions.py preview --seed S --out FILE.png [--actions pour:kettle,take:cup|all]
                    [--columns 8] [--size 160] [--full]
      A contact sheet (PNG) of a few clips, one row per clip, `columns` frames spanning each
      clip, with the action written above each row.

Seeds
-----
Clip i of a set with base seed S is rendered from clip seed S * 1_000_000 + i (written to the
labels' `seed` column), so sets with different base seeds never share a clip (for fewer than
a million clips per set). Clips cycle through the 64 actions: each consecutive block of 64
indices holds every action once, in an order shuffled per (S, block). Use base seeds:

  training    1000-1999
  validation  2000-2999
  test        3000-3999
  examples    4000

Everything random in a clip (action timing, speed, object size/colour/position, background,
lighting, camera jitter, distractors, hand) comes from the clip seed; rendering is deterministic.
"""

import argparse
import csv
import os
import sys
import time

import numpy as np

from .labels import parse_actions
from .png import write_png
from .preview import contact_sheet
from .sets import CODECS, pool_map, render_training_clip, render_video_clip

LABELS_FRAMES = ["index", "verb_id", "verb", "noun_id", "noun", "seed", "width", "height", "fps",
                 "duration", "action_start", "action_end"]
LABELS_VIDEOS = ["file", "verb_id", "verb", "noun_id", "noun", "seed", "width", "height", "fps",
                 "duration", "codec", "action_start", "action_end"]


def write_labels(out_dir, header, rows):
    with open(os.path.join(out_dir, "labels.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def cmd_frames(a):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "frames.npy")
    # open_memmap writes the .npy header and sizes the file; clips are then written at their
    # offsets with plain file writes, so resident memory stays at a few clips.
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8,
                                      shape=(a.count, a.frames, a.size, a.size, 3))
    offset = array.offset
    del array
    clip_bytes = a.frames * a.size * a.size * 3
    tasks = [(a.seed, i, a.size, a.frames, a.exact, a.stride) for i in range(a.start, a.start + a.count)]
    t0 = time.time()
    rows = []
    with open(path, "r+b") as fh:
        for n, (index, frames, row) in enumerate(pool_map(render_training_clip, tasks, a.workers)):
            fh.seek(offset + (index - a.start) * clip_bytes)
            fh.write(frames.tobytes())
            rows.append(row)
            if not a.quiet and ((n + 1) % 100 == 0 or n + 1 == a.count):
                elapsed = time.time() - t0
                print(f"{n + 1}/{a.count} clips, {elapsed:.1f} s, {(n + 1) / elapsed:.1f} clips/s", file=sys.stderr)
    write_labels(a.out, LABELS_FRAMES, rows)


def cmd_videos(a):
    os.makedirs(a.out, exist_ok=True)
    codecs = [c.strip() for c in a.codecs.split(",") if c.strip()]
    for c in codecs:
        if c not in CODECS:
            sys.exit(f"unknown codec {c} (use {','.join(CODECS)})")
    size = tuple(int(v) for v in a.size.split("x")) if a.size else None
    actions = parse_actions(a.actions) if a.actions else None
    tasks = [(a.seed, i, a.out, codecs, size, a.duration, a.compact, actions and actions[(i - a.start) % len(actions)])
             for i in range(a.start, a.start + a.count)]
    rows = []
    t0 = time.time()
    for n, (index, row) in enumerate(pool_map(render_video_clip, tasks, a.workers)):
        rows.append(row)
        if not a.quiet and ((n + 1) % 16 == 0 or n + 1 == a.count):
            print(f"{n + 1}/{a.count} videos, {time.time() - t0:.1f} s", file=sys.stderr)
    write_labels(a.out, LABELS_VIDEOS, rows)


def cmd_preview(a):
    # By default one row per verb, each with a noun that moves on with the seed.
    actions = parse_actions(a.actions) if a.actions else [(v, (v * 3 + a.seed) % 8) for v in range(8)]
    sheet = contact_sheet(a.seed, actions, a.columns, a.size, a.full)
    write_png(a.out, sheet)
    print(f"wrote {a.out} ({sheet.shape[1]}x{sheet.shape[0]})", file=sys.stderr)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("frames", help="training arrays: frames.npy + labels.csv")
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--seed", type=int, required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--size", type=int, default=128)
    f.add_argument("--frames", type=int, default=32)
    f.add_argument("--stride", type=int, default=0,
                   help="take the frames as one view of Vivid's sampler does (n frames STRIDE apart from a "
                        "random offset, repeating the last frame past the end) instead of spanning the clip")
    f.add_argument("--workers", type=int, default=2)
    f.add_argument("--start", type=int, default=0, help="first clip index (default 0)")
    f.add_argument("--exact", action="store_true",
                   help="render full-size frames and resize them (slow; for checking)")
    f.add_argument("--quiet", action="store_true")
    v = sub.add_parser("videos", help="encoded evaluation videos + labels.csv")
    v.add_argument("--count", type=int, required=True)
    v.add_argument("--seed", type=int, required=True)
    v.add_argument("--out", required=True)
    v.add_argument("--codecs", default="h264,vp9,mpeg4")
    v.add_argument("--workers", type=int, default=2)
    v.add_argument("--start", type=int, default=0)
    v.add_argument("--size", help="WxH for every clip (odd clips turned portrait) instead of random sizes")
    v.add_argument("--duration", type=float, help="seconds for every clip instead of random 2-8 s")
    v.add_argument("--compact", action="store_true", help="stronger compression (small example files)")
    v.add_argument("--actions", default="", help="verb:noun,... to render in turn instead of the seed's order")
    v.add_argument("--quiet", action="store_true")
    q = sub.add_parser("preview", help="PNG contact sheet")
    q.add_argument("--seed", type=int, required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--actions", default="", help="verb:noun,... or all (default: 8 rows, every verb)")
    q.add_argument("--columns", type=int, default=8)
    q.add_argument("--size", type=int, default=160)
    q.add_argument("--full", action="store_true", help="whole frames instead of the square crops")
    a = p.parse_args(argv)
    if a.cmd == "frames":
        cmd_frames(a)
    elif a.cmd == "videos":
        cmd_videos(a)
    else:
        cmd_preview(a)
