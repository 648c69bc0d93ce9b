"""What the camera adds to a scene: hand-held shake, uneven lighting with a colour cast, and sensor noise."""

import math

import numpy as np

from .primitives import F32


def camera_path(rng, frames, U):
    """Per-frame camera offsets (frames, 2) in scene pixels, and the largest offset either way: AR(1) jitter
    plus a slow drift, clipped."""
    jitter = rng.uniform(0.0, 0.006) * U
    a = rng.uniform(0.3, 0.9)
    e = rng.standard_normal((frames, 2)) * jitter
    path = np.zeros((frames, 2))
    for i in range(1, frames):
        path[i] = a * path[i - 1] + e[i]
    drift = rng.uniform(-0.03, 0.03, 2) * U
    phase = rng.uniform(0, 2 * math.pi)
    t = np.arange(frames) / max(frames - 1, 1)
    path += drift[None, :] * (np.sin(t * math.pi + phase) - math.sin(phase))[:, None] * 0.7
    largest = 0.06 * U
    return np.clip(path, -largest, largest), largest


def make_lighting(rng, width, height, U):
    """A gain, a linear gradient, a vignette, maybe a spot light, and a colour cast; a function of a view
    returning the factor (h, w, 3) a frame is multiplied by."""
    gain = rng.uniform(0.65, 1.3)
    angle = rng.uniform(0, 2 * math.pi)
    gradient = rng.uniform(0, 0.35)
    cast = np.exp(rng.normal(0, 0.07, 3)).astype(F32)
    vignette = rng.uniform(0, 0.35)
    spot = (rng.uniform(0, width), rng.uniform(0, height), U * rng.uniform(0.3, 0.8), rng.uniform(0, 0.3)) \
        if rng.random() < 0.4 else None

    def render(view):
        X = view.xs[None, :]
        Y = view.ys[:, None]
        g = ((X - width / 2) * math.cos(angle) + (Y - height / 2) * math.sin(angle)) / U
        light = 1 + gradient * g
        r2 = (np.square((X - width / 2) / (width / 2)) + np.square((Y - height / 2) / (height / 2))) / 2
        light = light * (1 - vignette * r2)
        if spot is not None:
            sx, sy, radius, strength = spot
            light = light + strength * np.exp(-(np.square(X - sx) + np.square(Y - sy)) / (2 * radius * radius))
        return (np.maximum(light, 0.2) * gain)[..., None].astype(F32) * cast
    return render


_NOISE_BANKS = {}


def noise_bank(height, width):
    """A fixed table of Gaussian noise, one per size class and process, cheaper than drawing fresh noise
    for every frame; frames take random windows of it."""
    n = max(height, width) + 64
    side = 256
    while side < n:
        side *= 2
    if side not in _NOISE_BANKS:
        _NOISE_BANKS[side] = np.random.default_rng(12345).standard_normal((side, side, 3)).astype(F32)
    return _NOISE_BANKS[side]
