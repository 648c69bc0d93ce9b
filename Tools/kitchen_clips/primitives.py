"""Signed-distance primitives drawn anti-aliased onto a frame, the views (pixel grids) they are drawn on, and
the resampling of lattices and images onto a view.

A primitive lives in its object's local units; `draw` maps it to the scene with a 2x3 affine (local -> scene
pixels of the full-size frame) and composites it over the pixels of its bounding box only.
"""

import math

import numpy as np

F32 = np.float32

ELLIPSE, ROUNDED_BOX, CAPSULES, RING = 0, 1, 2, 3

# The affine of primitives given in scene pixels (pour stream, puddle, shadows).
SCENE = np.array([[1.0, 0, 0], [0, 1.0, 0]])


class Primitive:
    """One shape in local units.

    params by kind: ELLIPSE (cx, cy, rx, ry); ROUNDED_BOX (cx, cy, half width at the top, half width at the
    bottom, half height, corner radius); CAPSULES (ax, ay, bx, by, ra, rb), each an array of K segments with
    radius ra at a and rb at b; RING (cx, cy, radius, half thickness).
    clips: half planes (nx, ny, c) keeping nx*x + ny*y <= c. shading: None or (axis 0 = x / 1 = y, centre,
    half width, highlight position) for a cylinder-like shading across that axis. rim: how much the edge
    darkens. soft: extra edge blur in local units (shadows). stripes: (frequency per local unit, amplitude)
    of ridges along x, shifted by the draw's phase (a screw lid turning).
    """
    __slots__ = ("kind", "params", "clips", "colour", "shading", "bbox", "alpha", "soft", "rim", "stripes")

    def __init__(self, kind, params, colour, clips=(), shading=None, alpha=1.0, soft=0.0, rim=0.35,
                 stripes=None):
        self.kind = kind
        self.clips = tuple(clips)
        self.colour = np.asarray(colour, F32)
        self.shading = shading
        self.alpha = alpha
        self.soft = soft
        self.rim = rim
        self.stripes = stripes
        if kind == CAPSULES:
            params = [np.asarray(v, F32).reshape(-1, 1, 1) for v in params]
            ax, ay, bx, by, ra, rb = params
            r = np.maximum(ra, rb)
            bbox = (float(np.min(np.minimum(ax, bx) - r)), float(np.min(np.minimum(ay, by) - r)),
                    float(np.max(np.maximum(ax, bx) + r)), float(np.max(np.maximum(ay, by) + r)))
        elif kind == ELLIPSE:
            cx, cy, rx, ry = params
            bbox = (cx - rx, cy - ry, cx + rx, cy + ry)
        elif kind == ROUNDED_BOX:
            cx, cy, half_top, half_bottom, half_height, _ = params
            half_width = max(half_top, half_bottom)
            bbox = (cx - half_width, cy - half_height, cx + half_width, cy + half_height)
        else:
            cx, cy, radius, half_thickness = params
            bbox = (cx - radius - half_thickness, cy - radius - half_thickness,
                    cx + radius + half_thickness, cy + radius + half_thickness)
        self.params = params
        blur = soft * 1.5
        self.bbox = (bbox[0] - blur, bbox[1] - blur, bbox[2] + blur, bbox[3] + blur)


def signed_distance(primitive, x, y):
    """Distance from local points (x, y) to the primitive's edge, negative inside."""
    kind, params = primitive.kind, primitive.params
    if kind == ELLIPSE:
        cx, cy, rx, ry = params
        px = (x - cx) * (1.0 / rx)
        py = (y - cy) * (1.0 / ry)
        k0 = np.sqrt(px * px + py * py)
        k1 = np.sqrt(px * px * (1.0 / (rx * rx)) + py * py * (1.0 / (ry * ry)))
        d = k0 * (k0 - 1.0) / (k1 + 1e-6)
    elif kind == ROUNDED_BOX:
        cx, cy, half_top, half_bottom, half_height, radius = params
        dy = y - cy
        if half_top == half_bottom:
            qx = np.abs(x - cx) - (half_top - radius)
        else:
            slope = (half_bottom - half_top) / (2 * half_height)
            qx = np.abs(x - cx) - ((half_top + half_bottom) * 0.5 - radius) - slope * dy
        qy = np.abs(dy) - (half_height - radius)
        d = np.sqrt(np.square(np.maximum(qx, 0)) + np.square(np.maximum(qy, 0)))
        d += np.minimum(np.maximum(qx, qy), 0) - radius
    elif kind == CAPSULES:
        ax, ay, bx, by, ra, rb = params
        pax = x[None] - ax
        pay = y[None] - ay
        bax = bx - ax
        bay = by - ay
        h = np.clip((pax * bax + pay * bay) / (bax * bax + bay * bay + 1e-9), 0, 1)
        dx = pax - bax * h
        dy = pay - bay * h
        d = np.sqrt(dx * dx + dy * dy) - (ra + (rb - ra) * h)
        d = d.min(0) if d.shape[0] > 1 else d[0]
    else:
        cx, cy, radius, half_thickness = params
        d = np.abs(np.sqrt(np.square(x - cx) + np.square(y - cy)) - radius) - half_thickness
    for nx, ny, c in primitive.clips:
        d = np.maximum(d, nx * x + ny * y - c)
    return d


class View:
    """Output pixel grid: pixel (i, j) shows scene point (x0 + (j + .5) pixel_size, y0 + (i + .5) pixel_size)."""

    def __init__(self, x0, y0, pixel_size, width, height):
        self.x0, self.y0, self.pixel_size, self.width, self.height = x0, y0, pixel_size, width, height
        self.xs = (x0 + (np.arange(width) + 0.5) * pixel_size).astype(F32)
        self.ys = (y0 + (np.arange(height) + 0.5) * pixel_size).astype(F32)

    def grown(self, margin):
        """The view with `margin` more pixels on every side."""
        return View(self.x0 - margin * self.pixel_size, self.y0 - margin * self.pixel_size, self.pixel_size,
                    self.width + 2 * margin, self.height + 2 * margin)


def resample_matrix(out_positions, out_step, lattice_start, lattice_step, n):
    """Triangle-filter weights (len(out_positions), n) taking n lattice values (lattice_start + k lattice_step) to
    samples at out_positions spaced out_step apart: linear interpolation when the samples are denser than the
    lattice, an area average when sparser."""
    pos = (np.asarray(out_positions, np.float64) - lattice_start) / lattice_step
    half_width = max(1.0, out_step / lattice_step)
    w = np.maximum(0.0, 1.0 - np.abs(pos[:, None] - np.arange(n)[None, :]) / half_width)
    s = w.sum(1, keepdims=True)
    s[s == 0] = 1
    return (w / s).astype(F32)


def affine(tx, ty, angle, scale, mirror=1.0):
    """Local -> scene: scene = t + scale * R(angle) * diag(mirror, 1) * local, as a 2x3 matrix."""
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    return np.array([[c * mirror, -s, tx], [s * mirror, c, ty]], np.float64)


def compose(outer, inner):
    """`outer` after `inner` (both 2x3)."""
    m = np.eye(3)
    m[:2] = outer
    n = np.eye(3)
    n[:2] = inner
    return (m @ n)[:2]


def apply_affine(matrix, x, y):
    return (matrix[0, 0] * x + matrix[0, 1] * y + matrix[0, 2],
            matrix[1, 0] * x + matrix[1, 1] * y + matrix[1, 2])


def ray_exit(px, py, dx, dy, width, height):
    """Distance from (px, py) along (dx, dy) to leave the width x height frame."""
    t = []
    if dx > 1e-6:
        t.append((width - px) / dx)
    if dx < -1e-6:
        t.append(-px / dx)
    if dy > 1e-6:
        t.append((height - py) / dy)
    if dy < -1e-6:
        t.append(-py / dy)
    return max(0.0, min(t)) if t else 0.0


def draw(canvas, view, camera, primitives, matrix, phase=0.0):
    """Composite primitives (local units, local -> scene affine `matrix`) onto canvas (height, width, 3), the
    view shifted by the camera offset (x, y) in scene pixels; `phase` shifts their stripes."""
    det = matrix[0, 0] * matrix[1, 1] - matrix[0, 1] * matrix[1, 0]
    if abs(det) < 1e-12:
        return
    inverse = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
    scale = math.sqrt(abs(det))
    ps = view.pixel_size
    pixels_per_unit = scale / ps
    camera_x, camera_y = camera
    left = view.x0 + camera_x
    top = view.y0 + camera_y
    for primitive in primitives:
        x0, y0, x1, y1 = primitive.bbox
        corners_x, corners_y = apply_affine(matrix, np.array([x0, x1, x0, x1]), np.array([y0, y0, y1, y1]))
        j0 = max(int(math.floor((corners_x.min() - left) / ps - 0.5)), 0)
        j1 = min(int(math.ceil((corners_x.max() - left) / ps + 0.5)) + 1, view.width)
        i0 = max(int(math.floor((corners_y.min() - top) / ps - 0.5)), 0)
        i1 = min(int(math.ceil((corners_y.max() - top) / ps + 0.5)) + 1, view.height)
        if j0 >= j1 or i0 >= i1:
            continue
        gx = view.xs[j0:j1] + F32(camera_x)
        gy = view.ys[i0:i1] + F32(camera_y)
        lx = (inverse[0, 0] * gx)[None, :] + (inverse[0, 1] * gy + inverse[0, 2])[:, None]
        ly = (inverse[1, 0] * gx)[None, :] + (inverse[1, 1] * gy + inverse[1, 2])[:, None]
        lx = lx.astype(F32, copy=False)
        ly = ly.astype(F32, copy=False)
        d = signed_distance(primitive, lx, ly)
        edge_sharpness = 1.0 / (1.0 / pixels_per_unit + primitive.soft)
        coverage = np.clip(0.5 - d * F32(edge_sharpness), 0, 1)
        if primitive.alpha != 1.0:
            coverage *= F32(primitive.alpha)
        region = canvas[i0:i1, j0:j1]
        shade = None
        if primitive.shading is not None:
            axis, centre, half_width, highlight = primitive.shading
            u = ((lx if axis == 0 else ly) - centre) * F32(1.0 / half_width)
            shade = np.maximum(1.0 - 0.28 * u * u, 0.5) + 0.3 * np.maximum(0, 1 - np.square((u - highlight) * 4.0))
        if primitive.rim > 0:
            rim = 1.0 - F32(primitive.rim) * np.clip(1.0 + d * F32(pixels_per_unit / 1.4), 0, 1)
            shade = rim if shade is None else shade * rim
        if primitive.stripes is not None:
            frequency, amplitude = primitive.stripes
            ridges = 1.0 - F32(amplitude) * (0.5 + 0.5 * np.sin(lx * F32(2 * math.pi * frequency) + F32(phase)))
            shade = ridges if shade is None else shade * ridges
        if shade is None:
            region += coverage[..., None] * (primitive.colour - region)
        else:
            region += coverage[..., None] * (primitive.colour * shade[..., None] - region)


def draw_shadow(canvas, view, camera, x, y, half_width, scale, opacity):
    """A soft contact shadow under an object standing at (x, y) with local scale `scale`."""
    shadow = Primitive(ELLIPSE, (x, y, half_width, 0.07 * scale), (0, 0, 0), alpha=opacity, soft=0.04 * scale,
                       rim=0)
    draw(canvas, view, camera, [shadow], SCENE)
