"""Counter surfaces, and the wall behind some of them.

Everything is value noise on lattices fixed in scene units and resampled (anti-aliased) to a view, so a surface
looks the same rendered at full size or straight at a training crop's scale. A surface draws all its random
parameters when it is made and returns a function of a view.
"""

import math

import numpy as np

from .colour import hsv, random_colour, shaded
from .primitives import F32, resample_matrix


class Lattice:
    """Random values on a lattice over the scene (plus padding), sampled at a view's pixels."""

    def __init__(self, values, x0, y0, cell_x, cell_y):
        self.values, self.x0, self.y0, self.cell_x, self.cell_y = values.astype(F32), x0, y0, cell_x, cell_y

    @staticmethod
    def random(rng, width, height, pad, cell_x, cell_y=None, density=None):
        """Gaussian values, or with `density` ones at that share of the cells and zeros elsewhere."""
        cell_y = cell_x if cell_y is None else cell_y
        nx = int(math.ceil((width + 2 * pad) / cell_x)) + 3
        ny = int(math.ceil((height + 2 * pad) / cell_y)) + 3
        values = rng.standard_normal((ny, nx)) if density is None else (rng.random((ny, nx)) < density)
        return Lattice(values.astype(F32), -pad - cell_x, -pad - cell_y, cell_x, cell_y)

    def sample(self, view):
        mx = resample_matrix(view.xs, view.pixel_size, self.x0, self.cell_x, self.values.shape[1])
        my = resample_matrix(view.ys, view.pixel_size, self.y0, self.cell_y, self.values.shape[0])
        return my @ self.values @ mx.T


def wood(rng, width, height, U, pad):
    """Planks with growth rings, streaks and dark seams, running along x or y."""
    base = hsv(rng.uniform(0.04, 0.12), rng.uniform(0.3, 0.75), rng.uniform(0.3, 0.9)) \
        if rng.random() < 0.85 else random_colour(rng)
    vertical = rng.random() < 0.5
    plank = U * rng.uniform(0.12, 0.4)
    ring = U * rng.uniform(0.012, 0.04)
    streak = Lattice.random(rng, width, height, pad, *((0.004 * U, 0.3 * U) if vertical else (0.3 * U, 0.004 * U)))
    warp = Lattice.random(rng, width, height, pad, 0.12 * U)
    plank_tints = rng.uniform(-0.15, 0.15, 64).astype(F32)
    phase = rng.uniform(0, 100)

    def render(view):
        across = (view.xs[None, :] if vertical else view.ys[:, None]) + np.zeros((view.height, view.width), F32)
        index = np.floor((across + pad) / plank).astype(np.int64)
        rings = np.sin((across / ring + 2.5 * warp.sample(view) + index * 7.3 + phase) * 2 * math.pi)
        t = 1 + 0.07 * streak.sample(view) + 0.07 * rings + plank_tints[index % 64]
        seam_distance = ((across + pad) % plank) - plank / 2
        on_plank = np.clip(0.5 - (np.abs(seam_distance) - (plank / 2 - 0.004 * U)) / view.pixel_size, 0, 1)
        t = t * (1 - 0.45 * (1 - on_plank))
        return base * t[..., None]
    return render


def tiles(rng, width, height, U, pad):
    """Square or oblong tiles, straight or in a brick bond, each slightly tinted, with grout lines."""
    base = random_colour(rng)
    grout = hsv(rng.random(), rng.uniform(0, 0.2), rng.choice([rng.uniform(0.1, 0.3), rng.uniform(0.7, 0.95)]))
    tile = U * rng.uniform(0.08, 0.28)
    aspect = 1.0 if rng.random() < 0.6 else rng.choice([0.5, 2.0])
    tile_w, tile_h = tile * aspect, tile
    grout_width = tile * rng.uniform(0.03, 0.08)
    brick = rng.random() < 0.3
    tile_tints = rng.uniform(-0.08, 0.08, (64, 64)).astype(F32)
    tint = Lattice.random(rng, width, height, pad, 0.05 * U)
    offset_x, offset_y = rng.uniform(0, tile_w), rng.uniform(0, tile_h)

    def render(view):
        X = view.xs[None, :] + F32(offset_x)
        Y = view.ys[:, None] + F32(offset_y)
        row = np.floor(Y / tile_h)
        Xs = X + (row % 2) * F32(tile_w / 2) if brick else X + 0 * Y
        col = np.floor(Xs / tile_w)
        fx = Xs - col * tile_w
        fy = Y - row * tile_h + 0 * Xs
        edge_distance = np.minimum(np.minimum(fx, tile_w - fx), np.minimum(fy, tile_h - fy))
        in_grout = np.clip(0.5 - (edge_distance - grout_width / 2) / view.pixel_size, 0, 1)
        jitter = tile_tints[row.astype(np.int64) % 64, col.astype(np.int64) % 64]
        t = (1 + jitter + 0.04 * tint.sample(view))[..., None] * base
        return t + in_grout[..., None] * (grout - t)
    return render


def mottled(rng, width, height, U, pad, speckled):
    """A plain colour with low-frequency mottling, with 1-3 layers of coloured specks when `speckled`."""
    base = random_colour(rng) if rng.random() < 0.7 else hsv(rng.random(), rng.uniform(0, 0.15),
                                                             rng.uniform(0.15, 0.95))
    low = Lattice.random(rng, width, height, pad, 0.12 * U)
    mid = Lattice.random(rng, width, height, pad, 0.03 * U)
    specks = []
    if speckled:
        for _ in range(rng.integers(1, 4)):
            specks.append((Lattice.random(rng, width, height, pad, U * rng.uniform(0.004, 0.012),
                                          density=rng.uniform(0.05, 0.3)),
                           random_colour(rng), rng.uniform(0.4, 1.0)))
    amplitude = rng.uniform(0.03, 0.12)

    def render(view):
        t = (1 + amplitude * low.sample(view) + 0.4 * amplitude * mid.sample(view))[..., None] * base
        for lattice, colour, strength in specks:
            m = lattice.sample(view)[..., None] * F32(strength)
            t = t + m * (colour - t)
        return t
    return render


def speckle(rng, width, height, U, pad):
    return mottled(rng, width, height, U, pad, speckled=True)


def plain(rng, width, height, U, pad):
    return mottled(rng, width, height, U, pad, speckled=False)


def brushed_steel(rng, width, height, U, pad):
    base = hsv(rng.random(), rng.uniform(0, 0.1), rng.uniform(0.45, 0.85))
    brush = Lattice.random(rng, width, height, pad, 0.35 * U, 0.003 * U)
    low = Lattice.random(rng, width, height, pad, 0.2 * U)

    def render(view):
        t = 1 + 0.06 * brush.sample(view) + 0.08 * low.sample(view)
        return base * t[..., None]
    return render


# Surface: (share of clips, builder). The order is the order of the random draw.
SURFACES = {"wood": (0.3, wood), "tiles": (0.25, tiles), "speckle": (0.25, speckle), "steel": (0.1, brushed_steel),
            "plain": (0.1, plain)}


def wall(rng, height, U):
    """In 35% of clips a wall (tiled or plain, with a lip) at the top of the frame; None otherwise."""
    if rng.random() >= 0.35:
        return None
    wall_y = height * rng.uniform(0.0, 0.18) + 0.02 * U
    wall_colour = random_colour(rng) if rng.random() < 0.5 else hsv(rng.random(), rng.uniform(0, 0.2),
                                                                    rng.uniform(0.6, 0.95))
    tile = U * rng.uniform(0.06, 0.15) if rng.random() < 0.5 else None
    lip_colour = shaded(wall_colour, rng.uniform(0.4, 0.7)) if rng.random() < 0.5 else random_colour(rng)

    def render(img, view):
        Y = view.ys[:, None] + 0 * view.xs[None, :]
        t = np.ones_like(Y) * 0.95
        if tile is not None:
            X = view.xs[None, :] + 0 * Y
            dx = np.minimum(X % tile, tile - X % tile)
            dy = np.minimum(Y % tile, tile - Y % tile)
            t = t - 0.3 * np.clip(0.5 - (np.minimum(dx, dy) - 0.04 * tile) / view.pixel_size, 0, 1)
        above = np.clip(0.5 - (Y - wall_y) / view.pixel_size, 0, 1)[..., None]
        img = img + above * (wall_colour * t[..., None] - img)
        lip = np.clip(0.5 - (np.abs(Y - wall_y - 0.008 * U) - 0.008 * U) / view.pixel_size, 0, 1)[..., None]
        return img + lip * (lip_colour - img)
    return render


def make_background(rng, width, height, U):
    """A random counter (and maybe a wall) for a width x height frame with short side U; a function of a view
    returning its RGB in [0, 1]."""
    pad = 0.15 * U + 8
    kind = rng.choice(list(SURFACES), p=[share for share, _ in SURFACES.values()])
    surface = SURFACES[kind][1](rng, width, height, U, pad)
    wall_layer = wall(rng, height, U)

    def render(view):
        img = surface(view).astype(F32)
        if wall_layer is not None:
            img = wall_layer(img, view)
        return np.clip(img, 0, 1)
    return render
