"""Colours: RGB float32 arrays in [0, 1]."""

import numpy as np


def hsv(hue, saturation, value):
    """HSV (hue in turns) to RGB."""
    h = (hue % 1.0) * 6.0
    sector = int(h) % 6
    f = h - int(h)
    p, q, t = value * (1 - saturation), value * (1 - saturation * f), value * (1 - saturation * (1 - f))
    v = value
    rgb = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][sector]
    return np.array(rgb, np.float32)


def shaded(colour, factor):
    """The colour scaled by `factor` (darker below 1), clipped to [0, 1]."""
    return np.clip(np.asarray(colour, np.float32) * factor, 0, 1).astype(np.float32)


def random_colour(rng):
    return hsv(rng.random(), rng.uniform(0.1, 0.9), rng.uniform(0.2, 0.95))
