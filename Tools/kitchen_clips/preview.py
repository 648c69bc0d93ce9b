"""The preview: a contact sheet of a few clips, one row per clip, with the action written above each row."""

import numpy as np

from .clip import Clip
from .font import draw_text
from .labels import NOUNS, VERBS
from .primitives import View
from .scene import render_frames
from .sets import clip_seed_of, crop_view, sample_indices, to_bytes

BACKDROP = 30
GAP = 4
LABEL_HEIGHT = 16
IN_ACTION = (230, 180, 40)


def contact_sheet(base_seed, actions, columns, size, full):
    """uint8 RGB sheet: row r shows clip seed clip_seed_of(base_seed, r) acting out actions[r] in `columns` frames
    spanning the clip, `size` pixels high: the square crop, or with `full` the whole frame. A bar under the label
    marks the frames inside the action."""
    rows = []
    for r, (verb, noun) in enumerate(actions):
        seed = clip_seed_of(base_seed, r)
        clip = Clip(seed, verb, noun)
        if full:
            pixel_size = clip.height / size
            view = View(0, 0, pixel_size, int(round(clip.width / pixel_size)), size)
        else:
            view = crop_view(clip, size)
        indices = sample_indices(clip.frames, columns)
        frames = [to_bytes(frame) for frame in render_frames(clip, view, indices)]
        strip = np.full((size + LABEL_HEIGHT, columns * (view.width + GAP), 3), BACKDROP, np.uint8)
        for k, frame in enumerate(frames):
            left = k * (view.width + GAP)
            strip[LABEL_HEIGHT:, left:left + view.width] = frame
            t = indices[k] / clip.frames
            if clip.action[0] <= t <= clip.action[1]:
                strip[13:15, left:left + view.width] = IN_ACTION
        label = (f"{VERBS[verb][1]} {NOUNS[noun][1]}  {clip.width}x{clip.height} {clip.fps}fps {clip.duration:.1f}s "
                 f"seed {seed}")
        draw_text(strip, 2, 2, label)
        rows.append(strip)
    widest = max(strip.shape[1] for strip in rows)
    return np.concatenate([np.pad(strip, ((0, 0), (0, widest - strip.shape[1]), (0, 0)), constant_values=BACKDROP)
                           for strip in rows])
