"""Sets of clips: which clip seed and action each index of a set gets, and one clip rendered as training frames
or as an encoded video. The renderers take one tuple, as a worker pool's map hands them."""

import multiprocessing
import os
import subprocess

import numpy as np

from .clip import Clip
from .labels import NOUNS, VERBS
from .primitives import View, resample_matrix
from .scene import render_frames

# Clip i of a set with base seed S is rendered from clip seed S * SEED_STRIDE + i.
SEED_STRIDE = 1_000_000
# Codec: (file extension, share of the clips).
CODECS = {"h264": (".mp4", 0.6), "vp9": (".webm", 0.2), "mpeg4": (".avi", 0.2)}


def action_of(base_seed, index):
    """(verb, noun) positions of a set's clip: every block of 64 indices holds each action once, in an order
    shuffled per (base seed, block)."""
    block = index // 64
    order = np.random.default_rng([base_seed, block, 7]).permutation(64)
    action = int(order[index % 64])
    return action // 8, action % 8


def clip_seed_of(base_seed, index):
    return base_seed * SEED_STRIDE + index


def crop_view(clip, size):
    """The clip's central square (its short side) as size x size pixels."""
    U = clip.short_side
    return View((clip.width - U) / 2, (clip.height - U) / 2, U / size, size, size)


def sample_indices(frames, n):
    """n frame indices evenly spanning a clip of `frames` frames."""
    return np.minimum(np.floor((np.arange(n) + 0.5) * frames / n).astype(int), frames - 1)


def area_resize(img, out_h, out_w):
    """Resize (h, w, 3) with an area/triangle filter as two matrix products."""
    h, w = img.shape[:2]
    my = resample_matrix((np.arange(out_h) + 0.5) * h / out_h, h / out_h, 0.5, 1.0, h)
    mx = resample_matrix((np.arange(out_w) + 0.5) * w / out_w, w / out_w, 0.5, 1.0, w)
    return np.einsum("ij,jkc,lk->ilc", my, img, mx, optimize=True)


def view_plan_indices(frames, n, stride, rng):
    """The frames one temporal view takes in Vivid's ViewPlan: n frames `stride` apart from an offset in
    [0, max(0, frames - n * stride)] (uniform here; the server spreads its views evenly over that range),
    positions past the end repeating the last frame."""
    offset = rng.integers(0, max(0, frames - n * stride) + 1)
    return np.minimum(offset + np.arange(n) * stride, frames - 1)


def to_bytes(frame):
    """A rendered frame as uint8 RGB."""
    return np.clip(frame * 255 + 0.5, 0, 255).astype(np.uint8)


def render_training_clip(task):
    """(base seed, index, size, frames, exact, stride) -> (index, uint8 (frames, size, size, 3), labels row).

    The scene is resolution independent, so by default it is rendered straight at the crop's scale; `exact`
    renders the full-size frames and area-resizes them instead (slow; for checking)."""
    base_seed, index, size, frame_count, exact, stride = task
    verb, noun = action_of(base_seed, index)
    clip = Clip(clip_seed_of(base_seed, index), verb, noun)
    if stride:
        indices = view_plan_indices(clip.frames, frame_count, stride, np.random.default_rng([clip.seed, 7]))
    else:
        indices = sample_indices(clip.frames, frame_count)
    out = np.empty((frame_count, size, size, 3), np.uint8)
    if exact:
        U = clip.short_side
        full = View(0, 0, 1.0, clip.width, clip.height)
        for k, frame in enumerate(render_frames(clip, full, indices)):
            frame = np.clip(frame, 0, 1)
            out_h, out_w = round(clip.height * size / U), round(clip.width * size / U)
            small = area_resize(frame, out_h, out_w)
            y0, x0 = (out_h - size) // 2, (out_w - size) // 2
            out[k] = to_bytes(small[y0:y0 + size, x0:x0 + size])
    else:
        for k, frame in enumerate(render_frames(clip, crop_view(clip, size), indices)):
            out[k] = to_bytes(frame)
    row = [index, VERBS[verb][0], VERBS[verb][1], NOUNS[noun][0], NOUNS[noun][1], clip.seed,
           clip.width, clip.height, clip.fps, f"{clip.duration:.4f}", f"{clip.action[0]:.4f}", f"{clip.action[1]:.4f}"]
    return index, out, row


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


def render_video_clip(task):
    """(base seed, index, out dir, codecs, size, duration, compact, action) -> (index, labels row): the clip at
    full size piped as raw RGB to ffmpeg. `size`, `duration` and `action` (verb, noun) override the drawn ones;
    with `size`, odd clips are turned portrait."""
    base_seed, index, out_dir, codecs, size, duration, compact, action = task
    verb, noun = action or action_of(base_seed, index)
    seed = clip_seed_of(base_seed, index)
    if size is not None and index % 2 == 1:
        size = (size[1], size[0])
    clip = Clip(seed, verb, noun, size=size, duration=duration)
    codec_rng = np.random.default_rng([seed, 3])
    shares = np.array([CODECS[c][1] for c in codecs])
    codec = codecs[codec_rng.choice(len(codecs), p=shares / shares.sum())]
    name = f"{index:05d}_{VERBS[verb][1]}_{NOUNS[noun][1]}{CODECS[codec][0]}"
    path = os.path.join(out_dir, name)
    command = ["ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{clip.width}x{clip.height}", "-r", str(clip.fps), "-i", "-", "-threads", "1"] + \
        encoder_args(codec, compact) + [path]
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE)
    try:
        for frame in render_frames(clip, View(0, 0, 1.0, clip.width, clip.height), np.arange(clip.frames)):
            encoder.stdin.write(to_bytes(frame).tobytes())
        encoder.stdin.close()
    except BrokenPipeError:
        pass  # ffmpeg quit early; its exit status says why
    if encoder.wait() != 0:
        raise RuntimeError(f"ffmpeg failed for {name}")
    row = [name, VERBS[verb][0], VERBS[verb][1], NOUNS[noun][0], NOUNS[noun][1], seed, clip.width,
           clip.height, clip.fps, f"{clip.duration:.4f}", codec, f"{clip.action[0]:.4f}", f"{clip.action[1]:.4f}"]
    return index, row


def pool_map(fn, tasks, workers):
    """fn over tasks in order, in `workers` forked processes (in this one for 1)."""
    if workers <= 1:
        for task in tasks:
            yield fn(task)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(fn, tasks, chunksize=2)
