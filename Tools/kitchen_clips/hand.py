"""The hand: a sleeve, a forearm, a palm, four fingers and a thumb.

Hand-local units are the hand's length; the origin is at the wrist, +x towards the fingers, +y to the thumb side.
"""

from dataclasses import dataclass

import numpy as np

from .colour import hsv, random_colour
from .primitives import CAPSULES, ELLIPSE, Primitive


@dataclass
class Hand:
    skin: np.ndarray
    sleeve: np.ndarray
    size: float        # length against the frame's short side, relative to the nominal 0.17
    width: float       # against the nominal width
    sleeve_at: float   # distance from the wrist where the sleeve starts, hand lengths


def make_hand(rng):
    skin = hsv(rng.uniform(0.02, 0.1), rng.uniform(0.25, 0.6), rng.uniform(0.35, 0.95))
    if rng.random() < 0.12:  # gloves
        skin = random_colour(rng)
    sleeve = random_colour(rng)
    return Hand(skin=skin, sleeve=sleeve, size=rng.uniform(0.85, 1.2), width=rng.uniform(0.85, 1.15),
                sleeve_at=rng.uniform(0.8, 2.5))


def hand_primitives(hand, curl):
    """Palm, fingers and thumb; curl 0 = open hand, 1 = closed around an object."""
    w = hand.width
    finger_lengths = np.array([0.3, 0.38, 0.36, 0.28]) * (1 - 0.45 * curl)
    finger_ys = np.array([-0.22, -0.075, 0.075, 0.21]) * w
    knuckle_xs = np.full(4, 0.6)
    tip_xs = knuckle_xs + finger_lengths
    tip_ys = finger_ys * (1.08 - 0.1 * curl)
    thumb_tip_x = 0.5 + 0.14 * (1 - curl)
    thumb_tip_y = (0.36 - 0.12 * curl) * w
    fingers = Primitive(CAPSULES, (np.r_[knuckle_xs, 0.22], np.r_[finger_ys, 0.18 * w], np.r_[tip_xs, thumb_tip_x],
                                   np.r_[tip_ys, thumb_tip_y], np.r_[np.full(4, 0.085 * w), 0.095 * w],
                                   np.r_[np.full(4, 0.075 * w), 0.085 * w]), hand.skin, rim=0.3)
    palm = Primitive(ELLIPSE, (0.36, 0, 0.36, 0.31 * w), hand.skin, shading=(1, 0, 0.31 * w, -0.3))
    return [palm, fingers]


def arm_primitives(hand, arm_length):
    """Forearm from the wrist back to the shoulder and a sleeve over its far part."""
    w = hand.width
    arm = Primitive(CAPSULES, (0.0, 0.0, -arm_length, 0.0, 0.22 * w, 0.32 * w), hand.skin,
                    shading=(1, 0, 0.25 * w, -0.3))
    sleeve = Primitive(CAPSULES, (-hand.sleeve_at, 0.0, -arm_length - 1, 0.0, 0.36 * w, 0.4 * w), hand.sleeve,
                       shading=(1, 0, 0.38 * w, -0.3))
    return [arm, sleeve]
