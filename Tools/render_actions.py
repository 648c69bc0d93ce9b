#!/usr/bin/env python3
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
import math
import os
import struct
import subprocess
import sys
import time
import zlib

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

VERBS = [(0, "take"), (1, "put"), (3, "open"), (4, "close"),
         (9, "pour"), (11, "move"), (15, "shake"), (23, "turn")]
NOUNS = [(7, "bowl"), (5, "pan"), (13, "cup"), (15, "bottle"),
         (23, "box"), (29, "pot"), (40, "jar"), (44, "kettle")]
VERB_INDEX = {name: i for i, (_, name) in enumerate(VERBS)}
NOUN_INDEX = {name: i for i, (_, name) in enumerate(NOUNS)}

SEED_STRIDE = 1_000_000
F32 = np.float32

# Frame sizes (width, height) of the rendered clips: landscape and portrait.
SIZES = [(320, 240), (426, 240), (640, 360), (480, 270), (384, 216),
         (240, 320), (240, 426), (360, 640), (360, 480)]
SIZE_WEIGHTS = [3, 3, 2, 1, 1, 2, 1, 1, 1]
FPS_CHOICES = [24, 25, 30]
# The acting object's size (in units of the frame's short side) and how many distractor objects
# (other nouns, smaller than the acting one) a clip holds: 0, 1 or 2. 0.7 rather than 0.5: objects held
# near an egocentric camera are large, and at 0.5 a bottle's cap was two pixels wide in the first demo
# model's 64² crops of a 72 short side, too small to tell open from close.
OBJECT_SCALE = 0.7
DISTRACTOR_COUNT_P = [0.5, 0.35, 0.15]
CODECS = {"h264": (".mp4", 0.6), "vp9": (".webm", 0.2), "mpeg4": (".avi", 0.2)}


# ----------------------------------------------------------------------------------------------
# Colour helpers

def hsv(h, s, v):
    """HSV (h in turns) to an RGB float32 array."""
    h = (h % 1.0) * 6.0
    i = int(h) % 6
    f = h - int(h)
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return np.array(rgb, F32)


def shade_col(c, k):
    return np.clip(np.asarray(c, F32) * k, 0, 1).astype(F32)


# ----------------------------------------------------------------------------------------------
# Signed-distance primitives, drawn anti-aliased over the pixel grid of their bounding box.

ELL, RBOX, CAPS, RING = 0, 1, 2, 3


class Prim:
    """One shape primitive in an object's local units.

    kind/p: ELL (cx, cy, rx, ry); RBOX (cx, cy, half width top, half width bottom, half height,
    corner radius); CAPS (ax, ay, bx, by, ra, rb) arrays of K segments; RING (cx, cy, R, half
    thickness). clips: half planes (nx, ny, c) keeping nx*x + ny*y <= c. shade: None or
    (axis 0=x/1=y, centre, half width, highlight position) for a cylinder-like shading.
    """
    __slots__ = ("kind", "p", "clips", "col", "shade", "bbox", "alpha", "soft", "rim", "stripes")

    def __init__(self, kind, p, col, clips=(), shade=None, alpha=1.0, soft=0.0, rim=0.35,
                 stripes=None):
        self.kind = kind
        self.clips = tuple(clips)
        self.col = np.asarray(col, F32)
        self.shade = shade
        self.alpha = alpha
        self.soft = soft
        self.rim = rim
        self.stripes = stripes  # (frequency per local unit, amplitude)
        if kind == CAPS:
            p = [np.asarray(v, F32).reshape(-1, 1, 1) for v in p]
            ax, ay, bx, by, ra, rb = p
            r = np.maximum(ra, rb)
            bb = (float(np.min(np.minimum(ax, bx) - r)), float(np.min(np.minimum(ay, by) - r)),
                  float(np.max(np.maximum(ax, bx) + r)), float(np.max(np.maximum(ay, by) + r)))
        elif kind == ELL:
            cx, cy, rx, ry = p
            bb = (cx - rx, cy - ry, cx + rx, cy + ry)
        elif kind == RBOX:
            cx, cy, hwt, hwb, hh, r = p
            hw = max(hwt, hwb)
            bb = (cx - hw, cy - hh, cx + hw, cy + hh)
        else:
            cx, cy, R, t = p
            bb = (cx - R - t, cy - R - t, cx + R + t, cy + R + t)
        self.p = p
        e = soft * 1.5
        self.bbox = (bb[0] - e, bb[1] - e, bb[2] + e, bb[3] + e)


def sdf(pr, lx, ly):
    k, p = pr.kind, pr.p
    if k == ELL:
        cx, cy, rx, ry = p
        px = (lx - cx) * (1.0 / rx)
        py = (ly - cy) * (1.0 / ry)
        k0 = np.sqrt(px * px + py * py)
        k1 = np.sqrt(px * px * (1.0 / (rx * rx)) + py * py * (1.0 / (ry * ry)))
        d = k0 * (k0 - 1.0) / (k1 + 1e-6)
    elif k == RBOX:
        cx, cy, hwt, hwb, hh, r = p
        y = ly - cy
        if hwt == hwb:
            qx = np.abs(lx - cx) - (hwt - r)
        else:
            qx = np.abs(lx - cx) - ((hwt + hwb) * 0.5 - r) - ((hwb - hwt) / (2 * hh)) * y
        qy = np.abs(y) - (hh - r)
        d = np.sqrt(np.square(np.maximum(qx, 0)) + np.square(np.maximum(qy, 0)))
        d += np.minimum(np.maximum(qx, qy), 0) - r
    elif k == CAPS:
        ax, ay, bx, by, ra, rb = p
        pax = lx[None] - ax
        pay = ly[None] - ay
        bax = bx - ax
        bay = by - ay
        h = np.clip((pax * bax + pay * bay) / (bax * bax + bay * bay + 1e-9), 0, 1)
        dx = pax - bax * h
        dy = pay - bay * h
        d = np.sqrt(dx * dx + dy * dy) - (ra + (rb - ra) * h)
        d = d.min(0) if d.shape[0] > 1 else d[0]
    else:
        cx, cy, R, t = p
        d = np.abs(np.sqrt(np.square(lx - cx) + np.square(ly - cy)) - R) - t
    for nx, ny, c in pr.clips:
        d = np.maximum(d, nx * lx + ny * ly - c)
    return d


class View:
    """Output pixel grid: pixel (i, j) shows scene point (x0 + (j + .5) ps, y0 + (i + .5) ps)."""

    def __init__(self, x0, y0, ps, w, h):
        self.x0, self.y0, self.ps, self.w, self.h = x0, y0, ps, w, h
        self.xs = (x0 + (np.arange(w) + 0.5) * ps).astype(F32)
        self.ys = (y0 + (np.arange(h) + 0.5) * ps).astype(F32)

    def grown(self, m):
        return View(self.x0 - m * self.ps, self.y0 - m * self.ps, self.ps, self.w + 2 * m,
                    self.h + 2 * m)


def affine(tx, ty, ang, scale, mx=1.0):
    """Local -> world: world = t + scale * R(ang) * diag(mx, 1) * local. Returns a 2x3 matrix."""
    c, s = math.cos(ang) * scale, math.sin(ang) * scale
    return np.array([[c * mx, -s, tx], [s * mx, c, ty]], np.float64)


def compose(a, b):
    """a after b (both 2x3)."""
    m = np.eye(3)
    m[:2] = a
    n = np.eye(3)
    n[:2] = b
    return (m @ n)[:2]


def apply_aff(a, x, y):
    return a[0, 0] * x + a[0, 1] * y + a[0, 2], a[1, 0] * x + a[1, 1] * y + a[1, 2]


def draw(canvas, view, cam, prims, A, phase=0.0, opacity=1.0):
    """Composite primitives (local units, local->world affine A) onto canvas (h, w, 3)."""
    det = A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]
    if abs(det) < 1e-12:
        return
    inv = np.linalg.inv(np.vstack([A, [0, 0, 1]]))[:2]
    scale = math.sqrt(abs(det))
    kpx = scale / view.ps  # pixels per local unit
    ps = view.ps
    camx, camy = cam
    bx0 = view.x0 + camx
    by0 = view.y0 + camy
    for pr in prims:
        x0, y0, x1, y1 = pr.bbox
        cx = np.array([x0, x1, x0, x1])
        cy = np.array([y0, y0, y1, y1])
        wx, wy = apply_aff(A, cx, cy)
        j0 = max(int(math.floor((wx.min() - bx0) / ps - 0.5)), 0)
        j1 = min(int(math.ceil((wx.max() - bx0) / ps + 0.5)) + 1, view.w)
        i0 = max(int(math.floor((wy.min() - by0) / ps - 0.5)), 0)
        i1 = min(int(math.ceil((wy.max() - by0) / ps + 0.5)) + 1, view.h)
        if j0 >= j1 or i0 >= i1:
            continue
        gx = view.xs[j0:j1] + F32(camx)
        gy = view.ys[i0:i1] + F32(camy)
        lx = (inv[0, 0] * gx)[None, :] + (inv[0, 1] * gy + inv[0, 2])[:, None]
        ly = (inv[1, 0] * gx)[None, :] + (inv[1, 1] * gy + inv[1, 2])[:, None]
        lx = lx.astype(F32, copy=False)
        ly = ly.astype(F32, copy=False)
        d = sdf(pr, lx, ly)
        keff = 1.0 / (1.0 / kpx + pr.soft)
        a = np.clip(0.5 - d * F32(keff), 0, 1)
        op = pr.alpha * opacity
        if op != 1.0:
            a *= F32(op)
        reg = canvas[i0:i1, j0:j1]
        sh = None
        if pr.shade is not None:
            axis, c0, hw, hl = pr.shade
            u = ((lx if axis == 0 else ly) - c0) * F32(1.0 / hw)
            sh = np.maximum(1.0 - 0.28 * u * u, 0.5) + 0.3 * np.maximum(0, 1 - np.square((u - hl) * 4.0))
        if pr.rim > 0:
            rim = 1.0 - F32(pr.rim) * np.clip(1.0 + d * F32(kpx / 1.4), 0, 1)
            sh = rim if sh is None else sh * rim
        if pr.stripes is not None:
            fr, amp = pr.stripes
            st = 1.0 - F32(amp) * (0.5 + 0.5 * np.sin(lx * F32(2 * math.pi * fr) + F32(phase)))
            sh = st if sh is None else sh * st
        if sh is None:
            reg += a[..., None] * (pr.col - reg)
        else:
            reg += a[..., None] * (pr.col * sh[..., None] - reg)


# ----------------------------------------------------------------------------------------------
# Objects. Local units: base centre at (0, 0), up is -y; the scale S maps to scene pixels.

class Shape:
    def __init__(self, noun, body, lid, h, hw, lid_h, lid_hw, lid_at, grasp, openings, scale):
        self.noun = noun
        self.body = body          # prims
        self.lid = lid            # prims in lid-local units (origin: lid bottom centre)
        self.h, self.hw = h, hw
        self.lid_h, self.lid_hw = lid_h, lid_hw
        self.lid_at = lid_at      # body-local y of the lid origin when closed
        self.grasp = grasp        # body-local grasp point (handle side = +x)
        self.openings = openings  # body-local pour points
        self.nscale = scale       # nominal size factor of the noun
        xs = [p.bbox[0] for p in body] + [p.bbox[2] for p in body]
        ys = [p.bbox[1] for p in body] + [p.bbox[3] for p in body]
        self.extent = (min(xs), min(ys) - lid_h, max(xs), max(ys))


# Colour ranges per noun: (hue centre in turns, hue half range), eight disjoint ranges, so a
# noun's colour family is a real cue, as a brand's bottle or a kitchen's set of pans would be;
# 10% of objects are neutral (white / grey / black) and can only be told by their shape.
NOUN_HUES = {"kettle": (0.00, 0.035), "bowl": (0.08, 0.03), "box": (0.15, 0.03), "bottle": (0.30, 0.05),
             "jar": (0.47, 0.04), "pan": (0.60, 0.04), "pot": (0.75, 0.04), "cup": (0.88, 0.04)}


def object_colour(rng, noun):
    if rng.random() < 0.1:
        return hsv(rng.random(), rng.uniform(0, 0.12), rng.uniform(0.2, 0.95))
    hc, hr = NOUN_HUES[noun]
    return hsv(hc + rng.uniform(-hr, hr), rng.uniform(0.5, 0.9), rng.uniform(0.45, 0.95))


def random_colour(rng):
    return hsv(rng.random(), rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.95))


def make_shape(noun, rng):
    """Build one object of a noun with random colours and slight proportion changes."""
    body_c = object_colour(rng, noun)
    lid_c = shade_col(body_c, rng.uniform(0.75, 1.1)) if rng.random() < 0.5 else random_colour(rng)
    dark = hsv(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.08, 0.3))
    handle_c = dark if rng.random() < 0.6 else shade_col(body_c, 0.8)
    inner_c = shade_col(body_c, 0.4)
    label_c = random_colour(rng)
    jw = rng.uniform(0.9, 1.1)   # width jitter
    jh = rng.uniform(0.9, 1.1)   # height jitter

    def cyl(cx, hw):
        return (0, cx, hw, -0.45)

    B, L = [], []
    if noun == "bowl":
        w, h = 0.55 * jw, 0.42 * jh
        B.append(Prim(ELL, (0, -h, w, h), body_c, clips=[(0, -1, h)], shade=cyl(0, w)))
        B.append(Prim(RBOX, (0, -0.03, 0.2 * jw, 0.17 * jw, 0.03, 0.01), shade_col(body_c, 0.8)))
        B.append(Prim(ELL, (0, -h, w, 0.05), inner_c, rim=0.2))
        L.append(Prim(ELL, (0, 0, w * 0.97, 0.17), lid_c, clips=[(0, 1, 0)], shade=cyl(0, w)))
        L.append(Prim(ELL, (0, -0.19, 0.06, 0.04), shade_col(lid_c, 0.7)))
        shape = Shape(noun, B, L, h, w, 0.23, w, -h, (w * 0.85, -h * 0.6),
                      [(-w, -h), (w, -h)], 1.0)
    elif noun == "pan":
        w, h = 0.47 * jw, 0.2 * jh
        hl = rng.uniform(0.5, 0.65)
        B.append(Prim(CAPS, (w - 0.02, -h * 0.7, w + hl, -h * 0.7 - 0.06, 0.035, 0.04), handle_c,
                      shade=(1, -h * 0.7 - 0.03, 0.05, -0.4)))
        B.append(Prim(RBOX, (0, -h / 2, w, w * 0.85, h / 2, 0.03), body_c, shade=cyl(0, w)))
        B.append(Prim(ELL, (0, -h, w, 0.035), inner_c, rim=0.2))
        L.append(Prim(ELL, (0, 0, w, 0.09), lid_c, clips=[(0, 1, 0)], shade=cyl(0, w)))
        L.append(Prim(ELL, (0, -0.1, 0.06, 0.035), shade_col(lid_c, 0.6)))
        shape = Shape(noun, B, L, h, w, 0.14, w, -h, (w + hl * 0.75, -h * 0.7 - 0.05),
                      [(-w, -h), (w, -h)], 0.78)
    elif noun == "cup":
        w, h = 0.18 * jw, 0.42 * jh
        B.append(Prim(RING, (w, -h * 0.55, 0.1, 0.028), handle_c if rng.random() < 0.3 else body_c,
                      clips=[(-1, 0, -w + 0.01)]))
        B.append(Prim(RBOX, (0, -h / 2, w, w * 0.82, h / 2, 0.03), body_c, shade=cyl(0, w)))
        B.append(Prim(ELL, (0, -h, w, 0.03), inner_c, rim=0.2))
        L.append(Prim(RBOX, (0, -0.035, w + 0.01, w + 0.01, 0.035, 0.015), lid_c, shade=cyl(0, w)))
        L.append(Prim(RBOX, (0, -0.08, w * 0.45, w * 0.55, 0.02, 0.01), shade_col(lid_c, 0.8)))
        shape = Shape(noun, B, L, h, w, 0.1, w + 0.01, -h, (w + 0.1, -h * 0.55),
                      [(-w, -h), (w, -h)], 1.15)
    elif noun == "bottle":
        w, hb = 0.16 * jw, 0.66 * jh
        nh = 0.24 * rng.uniform(0.85, 1.2)
        nw = 0.055 * rng.uniform(0.9, 1.2)
        h = hb + nh
        B.append(Prim(RBOX, (0, -hb / 2, w, w, hb / 2, 0.05), body_c, shade=cyl(0, w)))
        B.append(Prim(ELL, (0, -hb, w, 0.14), body_c, clips=[(0, 1, -hb)], shade=cyl(0, w)))
        B.append(Prim(RBOX, (0, -hb - nh / 2, nw, nw * 1.2, nh / 2, 0.015), body_c, shade=cyl(0, nw)))
        B.append(Prim(RBOX, (0, -hb * 0.45, w + 0.003, w + 0.003, hb * 0.2, 0.0), label_c,
                      shade=cyl(0, w), rim=0.15))
        L.append(Prim(RBOX, (0, -0.05, nw * 1.3, nw * 1.3, 0.05, 0.015), lid_c, stripes=(60, 0.3)))
        shape = Shape(noun, B, L, h, w, 0.1, nw * 1.3, -h, (w * 0.9, -hb * 0.55),
                      [(0, -h)], 1.0)
    elif noun == "box":
        w, h = 0.4 * jw, 0.5 * jh
        B.append(Prim(RBOX, (0, -h / 2, w, w, h / 2, 0.02), body_c, rim=0.45))
        lx = rng.uniform(-0.5, 0.5) * w
        B.append(Prim(RBOX, (lx, -h * rng.uniform(0.3, 0.6), w * 0.35, w * 0.35, h * 0.15, 0.02),
                      label_c, rim=0.15))
        L.append(Prim(RBOX, (0, -0.05, w + 0.02, w + 0.02, 0.05, 0.015), lid_c, rim=0.45))
        shape = Shape(noun, B, L, h, w, 0.1, w + 0.02, -h, (w * 0.95, -h * 0.55),
                      [(-w, -h), (w, -h)], 0.95)
    elif noun == "pot":
        w, h = 0.42 * jw, 0.5 * jh
        hy = -h * 0.82
        B.append(Prim(CAPS, ([w - 0.04, -w + 0.04], [hy, hy], [w + 0.13, -w - 0.13], [hy, hy],
                             0.035, 0.035), handle_c, shade=(1, hy, 0.05, -0.4)))
        B.append(Prim(RBOX, (0, -h / 2, w, w * 0.95, h / 2, 0.05), body_c, shade=cyl(0, w)))
        B.append(Prim(ELL, (0, -h, w, 0.04), inner_c, rim=0.2))
        L.append(Prim(ELL, (0, 0, w + 0.02, 0.12), lid_c, clips=[(0, 1, 0)], shade=cyl(0, w)))
        L.append(Prim(ELL, (0, -0.13, 0.07, 0.04), shade_col(lid_c, 0.6)))
        shape = Shape(noun, B, L, h, w, 0.17, w + 0.02, -h, (w + 0.1, hy),
                      [(-w, -h), (w, -h)], 0.9)
    elif noun == "jar":
        w, hb = 0.27 * jw, 0.41 * jh
        h = hb + 0.05
        B.append(Prim(RBOX, (0, -hb / 2, w, w, hb / 2, 0.07), body_c, shade=cyl(0, w)))
        B.append(Prim(RBOX, (0, -hb - 0.025, w * 0.86, w * 0.86, 0.03, 0.01), body_c, shade=cyl(0, w)))
        if rng.random() < 0.7:
            B.append(Prim(RBOX, (0, -hb * 0.45, w + 0.003, w + 0.003, hb * 0.22, 0), label_c,
                          shade=cyl(0, w), rim=0.15))
        L.append(Prim(RBOX, (0, -0.065, w * 0.97, w * 0.97, 0.065, 0.02), lid_c,
                      shade=cyl(0, w), stripes=(16, 0.35)))
        shape = Shape(noun, B, L, h, w, 0.13, w * 0.97, -h, (w * 0.9, -hb * 0.5),
                      [(-w * 0.86, -h), (w * 0.86, -h)], 1.05)
    elif noun == "kettle":
        wt, wb, h = 0.24 * jw, 0.34 * jw, 0.58 * jh
        B.append(Prim(CAPS, (wb * 0.7, -h * 0.3, wb + 0.17, -h * 0.88, 0.07, 0.03),
                      shade_col(body_c, 0.85)))
        B.append(Prim(RING, (0, -h, 0.22 * jw, 0.035), handle_c, clips=[(0, 1, -h)]))
        B.append(Prim(RBOX, (0, -h / 2, wt, wb, h / 2, 0.08), body_c, shade=cyl(0, wb)))
        B.append(Prim(RBOX, (0, -0.03, wb - 0.01, wb - 0.01, 0.03, 0.01), dark, rim=0.1))
        L.append(Prim(ELL, (0, 0, wt * 0.7, 0.06), lid_c, clips=[(0, 1, 0)], shade=cyl(0, wt)))
        L.append(Prim(ELL, (0, -0.07, 0.04, 0.03), shade_col(lid_c, 0.6)))
        shape = Shape(noun, B, L, h, wb, 0.1, wt * 0.7, -h, (0, -h - 0.22 * jw),
                      [(wb + 0.17, -h * 0.9)], 1.0)
    else:
        raise ValueError(noun)
    return shape


# ----------------------------------------------------------------------------------------------
# Hand: a sleeve, a forearm, a palm, four fingers and a thumb. Hand-local units are the hand
# length L; origin at the wrist, +x towards the fingers, +y to the thumb side.


def make_hand(rng):
    h = rng.uniform(0.02, 0.1)
    s = rng.uniform(0.25, 0.6)
    v = rng.uniform(0.35, 0.95)
    skin = hsv(h, s, v)
    if rng.random() < 0.12:  # gloves
        skin = random_colour(rng)
    sleeve = random_colour(rng)
    return dict(skin=skin, sleeve=sleeve, size=rng.uniform(0.85, 1.2),
                width=rng.uniform(0.85, 1.15), sleeve_at=rng.uniform(0.8, 2.5))


def hand_prims(hand, curl):
    """Palm, fingers and thumb; curl 0 = open hand, 1 = closed around an object."""
    skin, w = hand["skin"], hand["width"]
    fl = np.array([0.3, 0.38, 0.36, 0.28]) * (1 - 0.45 * curl)
    fy = np.array([-0.22, -0.075, 0.075, 0.21]) * w
    fx0 = np.full(4, 0.6)
    tip_x = fx0 + fl
    tip_y = fy * (1.08 - 0.1 * curl)
    tx1 = 0.5 + 0.14 * (1 - curl)
    ty1 = (0.36 - 0.12 * curl) * w
    fingers = Prim(CAPS, (np.r_[fx0, 0.22], np.r_[fy, 0.18 * w], np.r_[tip_x, tx1],
                          np.r_[tip_y, ty1], np.r_[np.full(4, 0.085 * w), 0.095 * w],
                          np.r_[np.full(4, 0.075 * w), 0.085 * w]), skin, rim=0.3)
    palm = Prim(ELL, (0.36, 0, 0.36, 0.31 * w), skin, shade=(1, 0, 0.31 * w, -0.3))
    return [palm, fingers]


def arm_prims(hand, arm_len):
    """Forearm from the wrist back to the shoulder and a sleeve over its far part."""
    w = hand["width"]
    arm = Prim(CAPS, (0.0, 0.0, -arm_len, 0.0, 0.22 * w, 0.32 * w), hand["skin"],
               shade=(1, 0, 0.25 * w, -0.3))
    sa = hand["sleeve_at"]
    sleeve = Prim(CAPS, (-sa, 0.0, -arm_len - 1, 0.0, 0.36 * w, 0.4 * w), hand["sleeve"],
                  shade=(1, 0, 0.38 * w, -0.3))
    return [arm, sleeve]


# ----------------------------------------------------------------------------------------------
# Backgrounds: value noise on lattices fixed in scene units, resampled (anti-aliased) to a view.

def resample_matrix(out_pos, out_step, lat0, lat_step, n):
    pos = (np.asarray(out_pos, np.float64) - lat0) / lat_step
    hw = max(1.0, out_step / lat_step)
    w = np.maximum(0.0, 1.0 - np.abs(pos[:, None] - np.arange(n)[None, :]) / hw)
    s = w.sum(1, keepdims=True)
    s[s == 0] = 1
    return (w / s).astype(F32)


class Lattice:
    """Random lattice values over the scene (plus padding), sampled at view pixels."""

    def __init__(self, vals, x0, y0, cx, cy):
        self.vals, self.x0, self.y0, self.cx, self.cy = vals.astype(F32), x0, y0, cx, cy

    @staticmethod
    def noise(rng, W, H, pad, cx, cy=None, binary=None):
        cy = cx if cy is None else cy
        nx = int(math.ceil((W + 2 * pad) / cx)) + 3
        ny = int(math.ceil((H + 2 * pad) / cy)) + 3
        v = rng.standard_normal((ny, nx)) if binary is None else (rng.random((ny, nx)) < binary)
        return Lattice(v.astype(F32), -pad - cx, -pad - cy, cx, cy)

    def sample(self, view):
        mx = resample_matrix(view.xs, view.ps, self.x0, self.cx, self.vals.shape[1])
        my = resample_matrix(view.ys, view.ps, self.y0, self.cy, self.vals.shape[0])
        return my @ self.vals @ mx.T


def smooth_step_edge(dist, width_px, ps):
    """1 inside a line of half width `width_px` scene units around dist=0, anti-aliased."""
    return np.clip(0.5 - (np.abs(dist) - width_px) / ps, 0, 1)


def make_background(rng, W, H, U):
    """Draw all random parameters of a counter background; returns a function of a view."""
    pad = 0.15 * U + 8
    kind = rng.choice(["wood", "tiles", "speckle", "steel", "plain"], p=[0.3, 0.25, 0.25, 0.1, 0.1])
    layers = []
    if kind == "wood":
        base = hsv(rng.uniform(0.04, 0.12), rng.uniform(0.3, 0.75), rng.uniform(0.3, 0.9)) \
            if rng.random() < 0.85 else random_colour(rng)
        vertical = rng.random() < 0.5
        pw = U * rng.uniform(0.12, 0.4)
        ring = U * rng.uniform(0.012, 0.04)
        streak = Lattice.noise(rng, W, H, pad, *((0.004 * U, 0.3 * U) if vertical else (0.3 * U, 0.004 * U)))
        warp = Lattice.noise(rng, W, H, pad, 0.12 * U)
        offs = rng.uniform(-0.15, 0.15, 64).astype(F32)
        phase = rng.uniform(0, 100)

        def render(view):
            X, Y = view.xs[None, :], view.ys[:, None]
            v = (X if vertical else Y) + np.zeros((view.h, view.w), F32)
            idx = np.floor((v + pad) / pw).astype(np.int64)
            plank = offs[idx % 64]
            rings = np.sin((v / ring + 2.5 * warp.sample(view) + idx * 7.3 + phase) * 2 * math.pi)
            t = 1 + 0.07 * streak.sample(view) + 0.07 * rings + plank
            seam = smooth_step_edge(((v + pad) % pw) - pw / 2, pw / 2 - 0.004 * U, view.ps)
            t = t * (1 - 0.45 * (1 - seam))
            return base * t[..., None]
        layers.append(render)
    elif kind == "tiles":
        base = random_colour(rng)
        grout = hsv(rng.random(), rng.uniform(0, 0.2), rng.choice([rng.uniform(0.1, 0.3), rng.uniform(0.7, 0.95)]))
        ts = U * rng.uniform(0.08, 0.28)
        aspect = 1.0 if rng.random() < 0.6 else rng.choice([0.5, 2.0])
        tw, th = ts * aspect, ts
        gw = ts * rng.uniform(0.03, 0.08)
        brick = rng.random() < 0.3
        jitter = rng.uniform(-0.08, 0.08, (64, 64)).astype(F32)
        tint = Lattice.noise(rng, W, H, pad, 0.05 * U)
        ox, oy = rng.uniform(0, tw), rng.uniform(0, th)

        def render(view):
            X = view.xs[None, :] + F32(ox)
            Y = view.ys[:, None] + F32(oy)
            row = np.floor(Y / th)
            Xs = X + (row % 2) * F32(tw / 2) if brick else X + 0 * Y
            col = np.floor(Xs / tw)
            fx = Xs - col * tw
            fy = Y - row * th + 0 * Xs
            dist = np.minimum(np.minimum(fx, tw - fx), np.minimum(fy, th - fy))
            g = np.clip(0.5 - (dist - gw / 2) / view.ps, 0, 1)
            j = jitter[row.astype(np.int64) % 64, col.astype(np.int64) % 64]
            t = (1 + j + 0.04 * tint.sample(view))[..., None] * base
            return t + g[..., None] * (grout - t)
        layers.append(render)
    elif kind in ("speckle", "plain"):
        base = random_colour(rng) if rng.random() < 0.7 else hsv(rng.random(), rng.uniform(0, 0.15), rng.uniform(0.15, 0.95))
        low = Lattice.noise(rng, W, H, pad, 0.12 * U)
        mid = Lattice.noise(rng, W, H, pad, 0.03 * U)
        specks = []
        if kind == "speckle":
            for _ in range(rng.integers(1, 4)):
                specks.append((Lattice.noise(rng, W, H, pad, U * rng.uniform(0.004, 0.012),
                                             binary=rng.uniform(0.05, 0.3)),
                               random_colour(rng), rng.uniform(0.4, 1.0)))
        amp = rng.uniform(0.03, 0.12)

        def render(view):
            t = (1 + amp * low.sample(view) + 0.4 * amp * mid.sample(view))[..., None] * base
            for lat, c, s in specks:
                m = lat.sample(view)[..., None] * F32(s)
                t = t + m * (c - t)
            return t
        layers.append(render)
    else:  # brushed steel
        base = hsv(rng.random(), rng.uniform(0, 0.1), rng.uniform(0.45, 0.85))
        brush = Lattice.noise(rng, W, H, pad, 0.35 * U, 0.003 * U)
        low = Lattice.noise(rng, W, H, pad, 0.2 * U)

        def render(view):
            t = 1 + 0.06 * brush.sample(view) + 0.08 * low.sample(view)
            return base * t[..., None]
        layers.append(render)

    wall = None
    if rng.random() < 0.35:
        wall_y = H * rng.uniform(0.0, 0.18) + 0.02 * U
        wall_c = random_colour(rng) if rng.random() < 0.5 else hsv(rng.random(), rng.uniform(0, 0.2), rng.uniform(0.6, 0.95))
        wtile = U * rng.uniform(0.06, 0.15) if rng.random() < 0.5 else None
        lip_c = shade_col(wall_c, rng.uniform(0.4, 0.7)) if rng.random() < 0.5 else random_colour(rng)
        wall = (wall_y, wall_c, wtile, lip_c)

    def render_all(view):
        img = layers[0](view).astype(F32)
        if wall is not None:
            wy, wc, wt, lc = wall
            Y = view.ys[:, None] + 0 * view.xs[None, :]
            t = np.ones_like(Y) * 0.95
            if wt is not None:
                X = view.xs[None, :] + 0 * Y
                dx = np.minimum(X % wt, wt - X % wt)
                dy = np.minimum(Y % wt, wt - Y % wt)
                t = t - 0.3 * np.clip(0.5 - (np.minimum(dx, dy) - 0.04 * wt) / view.ps, 0, 1)
            m = np.clip(0.5 - (Y - wy) / view.ps, 0, 1)[..., None]
            img = img + m * (wc * t[..., None] - img)
            lip = np.clip(0.5 - (np.abs(Y - wy - 0.008 * U) - 0.008 * U) / view.ps, 0, 1)[..., None]
            img = img + lip * (lc - img)
        return np.clip(img, 0, 1)
    return render_all, kind


def make_lighting(rng, W, H, U):
    gain = rng.uniform(0.65, 1.3)
    ang = rng.uniform(0, 2 * math.pi)
    grad = rng.uniform(0, 0.35)
    cast = np.exp(rng.normal(0, 0.07, 3)).astype(F32)
    vign = rng.uniform(0, 0.35)
    spot = (rng.uniform(0, W), rng.uniform(0, H), U * rng.uniform(0.3, 0.8), rng.uniform(0, 0.3)) \
        if rng.random() < 0.4 else None

    def render(view):
        X = view.xs[None, :]
        Y = view.ys[:, None]
        g = ((X - W / 2) * math.cos(ang) + (Y - H / 2) * math.sin(ang)) / U
        L = 1 + grad * g
        r2 = (np.square((X - W / 2) / (W / 2)) + np.square((Y - H / 2) / (H / 2))) / 2
        L = L * (1 - vign * r2)
        if spot is not None:
            sx, sy, sr, sa = spot
            L = L + sa * np.exp(-(np.square(X - sx) + np.square(Y - sy)) / (2 * sr * sr))
        return (np.maximum(L, 0.2) * gain)[..., None].astype(F32) * cast
    return render


# ----------------------------------------------------------------------------------------------
# Action scripts: keyframed tracks over the action's progress u in [0, 1], eased per phase.

class Script:
    def __init__(self, **init):
        self.keys = {k: [float(v)] for k, v in init.items()}
        self.durs = []

    def phase(self, dur, **vals):
        self.durs.append(float(dur))
        for k, ks in self.keys.items():
            ks.append(float(vals[k]) if k in vals else ks[-1])
        return len(self.durs) - 1

    def bounds(self):
        b = np.concatenate([[0.0], np.cumsum(self.durs)])
        return b / b[-1]

    def evaluate(self, u):
        b = self.bounds()
        u = np.clip(np.asarray(u, np.float64), 0, 1)
        p = np.clip(np.searchsorted(b, u, side="right") - 1, 0, len(self.durs) - 1)
        s = (u - b[p]) / np.maximum(b[p + 1] - b[p], 1e-9)
        s = np.clip(s, 0, 1)
        s = s * s * (3 - 2 * s)
        out = {}
        for k, ks in self.keys.items():
            ks = np.asarray(ks)
            out[k] = ks[p] + (ks[p + 1] - ks[p]) * s
        return out


def ray_exit(px, py, dx, dy, W, H):
    """Distance from (px, py) along (dx, dy) to leave the W x H frame."""
    t = []
    if dx > 1e-6:
        t.append((W - px) / dx)
    if dx < -1e-6:
        t.append(-px / dx)
    if dy > 1e-6:
        t.append((H - py) / dy)
    if dy < -1e-6:
        t.append(-py / dy)
    return max(0.0, min(t)) if t else 0.0


class Clip:
    """All parameters of one clip, drawn from its seed; render(view, frame_indices)."""

    def __init__(self, clip_seed, verb, noun, size=None, fps=None, duration=None):
        rng = np.random.default_rng([clip_seed, 0])
        self.seed = clip_seed
        self.verb, self.noun = verb, noun
        vname, nname = VERBS[verb][1], NOUNS[noun][1]
        self.vname, self.nname = vname, nname
        sizes_p = np.array(SIZE_WEIGHTS, float) / sum(SIZE_WEIGHTS)
        W, H = SIZES[rng.choice(len(SIZES), p=sizes_p)]
        fr = FPS_CHOICES[rng.integers(len(FPS_CHOICES))]
        dur = rng.uniform(2.0, 8.0)
        if size is not None:
            W, H = size
        if fps is not None:
            fr = fps
        if duration is not None:
            dur = duration
        self.W, self.H, self.fps = W, H, fr
        self.nframes = max(int(round(dur * fr)), 8)
        self.duration = self.nframes / fr
        U = min(W, H)
        self.U = U
        cx0, cy0 = W / 2, H / 2
        f0 = rng.uniform(0, 0.3)
        fl = min(rng.uniform(0.5, 0.9), 0.985 - f0)
        self.action = (f0, f0 + fl)

        self.background, self.bg_kind = make_background(rng, W, H, U)
        self.lighting = make_lighting(rng, W, H, U)
        self.noise_sigma = rng.uniform(0, 6) / 255.0
        self.blur = rng.uniform(0.0, 0.25) if rng.random() < 0.6 else 0.0

        # Camera: AR(1) jitter plus a slow drift; scene offsets in pixels of the full frame.
        n = self.nframes
        jit = rng.uniform(0.0, 0.006) * U
        a = rng.uniform(0.3, 0.9)
        e = rng.standard_normal((n, 2)) * jit
        cam = np.zeros((n, 2))
        for i in range(1, n):
            cam[i] = a * cam[i - 1] + e[i]
        drift = rng.uniform(-0.03, 0.03, 2) * U
        ph = rng.uniform(0, 2 * math.pi)
        tt = np.arange(n) / max(n - 1, 1)
        cam += drift[None, :] * (np.sin(tt * math.pi + ph) - math.sin(ph))[:, None] * 0.7
        self.max_cam = 0.06 * U
        self.cam = np.clip(cam, -self.max_cam, self.max_cam)

        # The acting object.
        shape = make_shape(nname, rng)
        S = U * OBJECT_SCALE * shape.nscale * rng.uniform(0.8, 1.2)
        self.shape, self.S = shape, S
        hand = make_hand(rng)
        self.hand = hand
        self.L = U * 0.17 * hand["size"]

        # Hand entry direction (unit vector from the object towards the shoulder).
        r = rng.random()
        if r < 0.6:
            phi = rng.uniform(math.radians(50), math.radians(130))
        elif r < 0.8:
            phi = rng.uniform(math.radians(-35), math.radians(40))
        else:
            phi = rng.uniform(math.radians(140), math.radians(215))
        dout = np.array([math.cos(phi), math.sin(phi)])
        side = 1.0 if dout[0] > 0.15 else (-1.0 if dout[0] < -0.15 else rng.choice([-1.0, 1.0]))
        self.side = side
        mx = side
        if nname == "kettle":
            mx = rng.choice([-1.0, 1.0])
        self.mx = mx

        # Rest position of the object (base centre) inside the central square.
        bx = cx0 + U * rng.uniform(-0.15, 0.15)
        by = cy0 + U * rng.uniform(0.05, 0.28)
        ex0, ex1 = self.x_extent(shape, mx, S)
        bx = min(max(bx, cx0 - 0.47 * U - ex0), cx0 + 0.47 * U - ex1) if ex1 - ex0 < 0.94 * U else cx0
        top = by - S * (shape.h + shape.lid_h)
        if top < cy0 - 0.45 * U:
            by += (cy0 - 0.45 * U) - top
        by = min(by, cy0 + 0.45 * U)
        self.rest = (bx, by)

        # Lid state.
        aside_side = -side if rng.random() < 0.7 else side
        if abs((bx + aside_side * S * 1.5) - cx0) > 0.42 * U:
            aside_side = -aside_side
        self.aside = (aside_side * (shape.hw + shape.lid_hw + rng.uniform(0.06, 0.2)), -shape.lid_at)
        hinge = nname == "box" and vname in ("open", "close") and rng.random() < 0.5
        self.hinge = hinge
        if vname in ("open",):
            lid_state = "on"
        elif vname == "close":
            lid_state = "aside"
        elif vname == "pour":
            lid_state = ("on" if rng.random() < 0.7 else "aside") if nname == "kettle" else \
                ("aside" if rng.random() < 0.5 else "off")
        else:
            lid_state = rng.choice(["on", "aside", "off"], p=[0.6, 0.2, 0.2])
        self.lid_state = lid_state

        self._build_script(rng, dout, bx, by)
        self.lid_static = lid_state == "aside" and vname not in ("open", "close")
        one = np.ones(1)
        self.rest_affine = self.body_affine(dict(ox=one * bx, gy=one * by, lift=one * 0, th=one * 0,
                                                 zoom=one), 0)

        # Distractors: other nouns, static (baked into the background) or slowly moving.
        self.distractors = []
        others = [k for k in range(len(NOUNS)) if k != noun]
        nd = rng.choice(3, p=DISTRACTOR_COUNT_P)
        occupied = self.occupied
        for _ in range(nd):
            k = others[rng.integers(len(others))]
            ds = make_shape(NOUNS[k][1], rng)
            dS = U * OBJECT_SCALE * ds.nscale * rng.uniform(0.5, 0.8)
            for _try in range(12):
                dx = rng.uniform(-0.1 * W, 1.1 * W)
                dy = rng.uniform(0.25 * H, 1.05 * H)
                x0 = dx + ds.extent[0] * dS
                x1 = dx + ds.extent[2] * dS
                y0 = dy + ds.extent[1] * dS
                y1 = dy
                if x1 < 0 or x0 > W or y1 < 0 or y0 > H:
                    continue
                if any(not (x1 < ox0 or x0 > ox1 or y1 < oy0 or y0 > oy1) for ox0, oy0, ox1, oy1 in occupied):
                    continue
                occupied.append((x0, y0, x1, y1))
                moving = rng.random() < 0.35
                vel = rng.uniform(-0.06, 0.06, 2) * U if moving else np.zeros(2)
                dmx = rng.choice([-1.0, 1.0])
                lid = rng.random() < 0.6
                dang = rng.normal(0, 0.05)
                self.distractors.append(dict(shape=ds, S=dS, pos=(dx, dy), vel=vel, mx=dmx,
                                             lid=lid, ang=dang, moving=moving))
                break

    @staticmethod
    def x_extent(shape, mx, S):
        a, b = shape.extent[0] * mx * S, shape.extent[2] * mx * S
        return min(a, b), max(a, b)

    # -- scripts -------------------------------------------------------------------------------
    def _build_script(self, rng, dout, bx, by):
        sh, S, U, W, H = self.shape, self.S, self.U, self.W, self.H
        v = self.vname
        lid0 = (0.0, 0.0) if self.lid_state == "on" else self.aside
        sc = Script(ox=bx, gy=by, lift=0, th=0, zoom=1, lx=lid0[0], ly=lid0[1], lth=0, ltw=0,
                    ha=0, curl=0, hrot=0, hinge=0)
        R = lambda a, b: rng.uniform(a, b)  # noqa: E731
        self.target = "body"
        self.grasp = (sh.grasp[0], sh.grasp[1])
        self.flow = None
        self.shake = None
        self.pour_dir = 0.0
        extent = max(sh.extent[2] - sh.extent[0], sh.extent[3] - sh.extent[1]) * S

        def reach():
            sc.phase(R(0.15, 0.28), ha=1)
            sc.phase(R(0.05, 0.1), curl=1)

        def retreat():
            sc.phase(R(0.05, 0.1), curl=0)
            sc.phase(R(0.15, 0.28), ha=0, hrot=0)

        a = R(-0.4, 0.4)
        exit_dir = np.array([dout[0] * math.cos(a) - dout[1] * math.sin(a),
                             dout[0] * math.sin(a) + dout[1] * math.cos(a)])
        occupied = [(bx + sh.extent[0] * S - 0.05 * U, by + sh.extent[1] * S - 0.05 * U,
                     bx + sh.extent[2] * S + 0.05 * U, by + 0.05 * U)]
        if v in ("take", "put"):
            dexit = ray_exit(bx, by - sh.h * S / 2, exit_dir[0], exit_dir[1], W, H) + extent * 1.3 + self.L
            lift = R(0.15, 0.5) * sh.h * S
            zoom = R(0.75, 0.95) if rng.random() < 0.3 else 1.0
            far = dict(ox=bx + exit_dir[0] * dexit, gy=by + exit_dir[1] * dexit, lift=lift, zoom=zoom)
            if v == "take":
                reach()
                sc.phase(R(0.08, 0.15), lift=lift)
                sc.phase(R(0.3, 0.5), **{k: far[k] for k in ("ox", "gy", "zoom")})
            else:
                for k, val in far.items():
                    sc.keys[k][0] = val
                sc.keys["ha"][0] = 1
                sc.keys["curl"][0] = 1
                sc.phase(R(0.3, 0.5), ox=bx, gy=by, zoom=1)
                sc.phase(R(0.08, 0.15), lift=0)
                retreat()
        elif v in ("open", "close"):
            self.target = "lid"
            twist = self.nname in ("jar", "bottle")
            lift = R(0.15, 0.35) * sh.h + sh.lid_h  # body-local units
            ax, ay = self.aside
            if self.hinge:
                hs = -self.side if rng.random() < 0.7 else self.side
                self.hinge_side = hs  # hinge at this side of the lid (+x world side)
                ang = R(95, 140)
                self.grasp = (-hs * sh.lid_hw * 0.8 * self.mx, -sh.lid_h * 0.5)
                sc.keys["lx"][0] = 0
                sc.keys["ly"][0] = 0
                if v == "open":
                    reach()
                    sc.phase(R(0.3, 0.45), hinge=ang)
                    retreat()
                else:
                    sc.keys["hinge"][0] = ang
                    reach()
                    sc.phase(R(0.3, 0.45), hinge=0)
                    retreat()
            else:
                self.grasp = (0.0, -sh.lid_h * 0.55)
                if v == "open":
                    reach()
                    if twist:
                        sc.phase(R(0.1, 0.2), ltw=R(2, 4) * (1 if rng.random() < 0.5 else -1),
                                 hrot=R(0.3, 0.6) * rng.choice([-1, 1]))
                    sc.phase(R(0.08, 0.15), ly=-lift, hrot=0)
                    sc.phase(R(0.12, 0.2), lx=ax, ly=-lift * R(0.6, 1.0))
                    sc.phase(R(0.08, 0.15), ly=ay)
                    retreat()
                else:
                    reach()
                    sc.phase(R(0.08, 0.15), ly=-lift * R(0.6, 1.0))
                    sc.phase(R(0.12, 0.2), lx=0, ly=-lift)
                    sc.phase(R(0.08, 0.15), ly=0)
                    if twist:
                        sc.phase(R(0.1, 0.2), ltw=R(2, 4) * (1 if rng.random() < 0.5 else -1),
                                 hrot=R(0.3, 0.6) * rng.choice([-1, 1]))
                        sc.phase(0.03, hrot=0)
                    retreat()
            occupied.append((bx + ax * S - sh.lid_hw * S - 0.03 * U, by - sh.lid_h * S - 0.03 * U,
                             bx + ax * S + sh.lid_hw * S + 0.03 * U, by + 0.03 * U))
        elif v == "pour":
            if self.nname == "kettle":
                sp = self.mx
            elif self.nname == "bottle":
                sp = rng.choice([-1.0, 1.0])
            else:
                sp = -self.side if rng.random() < 0.8 else self.side
            shift_mag = R(0.05, 0.2) * U
            reach_out = sh.h * S * 0.6 + 0.04 * U

            def spot(sgn):
                return bx + sgn * (shift_mag + reach_out)
            if abs(spot(sp) - W / 2) > 0.4 * U:
                sp = -sp
                if self.nname == "kettle":
                    self.mx = -self.mx
            if abs(spot(sp) - W / 2) > 0.4 * U:
                shift_mag = max(0.0, 0.4 * U - abs(bx + sp * reach_out - W / 2))
            self.pour_dir = sp
            ang = sp * math.radians(R(75, 115))
            lift = R(0.3, 0.7) * sh.h * S + 0.05 * U
            reach()
            sc.phase(R(0.08, 0.15), lift=lift, ox=bx + sp * shift_mag)
            i_tilt = sc.phase(R(0.1, 0.18), th=ang)
            sc.phase(R(0.15, 0.35))
            i_back = sc.phase(R(0.08, 0.15), th=0)
            sc.phase(R(0.08, 0.15), lift=0, ox=bx)
            retreat()
            b = sc.bounds()
            on = b[i_tilt] + 0.55 * (b[i_tilt + 1] - b[i_tilt])
            off = b[i_back] + 0.45 * (b[i_back + 1] - b[i_back])
            op = max(sh.openings, key=lambda o: o[0] * self.mx * sp)
            self.flow = dict(on=on, off=off, opening=op)
            p_particles = {"box": 0.6, "jar": 0.5, "bowl": 0.25, "cup": 0.15}.get(self.nname, 0.0)
            liquid = rng.random() >= p_particles
            if liquid:
                col = [hsv(0.55, 0.3, 0.95), hsv(0.1, 0.05, 0.97), hsv(0.08, 0.9, 0.95),
                       hsv(0.07, 0.8, 0.35), hsv(0.14, 0.8, 0.9), hsv(0.95, 0.8, 0.5)][rng.integers(6)]
            else:
                col = [hsv(0.1, 0.1, 0.95), hsv(0.09, 0.6, 0.75), hsv(0.05, 0.6, 0.3),
                       hsv(0.3, 0.6, 0.5)][rng.integers(4)]
            self.flow.update(liquid=liquid, col=col, width=R(0.015, 0.035) * U,
                             speed=R(0.15, 0.5) * U, g=R(6, 10) * U, alpha=R(0.75, 0.95))
            # the liquid lands in a receiving container or on the counter
            one = np.ones(1)
            st = dict(ox=one * (bx + sp * shift_mag), gy=one * by, lift=one * lift, th=one * ang, zoom=one)
            A = self.body_affine(st, 0)
            ex, ey = apply_aff(A, op[0], op[1])
            self.flow["container"] = None
            land = max(by + R(0.0, 0.08) * U, ey + 0.08 * U)
            if rng.random() < 0.75:
                ck = [k for k in ("bowl", "pot", "pan", "cup", "jar") if k != self.nname]
                cs = make_shape(ck[rng.integers(len(ck))], rng)
                cS = U * 0.36 * cs.nscale * R(0.7, 1.0)
                cyb = max(by + R(0.0, 0.1) * U, ey + cs.h * cS + 0.08 * U)
                cxp = ex + sp * R(0.03, 0.08) * U
                c0, c1 = cxp + cs.extent[0] * cS, cxp + cs.extent[2] * cS
                r0, r1 = self.x_extent(sh, self.mx, S)
                clear = c1 < bx + r0 + 0.03 * U or c0 > bx + r1 - 0.03 * U
                if cyb < H / 2 + 0.5 * U and clear:
                    self.flow["container"] = dict(shape=cs, S=cS, pos=(cxp, cyb), vel=np.zeros(2),
                                                  mx=rng.choice([-1.0, 1.0]), lid=False, ang=0.0,
                                                  moving=False)
                    land = cyb - cs.h * cS * 0.9
                    occupied.append((cxp + cs.extent[0] * cS, cyb - cs.h * cS, cxp + cs.extent[2] * cS, cyb))
            self.flow["land"] = land
            occupied.append((ex - 0.1 * U, ey, ex + 0.1 * U, land))
            occupied.append((bx - 0.2 * U + min(0, sp) * shift_mag, by - lift - sh.h * S - 0.1 * U,
                             bx + 0.2 * U + max(0, sp) * shift_mag, by))
        elif v == "move":
            e0, e1 = self.x_extent(sh, self.mx, S)
            lo, hi = W / 2 - 0.55 * U - e0, W / 2 + 0.55 * U - e1  # allowed base x range
            mag = R(0.22, 0.42) * U
            room_r, room_l = hi - bx, bx - lo
            sgn = rng.choice([-1.0, 1.0])
            if (room_r if sgn > 0 else room_l) < mag:
                sgn = -sgn
            room = room_r if sgn > 0 else room_l
            dx = sgn * max(min(mag, room), 0.2 * U)
            dy = R(-0.08, 0.08) * U
            reach()
            sc.phase(R(0.25, 0.45), ox=bx + dx, gy=by + dy, lift=R(0, 0.03) * U)
            sc.phase(0.03, lift=0)
            retreat()
            occupied.append((bx + dx + sh.extent[0] * S - 0.05 * U, by + dy + sh.extent[1] * S - 0.05 * U,
                             bx + dx + sh.extent[2] * S + 0.05 * U, by + dy + 0.05 * U))
            occupied.append((min(bx, bx + dx) - 0.1 * U, by - 0.2 * U, max(bx, bx + dx) + 0.1 * U, by + 0.1 * U))
        elif v == "shake":
            lift = R(0.15, 0.5) * sh.h * S + 0.02 * U
            reach()
            sc.phase(R(0.08, 0.15), lift=lift)
            i = sc.phase(R(0.35, 0.55))
            sc.phase(R(0.08, 0.15), lift=0)
            retreat()
            b = sc.bounds()
            kind = rng.random()
            ang = 0.0 if kind < 0.5 else (math.pi / 2 if kind < 0.75 else rng.uniform(0, math.pi))
            self.shake = dict(t0=b[i], t1=b[i + 1], cycles=R(3, 5.5),
                              amp=R(0.07, 0.15) * U, dir=(math.cos(ang), math.sin(ang)),
                              rot=math.radians(R(5, 25)), ph=R(0, 2 * math.pi))
            occupied.append((bx - 0.35 * U, by - 0.4 * U - lift, bx + 0.35 * U, by + 0.1 * U))
        elif v == "turn":
            self.grasp = (0.0, -sh.h * 0.5)
            ang = math.radians(R(90, 270)) * rng.choice([-1, 1])
            reach()
            sc.phase(R(0.3, 0.5), th=ang, hrot=ang * R(0.3, 0.6))
            retreat()
            occupied.append((bx - extent * 0.7, by - sh.h * S / 2 - extent * 0.7,
                             bx + extent * 0.7, by - sh.h * S / 2 + extent * 0.7))
        # hand off-screen vector and shoulder
        self.script = sc
        self.dout = dout
        self.occupied = occupied
        gx, gy = bx, by - sh.h * S / 2
        d_off = ray_exit(gx, gy, dout[0], dout[1], W, H) + self.L * 1.6 + 0.1 * U
        self.d_off = d_off
        self.shoulder = (gx + dout[0] * (d_off + 0.6 * U), gy + dout[1] * (d_off + 0.6 * U))

    # -- per-frame state ---------------------------------------------------------------------
    def states(self, frame_idx):
        t = np.asarray(frame_idx, np.float64) / self.fps
        f0, f1 = self.action
        u = (t / self.duration - f0) / (f1 - f0)
        st = self.script.evaluate(u)
        st["u"] = u
        st["t"] = t
        if self.shake is not None:
            sk = self.shake
            s = np.clip((u - sk["t0"]) / (sk["t1"] - sk["t0"]), 0, 1)
            env = np.minimum(1, np.minimum(s, 1 - s) * 8)
            osc = np.sin(2 * math.pi * sk["cycles"] * s + sk["ph"]) * env
            st["ox"] = st["ox"] + osc * sk["amp"] * sk["dir"][0]
            st["gy"] = st["gy"] + osc * sk["amp"] * sk["dir"][1]
            st["th"] = st["th"] + np.sin(2 * math.pi * sk["cycles"] * s + sk["ph"] + 1.0) * env * sk["rot"]
        return st

    def body_affine(self, st, i):
        sh, S = self.shape, self.S * float(st["zoom"][i])
        bx = float(st["ox"][i])
        by = float(st["gy"][i] - st["lift"][i])
        th = float(st["th"][i])
        # rotate about the body centre
        cx, cy = bx, by - sh.h * S / 2
        A = affine(cx, cy, th, S, self.mx)
        return compose(A, np.array([[1, 0, 0], [0, 1, sh.h / 2]], np.float64))

    def lid_affine(self, st, i, A_body):
        sh = self.shape
        if self.hinge:
            ang = math.radians(float(st["hinge"][i]))
            hs = self.hinge_side * self.mx  # hinge side in body-local x
            hx, hy = hs * sh.lid_hw, sh.lid_at
            # lid origin rotates about the hinge point at its bottom corner
            rot = -hs * ang
            c, s = math.cos(rot), math.sin(rot)
            ox, oy = 0 - hx, 0.0
            L = np.array([[c, -s, hx + c * ox - s * oy], [s, c, hy + s * ox + c * oy]])
            return compose(A_body, L)
        lx, ly = float(st["lx"][i]), float(st["ly"][i])
        if self.lid_static:
            A_body = self.rest_affine
        L = np.array([[1, 0, lx * self.mx], [0, 1, sh.lid_at + ly]], np.float64)
        return compose(A_body, L)

    # -- rendering ---------------------------------------------------------------------------
    def render(self, view, frame_idx, noise=True):
        """Yield float32 (h, w, 3) frames in [0, 1] for the given frame indices."""
        m = int(math.ceil(self.max_cam / view.ps)) + 2
        bview = view.grown(m)
        bg = self.background(bview).astype(F32)
        zero = (0.0, 0.0)
        statics = [d for d in self.distractors if not d["moving"]]
        if self.flow is not None and self.flow["container"] is not None:
            statics.append(self.flow["container"])
        for d in statics:
            self._draw_distractor(bg, bview, zero, d, 0.0)
        light = self.lighting(view)
        moving = [d for d in self.distractors if d["moving"]]
        st = self.states(frame_idx)
        nrng = np.random.default_rng([self.seed, 1, int(round(view.ps * 1000))])
        sigma = self.noise_sigma * min(1.0, 1.0 / view.ps) ** 0.5 if noise else 0.0
        bank = noise_bank(view.h, view.w) if sigma > 0 else None
        blur = F32(self.blur * min(1.0, 1.0 / view.ps))
        for i, fi in enumerate(frame_idx):
            cx, cy = self.cam[int(fi)]
            # background shifted by the camera offset (bilinear)
            fx, fy = cx / view.ps, cy / view.ps
            jx, jy = int(math.floor(fx)), int(math.floor(fy))
            tx, ty = F32(fx - jx), F32(fy - jy)
            r0, c0 = m + jy, m + jx
            a00 = bg[r0:r0 + view.h, c0:c0 + view.w]
            a01 = bg[r0:r0 + view.h, c0 + 1:c0 + 1 + view.w]
            a10 = bg[r0 + 1:r0 + 1 + view.h, c0:c0 + view.w]
            a11 = bg[r0 + 1:r0 + 1 + view.h, c0 + 1:c0 + 1 + view.w]
            top = a00 + tx * (a01 - a00)
            bot = a10 + tx * (a11 - a10)
            canvas = top + ty * (bot - top)
            cam = (cx, cy)
            tsec = float(st["t"][i])
            for d in moving:
                self._draw_distractor(canvas, view, cam, d, tsec)
            self._draw_actor(canvas, view, cam, st, i)
            if blur > 0.01:
                c = canvas
                c[:, 1:-1] = (1 - 2 * blur) * c[:, 1:-1] + blur * (c[:, :-2] + c[:, 2:])
                c[1:-1] = (1 - 2 * blur) * c[1:-1] + blur * (c[:-2] + c[2:])
            canvas *= light
            if sigma > 0:
                oy = int(nrng.integers(0, bank.shape[0] - view.h + 1))
                ox = int(nrng.integers(0, bank.shape[1] - view.w + 1))
                canvas += bank[oy:oy + view.h, ox:ox + view.w] * F32(sigma)
            yield canvas

    def _draw_distractor(self, canvas, view, cam, d, tsec):
        sh, S = d["shape"], d["S"]
        px = d["pos"][0] + d["vel"][0] * tsec / max(self.duration, 1e-6)
        py = d["pos"][1] + d["vel"][1] * tsec / max(self.duration, 1e-6)
        draw_shadow(canvas, view, cam, px, py, sh.hw * S * 1.1, S, 0.3)
        A = affine(px, py, d["ang"], S, d["mx"])
        draw(canvas, view, cam, sh.body, A)
        if d["lid"]:
            draw(canvas, view, cam, sh.lid, compose(A, np.array([[1, 0, 0], [0, 1, sh.lid_at]])))

    def _draw_actor(self, canvas, view, cam, st, i):
        sh, S, U = self.shape, self.S, self.U
        A = self.body_affine(st, i)
        lift = float(st["lift"][i])
        zoom = float(st["zoom"][i])
        # contact shadow
        op = 0.35 * max(0.0, 1 - lift / (0.5 * U))
        if op > 0.01:
            w = (sh.hw * abs(math.cos(float(st["th"][i]))) + sh.h * 0.5 * abs(math.sin(float(st["th"][i])))) * S * zoom
            draw_shadow(canvas, view, cam, float(st["ox"][i]), float(st["gy"][i]), w * 1.1, S * zoom, op)
        lidA = self.lid_affine(st, i, A) if self.lid_state != "off" else None
        # hand pose: the closed fingers (0.55 L from the wrist) over the grasp point
        ha = float(st["ha"][i])
        gxl, gyl = self.grasp
        if self.target == "lid":
            gxw, gyw = apply_aff(lidA, gxl * self.mx, gyl)
        else:
            gxw, gyw = apply_aff(A, gxl, gyl)
        sx, sy = self.shoulder
        off = (1 - ha) * self.d_off
        gxw += self.dout[0] * off
        gyw += self.dout[1] * off
        ang = math.atan2(gyw - sy, gxw - sx) + float(st["hrot"][i])
        L = self.L
        wx = gxw - math.cos(ang) * 0.55 * L
        wy = gyw - math.sin(ang) * 0.55 * L
        arm_len = math.hypot(wx - sx, wy - sy) / L
        Aarm = affine(wx, wy, math.atan2(wy - sy, wx - sx), L, 1.0)
        # A forearm holding the object by its side passes under it (the object is held up in
        # front of it); one reaching for a lid passes over the body.
        arm_under = self.target == "body"
        if arm_under:
            draw(canvas, view, cam, arm_prims(self.hand, arm_len), Aarm)
        draw(canvas, view, cam, sh.body, A)
        if lidA is not None:
            draw(canvas, view, cam, sh.lid, lidA, phase=float(st["ltw"][i]) * 2 * math.pi)
        if self.flow is not None:
            self._draw_flow(canvas, view, cam, st, i)
        if not arm_under:
            draw(canvas, view, cam, arm_prims(self.hand, arm_len), Aarm)
        hmx = 1.0 if self.side > 0 else -1.0
        Ah = compose(affine(wx, wy, ang, L, 1.0), np.array([[1, 0, 0], [0, hmx, 0]], np.float64))
        draw(canvas, view, cam, hand_prims(self.hand, float(st["curl"][i])), Ah)

    def _draw_flow(self, canvas, view, cam, st, i):
        fl = self.flow
        u = float(st["u"][i])
        act = (self.action[1] - self.action[0]) * self.duration
        now = u * act
        t_on, t_off = fl["on"] * act, fl["off"] * act
        if now < t_on:
            return
        # age range of visible liquid: emitted between t_on and min(now, t_off)
        a_min = max(0.0, now - t_off)
        a_max = now - t_on
        g = fl["g"]
        # fall time to the landing height from the current emission point
        A = self.body_affine(st, i)
        ex, ey = apply_aff(A, fl["opening"][0], fl["opening"][1])
        fall = max(fl["land"] - ey, 1.0)
        vx = self.pour_dir * fl["speed"]
        t_land = (-0.0 + math.sqrt(2 * g * fall)) / g
        a_max_vis = min(a_max, t_land)
        # puddle grows with the poured amount
        poured = max(0.0, min(now, t_off) - t_on - t_land)
        lx_land = ex + vx * t_land
        if fl["container"] is None and poured > 0:
            r = min(0.12 * self.U, 0.03 * self.U + poured * 0.08 * self.U)
            pr = Prim(ELL, (lx_land, fl["land"], r, r * 0.3), fl["col"], alpha=0.55 * fl["alpha"], soft=r * 0.05,
                      rim=0.1)
            draw(canvas, view, cam, [pr], np.array([[1.0, 0, 0], [0, 1.0, 0]]))
        if a_max_vis <= a_min:
            return
        k = 10 if fl["liquid"] else 24
        ages = np.linspace(a_min, a_max_vis, k)
        # points emitted at time now - age, moving from the current emitter (approximation)
        px = ex + vx * ages
        py = ey + 0.5 * g * ages ** 2
        wv = fl["width"]
        if fl["liquid"]:
            wob = 1 + 0.15 * np.sin(ages * 40 + now * 13)
            r = wv * 0.5 * wob * (1 - 0.4 * np.clip(ages / max(t_land, 1e-3), 0, 1))
            pr = Prim(CAPS, (px[:-1], py[:-1], px[1:], py[1:], r[:-1], r[1:]), fl["col"],
                      alpha=fl["alpha"], rim=0.15)
        else:
            jr = np.random.default_rng([self.seed, 2, int(round(now * 1000))])
            px = px + jr.normal(0, wv * 0.6, k)
            py = py + jr.normal(0, wv * 0.6, k)
            r = np.full(k, wv * 0.35)
            pr = Prim(CAPS, (px, py, px, py, r, r), fl["col"], rim=0.3)
        draw(canvas, view, cam, [pr], np.array([[1.0, 0, 0], [0, 1.0, 0]]))


def draw_shadow(canvas, view, cam, x, y, rx, S, opacity):
    pr = Prim(ELL, (x, y, rx, 0.07 * S), (0, 0, 0), alpha=opacity, soft=0.04 * S, rim=0)
    draw(canvas, view, cam, [pr], np.array([[1.0, 0, 0], [0, 1.0, 0]]))


_BANK = {}


def noise_bank(h, w):
    """A fixed table of Gaussian noise per process; frames take random windows of it."""
    n = max(h, w) + 64
    key = 256
    while key < n:
        key *= 2
    if key not in _BANK:
        _BANK[key] = np.random.default_rng(12345).standard_normal((key, key, 3)).astype(F32)
    return _BANK[key]


# ----------------------------------------------------------------------------------------------
# Sets

def action_of(base_seed, index):
    block = index // 64
    perm = np.random.default_rng([base_seed, block, 7]).permutation(64)
    a = int(perm[index % 64])
    return a // 8, a % 8


def clip_seed_of(base_seed, index):
    return base_seed * SEED_STRIDE + index


def crop_view(clip, size):
    U = clip.U
    return View((clip.W - U) / 2, (clip.H - U) / 2, U / size, size, size)


def sample_indices(nframes, n):
    return np.minimum(np.floor((np.arange(n) + 0.5) * nframes / n).astype(int), nframes - 1)


def area_resize(img, out_h, out_w):
    """Resize (h, w, 3) with an area/triangle filter as two matrix products."""
    h, w = img.shape[:2]
    my = resample_matrix((np.arange(out_h) + 0.5) * h / out_h, h / out_h, 0.5, 1.0, h)
    mx = resample_matrix((np.arange(out_w) + 0.5) * w / out_w, w / out_w, 0.5, 1.0, w)
    return np.einsum("ij,jkc,lk->ilc", my, img, mx, optimize=True)


def view_plan_indices(nframes, n, stride, rng):
    """The frames one temporal view takes in Vivid's ViewPlan: n frames `stride` apart from an offset in
    [0, max(0, nframes - n * stride)] (uniform here; the server spreads its views evenly over that range),
    positions past the end repeating the last frame."""
    offset = rng.integers(0, max(0, nframes - n * stride) + 1)
    return np.minimum(offset + np.arange(n) * stride, nframes - 1)


def render_training_clip(args):
    base_seed, index, size, nframes, exact, stride = args
    verb, noun = action_of(base_seed, index)
    clip = Clip(clip_seed_of(base_seed, index), verb, noun)
    if stride:
        idx = view_plan_indices(clip.nframes, nframes, stride, np.random.default_rng([clip.seed, 7]))
    else:
        idx = sample_indices(clip.nframes, nframes)
    out = np.empty((nframes, size, size, 3), np.uint8)
    if exact:
        full = View(0, 0, 1.0, clip.W, clip.H)
        U = clip.U
        for k, fr in enumerate(clip.render(full, idx)):
            fr = np.clip(fr, 0, 1)
            oh, ow = round(clip.H * size / U), round(clip.W * size / U)
            small = area_resize(fr, oh, ow)
            y0, x0 = (oh - size) // 2, (ow - size) // 2
            out[k] = np.clip(small[y0:y0 + size, x0:x0 + size] * 255 + 0.5, 0, 255).astype(np.uint8)
    else:
        for k, fr in enumerate(clip.render(crop_view(clip, size), idx)):
            out[k] = np.clip(fr * 255 + 0.5, 0, 255).astype(np.uint8)
    row = [index, VERBS[verb][0], VERBS[verb][1], NOUNS[noun][0], NOUNS[noun][1], clip.seed,
           clip.W, clip.H, clip.fps, f"{clip.duration:.4f}", f"{clip.action[0]:.4f}", f"{clip.action[1]:.4f}"]
    return index, out, row


def pool_map(fn, tasks, workers):
    if workers <= 1:
        for t in tasks:
            yield fn(t)
        return
    import multiprocessing as mp
    ctx = mp.get_context("fork")
    with ctx.Pool(workers) as pool:
        for r in pool.imap(fn, tasks, chunksize=2):
            yield r


def cmd_frames(a):
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "frames.npy")
    # open_memmap writes the .npy header and sizes the file; clips are then written at their
    # offsets with plain file writes, so resident memory stays at a few clips.
    arr = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint8,
                                    shape=(a.count, a.frames, a.size, a.size, 3))
    offset = arr.offset
    del arr
    clip_bytes = a.frames * a.size * a.size * 3
    tasks = [(a.seed, i, a.size, a.frames, a.exact, a.stride) for i in range(a.start, a.start + a.count)]
    t0 = time.time()
    rows = []
    with open(path, "r+b") as fh:
        for n, (index, out, row) in enumerate(pool_map(render_training_clip, tasks, a.workers)):
            fh.seek(offset + (index - a.start) * clip_bytes)
            fh.write(out.tobytes())
            rows.append(row)
            if not a.quiet and ((n + 1) % 100 == 0 or n + 1 == a.count):
                el = time.time() - t0
                print(f"{n + 1}/{a.count} clips, {el:.1f} s, {(n + 1) / el:.1f} clips/s", file=sys.stderr)
    with open(os.path.join(a.out, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "verb_id", "verb", "noun_id", "noun", "seed", "width", "height", "fps",
                    "duration", "action_start", "action_end"])
        w.writerows(rows)


def encoder_args(codec, compact=False):
    """Encoder flags; `compact` trades quality for size (for the few example clips shipped in the repository)."""
    if codec == "h264":
        return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "30" if compact else "20", "-pix_fmt", "yuv420p"]
    if codec == "vp9":
        return ["-c:v", "libvpx-vp9", "-b:v", "0", "-crf", "45" if compact else "34", "-deadline", "realtime",
                "-cpu-used", "8", "-pix_fmt", "yuv420p"]
    if codec == "mpeg4":
        return ["-c:v", "mpeg4", "-q:v", "10" if compact else "4", "-pix_fmt", "yuv420p"]
    raise ValueError(codec)


def render_video_clip(args):
    base_seed, index, out_dir, codecs, size, duration, compact, action = args
    verb, noun = action or action_of(base_seed, index)
    seed = clip_seed_of(base_seed, index)
    if size is not None and index % 2 == 1:
        size = (size[1], size[0])  # every other clip portrait
    clip = Clip(seed, verb, noun, size=size, duration=duration)
    crng = np.random.default_rng([seed, 3])
    p = np.array([CODECS[c][1] for c in codecs])
    codec = codecs[crng.choice(len(codecs), p=p / p.sum())]
    ext = CODECS[codec][0]
    name = f"{index:05d}_{VERBS[verb][1]}_{NOUNS[noun][1]}{ext}"
    path = os.path.join(out_dir, name)
    cmd = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{clip.W}x{clip.H}", "-r", str(clip.fps), "-i", "-", "-threads", "1"] + \
        encoder_args(codec, compact) + [path]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    view = View(0, 0, 1.0, clip.W, clip.H)
    try:
        for fr in clip.render(view, np.arange(clip.nframes)):
            proc.stdin.write(np.clip(fr * 255 + 0.5, 0, 255).astype(np.uint8).tobytes())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {name}")
    row = [name, VERBS[verb][0], VERBS[verb][1], NOUNS[noun][0], NOUNS[noun][1], seed, clip.W,
           clip.H, clip.fps, f"{clip.duration:.4f}", codec, f"{clip.action[0]:.4f}", f"{clip.action[1]:.4f}"]
    return index, row


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
    with open(os.path.join(a.out, "labels.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "verb_id", "verb", "noun_id", "noun", "seed", "width", "height", "fps",
                    "duration", "codec", "action_start", "action_end"])
        w.writerows(rows)


# ----------------------------------------------------------------------------------------------
# Preview: PNG contact sheet with a tiny bitmap font.

# 3x5 glyphs: five rows of three columns each.
FONT = {
    "A": ".#. #.# ### #.# #.#", "B": "##. #.# ##. #.# ##.", "C": ".## #.. #.. #.. .##",
    "D": "##. #.# #.# #.# ##.", "E": "### #.. ##. #.. ###", "F": "### #.. ##. #.. #..",
    "G": ".## #.. #.# #.# .##", "H": "#.# #.# ### #.# #.#", "I": "### .#. .#. .#. ###",
    "J": "..# ..# ..# #.# .#.", "K": "#.# #.# ##. #.# #.#", "L": "#.. #.. #.. #.. ###",
    "M": "#.# ### ### #.# #.#", "N": "##. #.# #.# #.# #.#", "O": ".#. #.# #.# #.# .#.",
    "P": "##. #.# ##. #.. #..", "Q": ".#. #.# #.# ##. .##", "R": "##. #.# ##. #.# #.#",
    "S": ".## #.. .#. ..# ##.", "T": "### .#. .#. .#. .#.", "U": "#.# #.# #.# #.# ###",
    "V": "#.# #.# #.# #.# .#.", "W": "#.# #.# ### ### #.#", "X": "#.# #.# .#. #.# #.#",
    "Y": "#.# #.# .#. .#. .#.", "Z": "### ..# .#. #.. ###", "0": "### #.# #.# #.# ###",
    "1": ".#. ##. .#. .#. ###", "2": "##. ..# .#. #.. ###", "3": "##. ..# .#. ..# ##.",
    "4": "#.# #.# ### ..# ..#", "5": "### #.. ##. ..# ##.", "6": ".## #.. ### #.# ###",
    "7": "### ..# .#. .#. .#.", "8": "### #.# ### #.# ###", "9": "### #.# ### ..# ##.",
    ":": "... .#. ... .#. ...", "-": "... ... ### ... ...", ".": "... ... ... ... .#.",
    "/": "..# ..# .#. #.. #..", " ": "... ... ... ... ...",
}
FONT = {k: v.replace(" ", "") for k, v in FONT.items()}


def draw_text(img, x, y, text, scale=2, col=(255, 255, 255)):
    g = FONT
    for ch in text.upper():
        pat = g.get(ch, g[" "])
        for r in range(5):
            for c in range(3):
                if pat[r * 3 + c] == "#":
                    img[y + r * scale:y + (r + 1) * scale, x + c * scale:x + (c + 1) * scale] = col
        x += 4 * scale


def write_png(path, img):
    img = np.ascontiguousarray(img, np.uint8)
    h, w = img.shape[:2]
    raw = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * 3)], axis=1).tobytes()

    def chunk(tag, data):
        c = struct.pack(">I", len(data)) + tag + data
        return c + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def parse_actions(text):
    """`take:cup,put:pan` (or `all`) as (verb index, noun index) pairs."""
    if text == "all":
        return [(v, n) for v in range(8) for n in range(8)]
    actions = []
    for item in text.split(","):
        v, n = item.split(":")
        actions.append((VERB_INDEX[v], NOUN_INDEX[n]))
    return actions


def cmd_preview(a):
    actions = parse_actions(a.actions) if a.actions else [(v, (v * 3 + a.seed) % 8) for v in range(8)]
    cols, size = a.columns, a.size
    rows = []
    for r, (v, n) in enumerate(actions):
        seed = clip_seed_of(a.seed, r)
        clip = Clip(seed, v, n)
        if a.full:
            ps = clip.H / size
            view = View(0, 0, ps, int(round(clip.W / ps)), size)
        else:
            view = crop_view(clip, size)
        idx = sample_indices(clip.nframes, cols)
        frames = [np.clip(f * 255 + 0.5, 0, 255).astype(np.uint8) for f in clip.render(view, idx)]
        gap = 4
        strip = np.full((size + 16, cols * (view.w + gap), 3), 30, np.uint8)
        for k, f in enumerate(frames):
            strip[16:, k * (view.w + gap):k * (view.w + gap) + view.w] = f
            # mark frames inside the action window
            t = idx[k] / clip.nframes
            if clip.action[0] <= t <= clip.action[1]:
                strip[13:15, k * (view.w + gap):k * (view.w + gap) + view.w] = (230, 180, 40)
        label = f"{VERBS[v][1]} {NOUNS[n][1]}  {clip.W}x{clip.H} {clip.fps}fps {clip.duration:.1f}s seed {seed}"
        draw_text(strip, 2, 2, label)
        rows.append(strip)
    wmax = max(s.shape[1] for s in rows)
    sheet = np.concatenate([np.pad(s, ((0, 0), (0, wmax - s.shape[1]), (0, 0)), constant_values=30)
                            for s in rows])
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


if __name__ == "__main__":
    main()
