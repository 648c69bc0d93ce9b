"""The objects: one builder per noun, in NOUN_BUILDERS.

Local units: the base centre at (0, 0), up is -y; a clip scales an object to scene pixels. Each object is a
body and a lid (in lid-local units, origin at the lid's bottom centre), with the points a hand grasps and a
pour leaves from.
"""

from dataclasses import dataclass

import numpy as np

from .colour import hsv, random_colour, shaded
from .primitives import CAPSULES, ELLIPSE, RING, ROUNDED_BOX, Primitive


class Shape:
    """One built object."""

    def __init__(self, body, lid, height, half_width, lid_height, lid_half_width, lid_at, grasp, openings, size):
        self.body = body                      # primitives
        self.lid = lid                        # primitives in lid-local units
        self.height, self.half_width = height, half_width
        self.lid_height, self.lid_half_width = lid_height, lid_half_width
        self.lid_at = lid_at                  # body-local y of the lid origin when closed
        self.grasp = grasp                    # body-local grasp point (handle side = +x)
        self.openings = openings              # body-local points a pour leaves from
        self.size = size                      # the noun's nominal size against the others
        xs = [p.bbox[0] for p in body] + [p.bbox[2] for p in body]
        ys = [p.bbox[1] for p in body] + [p.bbox[3] for p in body]
        self.extent = (min(xs), min(ys) - lid_height, max(xs), max(ys))  # body and closed lid, local units

    def x_extent(self, mirror, scale):
        """Left and right ends of the object in scene pixels from its base centre."""
        a, b = self.extent[0] * mirror * scale, self.extent[2] * mirror * scale
        return min(a, b), max(a, b)


@dataclass
class PlacedObject:
    """An object standing in the scene that no hand touches: a distractor or a pour's receiving container."""
    shape: Shape
    scale: float           # local units -> scene pixels
    position: tuple        # base centre at the clip's start, scene pixels
    velocity: np.ndarray   # scene pixels over the whole clip
    mirror: float
    has_lid: bool
    angle: float
    moving: bool           # moving ones are drawn every frame; still ones once, into the background


# Colour ranges per noun: (hue centre in turns, hue half range), eight disjoint ranges, so a
# noun's colour family is a real cue, as a brand's bottle or a kitchen's set of pans would be;
# 10% of objects are neutral (white / grey / black) and can only be told by their shape.
NOUN_HUES = {"kettle": (0.00, 0.035), "bowl": (0.08, 0.03), "box": (0.15, 0.03), "bottle": (0.30, 0.05),
             "jar": (0.47, 0.04), "pan": (0.60, 0.04), "pot": (0.75, 0.04), "cup": (0.88, 0.04)}


def object_colour(rng, noun):
    if rng.random() < 0.1:
        return hsv(rng.random(), rng.uniform(0, 0.12), rng.uniform(0.2, 0.95))
    hue_centre, hue_range = NOUN_HUES[noun]
    return hsv(hue_centre + rng.uniform(-hue_range, hue_range), rng.uniform(0.5, 0.9), rng.uniform(0.45, 0.95))


class Look:
    """The colours and proportion jitter of one object, drawn before its noun's builder draws its own."""

    def __init__(self, noun, rng):
        self.body = object_colour(rng, noun)
        self.lid = shaded(self.body, rng.uniform(0.75, 1.1)) if rng.random() < 0.5 else random_colour(rng)
        self.dark = hsv(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.08, 0.3))
        self.handle = self.dark if rng.random() < 0.6 else shaded(self.body, 0.8)
        self.inside = shaded(self.body, 0.4)
        self.label = random_colour(rng)
        self.width = rng.uniform(0.9, 1.1)
        self.height = rng.uniform(0.9, 1.1)


def upright(half_width):
    """Shading of an upright cylinder of this half width (light from the left)."""
    return (0, 0, half_width, -0.45)


def bowl(look, rng):
    w, h = 0.55 * look.width, 0.42 * look.height
    body = [Primitive(ELLIPSE, (0, -h, w, h), look.body, clips=[(0, -1, h)], shading=upright(w)),
            Primitive(ROUNDED_BOX, (0, -0.03, 0.2 * look.width, 0.17 * look.width, 0.03, 0.01), shaded(look.body, 0.8)),
            Primitive(ELLIPSE, (0, -h, w, 0.05), look.inside, rim=0.2)]
    lid = [Primitive(ELLIPSE, (0, 0, w * 0.97, 0.17), look.lid, clips=[(0, 1, 0)], shading=upright(w)),
           Primitive(ELLIPSE, (0, -0.19, 0.06, 0.04), shaded(look.lid, 0.7))]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.23, lid_half_width=w, lid_at=-h,
                 grasp=(w * 0.85, -h * 0.6), openings=[(-w, -h), (w, -h)], size=1.0)


def pan(look, rng):
    w, h = 0.47 * look.width, 0.2 * look.height
    handle_length = rng.uniform(0.5, 0.65)
    body = [Primitive(CAPSULES, (w - 0.02, -h * 0.7, w + handle_length, -h * 0.7 - 0.06, 0.035, 0.04), look.handle,
                      shading=(1, -h * 0.7 - 0.03, 0.05, -0.4)),
            Primitive(ROUNDED_BOX, (0, -h / 2, w, w * 0.85, h / 2, 0.03), look.body, shading=upright(w)),
            Primitive(ELLIPSE, (0, -h, w, 0.035), look.inside, rim=0.2)]
    lid = [Primitive(ELLIPSE, (0, 0, w, 0.09), look.lid, clips=[(0, 1, 0)], shading=upright(w)),
           Primitive(ELLIPSE, (0, -0.1, 0.06, 0.035), shaded(look.lid, 0.6))]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.14, lid_half_width=w, lid_at=-h,
                 grasp=(w + handle_length * 0.75, -h * 0.7 - 0.05), openings=[(-w, -h), (w, -h)], size=0.78)


def cup(look, rng):
    w, h = 0.18 * look.width, 0.42 * look.height
    body = [Primitive(RING, (w, -h * 0.55, 0.1, 0.028), look.handle if rng.random() < 0.3 else look.body,
                      clips=[(-1, 0, -w + 0.01)]),
            Primitive(ROUNDED_BOX, (0, -h / 2, w, w * 0.82, h / 2, 0.03), look.body, shading=upright(w)),
            Primitive(ELLIPSE, (0, -h, w, 0.03), look.inside, rim=0.2)]
    lid = [Primitive(ROUNDED_BOX, (0, -0.035, w + 0.01, w + 0.01, 0.035, 0.015), look.lid, shading=upright(w)),
           Primitive(ROUNDED_BOX, (0, -0.08, w * 0.45, w * 0.55, 0.02, 0.01), shaded(look.lid, 0.8))]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.1, lid_half_width=w + 0.01, lid_at=-h,
                 grasp=(w + 0.1, -h * 0.55), openings=[(-w, -h), (w, -h)], size=1.15)


def bottle(look, rng):
    w, body_height = 0.16 * look.width, 0.66 * look.height
    neck_height = 0.24 * rng.uniform(0.85, 1.2)
    neck_width = 0.055 * rng.uniform(0.9, 1.2)
    h = body_height + neck_height
    body = [Primitive(ROUNDED_BOX, (0, -body_height / 2, w, w, body_height / 2, 0.05), look.body, shading=upright(w)),
            Primitive(ELLIPSE, (0, -body_height, w, 0.14), look.body, clips=[(0, 1, -body_height)],
                      shading=upright(w)),
            Primitive(ROUNDED_BOX, (0, -body_height - neck_height / 2, neck_width, neck_width * 1.2, neck_height / 2,
                                    0.015), look.body, shading=upright(neck_width)),
            Primitive(ROUNDED_BOX, (0, -body_height * 0.45, w + 0.003, w + 0.003, body_height * 0.2, 0.0), look.label,
                      shading=upright(w), rim=0.15)]
    cap = [Primitive(ROUNDED_BOX, (0, -0.05, neck_width * 1.3, neck_width * 1.3, 0.05, 0.015), look.lid,
                     stripes=(60, 0.3))]
    return Shape(body, cap, height=h, half_width=w, lid_height=0.1, lid_half_width=neck_width * 1.3, lid_at=-h,
                 grasp=(w * 0.9, -body_height * 0.55), openings=[(0, -h)], size=1.0)


def box(look, rng):
    w, h = 0.4 * look.width, 0.5 * look.height
    label_x = rng.uniform(-0.5, 0.5) * w
    body = [Primitive(ROUNDED_BOX, (0, -h / 2, w, w, h / 2, 0.02), look.body, rim=0.45),
            Primitive(ROUNDED_BOX, (label_x, -h * rng.uniform(0.3, 0.6), w * 0.35, w * 0.35, h * 0.15, 0.02),
                      look.label, rim=0.15)]
    lid = [Primitive(ROUNDED_BOX, (0, -0.05, w + 0.02, w + 0.02, 0.05, 0.015), look.lid, rim=0.45)]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.1, lid_half_width=w + 0.02, lid_at=-h,
                 grasp=(w * 0.95, -h * 0.55), openings=[(-w, -h), (w, -h)], size=0.95)


def pot(look, rng):
    w, h = 0.42 * look.width, 0.5 * look.height
    handle_y = -h * 0.82
    body = [Primitive(CAPSULES, ([w - 0.04, -w + 0.04], [handle_y, handle_y], [w + 0.13, -w - 0.13],
                                 [handle_y, handle_y], 0.035, 0.035), look.handle, shading=(1, handle_y, 0.05, -0.4)),
            Primitive(ROUNDED_BOX, (0, -h / 2, w, w * 0.95, h / 2, 0.05), look.body, shading=upright(w)),
            Primitive(ELLIPSE, (0, -h, w, 0.04), look.inside, rim=0.2)]
    lid = [Primitive(ELLIPSE, (0, 0, w + 0.02, 0.12), look.lid, clips=[(0, 1, 0)], shading=upright(w)),
           Primitive(ELLIPSE, (0, -0.13, 0.07, 0.04), shaded(look.lid, 0.6))]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.17, lid_half_width=w + 0.02, lid_at=-h,
                 grasp=(w + 0.1, handle_y), openings=[(-w, -h), (w, -h)], size=0.9)


def jar(look, rng):
    w, body_height = 0.27 * look.width, 0.41 * look.height
    h = body_height + 0.05
    body = [Primitive(ROUNDED_BOX, (0, -body_height / 2, w, w, body_height / 2, 0.07), look.body, shading=upright(w)),
            Primitive(ROUNDED_BOX, (0, -body_height - 0.025, w * 0.86, w * 0.86, 0.03, 0.01), look.body,
                      shading=upright(w))]
    if rng.random() < 0.7:
        body.append(Primitive(ROUNDED_BOX, (0, -body_height * 0.45, w + 0.003, w + 0.003, body_height * 0.22, 0),
                              look.label, shading=upright(w), rim=0.15))
    lid = [Primitive(ROUNDED_BOX, (0, -0.065, w * 0.97, w * 0.97, 0.065, 0.02), look.lid, shading=upright(w),
                     stripes=(16, 0.35))]
    return Shape(body, lid, height=h, half_width=w, lid_height=0.13, lid_half_width=w * 0.97, lid_at=-h,
                 grasp=(w * 0.9, -body_height * 0.5), openings=[(-w * 0.86, -h), (w * 0.86, -h)], size=1.05)


def kettle(look, rng):
    top_half_width, base_half_width, h = 0.24 * look.width, 0.34 * look.width, 0.58 * look.height
    handle_radius = 0.22 * look.width
    body = [Primitive(CAPSULES, (base_half_width * 0.7, -h * 0.3, base_half_width + 0.17, -h * 0.88, 0.07, 0.03),
                      shaded(look.body, 0.85)),  # the spout
            Primitive(RING, (0, -h, handle_radius, 0.035), look.handle, clips=[(0, 1, -h)]),
            Primitive(ROUNDED_BOX, (0, -h / 2, top_half_width, base_half_width, h / 2, 0.08), look.body,
                      shading=upright(base_half_width)),
            Primitive(ROUNDED_BOX, (0, -0.03, base_half_width - 0.01, base_half_width - 0.01, 0.03, 0.01), look.dark,
                      rim=0.1)]
    lid = [Primitive(ELLIPSE, (0, 0, top_half_width * 0.7, 0.06), look.lid, clips=[(0, 1, 0)],
                     shading=upright(top_half_width)),
           Primitive(ELLIPSE, (0, -0.07, 0.04, 0.03), shaded(look.lid, 0.6))]
    return Shape(body, lid, height=h, half_width=base_half_width, lid_height=0.1,
                 lid_half_width=top_half_width * 0.7, lid_at=-h, grasp=(0, -h - handle_radius),
                 openings=[(base_half_width + 0.17, -h * 0.9)], size=1.0)


NOUN_BUILDERS = {"bowl": bowl, "pan": pan, "cup": cup, "bottle": bottle, "box": box, "pot": pot, "jar": jar,
                 "kettle": kettle}


def make_shape(noun, rng):
    """One object of a noun, with random colours and slightly changed proportions."""
    look = Look(noun, rng)
    return NOUN_BUILDERS[noun](look, rng)
