"""One function per verb, in VERB_SCRIPTS: each keys its action into the clip's script.

The script's tracks (keyframes.Script): x, ground_y (the object's base centre on the counter, scene pixels), lift
(how far it is held above that, scene pixels), tilt (radians), zoom (size factor: nearer the camera), lid_x,
lid_y (the lid's offset from its closed place, body-local units), lid_turns (how many turns a screw lid has made),
hinge (a hinged lid's opening angle, degrees), hand_in (0: the hand is off-screen, 1: at the grasp point), curl
(0: open hand, 1: closed on the object), hand_roll (radians added to the hand's direction).

A verb's function may also change what the hand holds (clip.target, clip.grasp), set up a pour or a shake, and
appends to clip.occupied the regions its motion sweeps, which distractors are kept out of. `U` is the frame's
short side and `S` the object's scale (scene pixels per local unit). The order of the random draws is part of
every render: reordering them changes what each seed renders.
"""

import math
from dataclasses import dataclass

import numpy as np

from .colour import hsv
from .nouns import PlacedObject, make_shape
from .primitives import apply_affine, ray_exit


@dataclass
class Pour:
    """A stream (liquid) or a trickle of grains leaving the tilted object's lowest opening."""
    starts: float              # progress of the action when it starts, and stops
    stops: float
    opening: tuple             # body-local point it leaves from
    direction: float           # +1: the object tilts (and the stream leaves) towards +x
    liquid: bool
    colour: np.ndarray
    width: float               # scene pixels
    speed: float               # horizontal speed, scene pixels per second
    gravity: float             # scene pixels per second squared
    alpha: float
    receiver: PlacedObject     # the container it lands in, or None: it lands on the counter and spreads
    landing_y: float


@dataclass
class Shake:
    start: float               # progress of the action at the start of the shaking phase, and at its end
    end: float
    cycles: float
    amplitude: float           # scene pixels
    direction: tuple           # unit vector
    roll: float                # radians the object rocks by
    phase: float


def reach(script, rng):
    """The hand comes in and closes on the grasp point."""
    script.phase(rng.uniform(0.15, 0.28), hand_in=1)
    script.phase(rng.uniform(0.05, 0.1), curl=1)


def retreat(script, rng):
    """The hand opens and leaves."""
    script.phase(rng.uniform(0.05, 0.1), curl=0)
    script.phase(rng.uniform(0.15, 0.28), hand_in=0, hand_roll=0)


def object_span(clip):
    """The object's larger extent (body and closed lid), scene pixels."""
    extent = clip.shape.extent
    return max(extent[2] - extent[0], extent[3] - extent[1]) * clip.scale


def out_of_frame(clip, rng):
    """Where a taken object goes and a put one comes from: past the frame's edge along clip.exit_direction,
    held up, and sometimes nearer the camera."""
    shape, S = clip.shape, clip.scale
    x, y = clip.rest
    dx, dy = clip.exit_direction
    distance = ray_exit(x, y - shape.height * S / 2, dx, dy, clip.width, clip.height) \
        + object_span(clip) * 1.3 + clip.hand_length
    lift = rng.uniform(0.15, 0.5) * shape.height * S
    zoom = rng.uniform(0.75, 0.95) if rng.random() < 0.3 else 1.0
    return dict(x=x + dx * distance, ground_y=y + dy * distance, lift=lift, zoom=zoom)


def take(clip, rng):
    """The object is grasped, lifted and carried out of the frame."""
    script = clip.script
    away = out_of_frame(clip, rng)
    reach(script, rng)
    script.phase(rng.uniform(0.08, 0.15), lift=away["lift"])
    script.phase(rng.uniform(0.3, 0.5), x=away["x"], ground_y=away["ground_y"], zoom=away["zoom"])


def put(clip, rng):
    """The object, held, comes in from out of the frame, is set down at its rest place and let go."""
    script = clip.script
    x, y = clip.rest
    script.start(**out_of_frame(clip, rng), hand_in=1, curl=1)
    script.phase(rng.uniform(0.3, 0.5), x=x, ground_y=y, zoom=1)
    script.phase(rng.uniform(0.08, 0.15), lift=0)
    retreat(script, rng)


def lid_lift(clip, rng):
    """How high a lid is lifted off, body-local units. Drawn for hinged lids too, which do not use it, because
    the draws after it depend on its place in the random stream."""
    return rng.uniform(0.15, 0.35) * clip.shape.height + clip.shape.lid_height


def hinge_grasp(clip, rng):
    """A hinged box lid: the hinge at one side, the hand on the free edge; returns the open angle (degrees)."""
    shape = clip.shape
    clip.hinge_side = -clip.side if rng.random() < 0.7 else clip.side  # hinge at this side of the lid (+x world)
    angle = rng.uniform(95, 140)
    clip.grasp = (-clip.hinge_side * shape.lid_half_width * 0.8 * clip.mirror, -shape.lid_height * 0.5)
    clip.script.start(lid_x=0, lid_y=0)
    return angle


def twist(script, rng):
    """A screw lid (jar, bottle) turns a few times, the hand rolling with it."""
    script.phase(rng.uniform(0.1, 0.2), lid_turns=rng.uniform(2, 4) * (1 if rng.random() < 0.5 else -1),
                 hand_roll=rng.uniform(0.3, 0.6) * rng.choice([-1, 1]))


def is_screw_lid(clip):
    return clip.noun_name in ("jar", "bottle")


def keep_lid_place_clear(clip):
    """Keeps distractors off the place beside the object where its lid lies."""
    x, y = clip.rest
    S, U, shape = clip.scale, clip.short_side, clip.shape
    aside_x = clip.aside[0]
    clip.occupied.append((x + aside_x * S - shape.lid_half_width * S - 0.03 * U, y - shape.lid_height * S - 0.03 * U,
                          x + aside_x * S + shape.lid_half_width * S + 0.03 * U, y + 0.03 * U))


def open_lid(clip, rng):
    """The lid swings open on its hinge, or is (unscrewed,) lifted off and set down beside the object."""
    script = clip.script
    clip.target = "lid"
    lift = lid_lift(clip, rng)
    if clip.hinge:
        angle = hinge_grasp(clip, rng)
        reach(script, rng)
        script.phase(rng.uniform(0.3, 0.45), hinge=angle)
        retreat(script, rng)
    else:
        aside_x, aside_y = clip.aside
        clip.grasp = (0.0, -clip.shape.lid_height * 0.55)
        reach(script, rng)
        if is_screw_lid(clip):
            twist(script, rng)
        script.phase(rng.uniform(0.08, 0.15), lid_y=-lift, hand_roll=0)
        script.phase(rng.uniform(0.12, 0.2), lid_x=aside_x, lid_y=-lift * rng.uniform(0.6, 1.0))
        script.phase(rng.uniform(0.08, 0.15), lid_y=aside_y)
        retreat(script, rng)
    keep_lid_place_clear(clip)


def close_lid(clip, rng):
    """The lid swings shut on its hinge, or is picked up from beside the object, put on (and screwed down)."""
    script = clip.script
    clip.target = "lid"
    lift = lid_lift(clip, rng)
    if clip.hinge:
        angle = hinge_grasp(clip, rng)
        script.start(hinge=angle)
        reach(script, rng)
        script.phase(rng.uniform(0.3, 0.45), hinge=0)
        retreat(script, rng)
    else:
        clip.grasp = (0.0, -clip.shape.lid_height * 0.55)
        reach(script, rng)
        script.phase(rng.uniform(0.08, 0.15), lid_y=-lift * rng.uniform(0.6, 1.0))
        script.phase(rng.uniform(0.12, 0.2), lid_x=0, lid_y=-lift)
        script.phase(rng.uniform(0.08, 0.15), lid_y=0)
        if is_screw_lid(clip):
            twist(script, rng)
            script.phase(0.03, hand_roll=0)
        retreat(script, rng)
    keep_lid_place_clear(clip)


# Share of pours that are grains rather than liquid, by noun; the other nouns always pour liquid.
GRAINS_SHARE = {"box": 0.6, "jar": 0.5, "bowl": 0.25, "cup": 0.15}
LIQUID_COLOURS = [hsv(0.55, 0.3, 0.95), hsv(0.1, 0.05, 0.97), hsv(0.08, 0.9, 0.95),
                  hsv(0.07, 0.8, 0.35), hsv(0.14, 0.8, 0.9), hsv(0.95, 0.8, 0.5)]
GRAIN_COLOURS = [hsv(0.1, 0.1, 0.95), hsv(0.09, 0.6, 0.75), hsv(0.05, 0.6, 0.3), hsv(0.3, 0.6, 0.5)]
RECEIVERS = ("bowl", "pot", "pan", "cup", "jar")


def pour(clip, rng):
    """The object is lifted, moved aside, tilted over so a stream leaves its lowest opening (into a container
    standing there, or onto the counter), held, tilted back and set down where it was."""
    shape, S, U, W = clip.shape, clip.scale, clip.short_side, clip.width
    script = clip.script
    x, y = clip.rest
    if clip.noun_name == "kettle":
        direction = clip.mirror  # towards its spout
    elif clip.noun_name == "bottle":
        direction = rng.choice([-1.0, 1.0])
    else:
        direction = -clip.side if rng.random() < 0.8 else clip.side  # away from the arm, mostly
    shift = rng.uniform(0.05, 0.2) * U
    reach_out = shape.height * S * 0.6 + 0.04 * U

    def spot(sign):
        return x + sign * (shift + reach_out)
    # Keep the tilted object within the central square: pour the other way, or shift less.
    if abs(spot(direction) - W / 2) > 0.4 * U:
        direction = -direction
        if clip.noun_name == "kettle":
            clip.mirror = -clip.mirror
    if abs(spot(direction) - W / 2) > 0.4 * U:
        shift = max(0.0, 0.4 * U - abs(x + direction * reach_out - W / 2))
    tilt = direction * math.radians(rng.uniform(75, 115))
    lift = rng.uniform(0.3, 0.7) * shape.height * S + 0.05 * U
    reach(script, rng)
    script.phase(rng.uniform(0.08, 0.15), lift=lift, x=x + direction * shift)
    tilting = script.phase(rng.uniform(0.1, 0.18), tilt=tilt)
    script.phase(rng.uniform(0.15, 0.35))
    tilting_back = script.phase(rng.uniform(0.08, 0.15), tilt=0)
    script.phase(rng.uniform(0.08, 0.15), lift=0, x=x)
    retreat(script, rng)
    b = script.bounds()
    starts = b[tilting] + 0.55 * (b[tilting + 1] - b[tilting])
    stops = b[tilting_back] + 0.45 * (b[tilting_back + 1] - b[tilting_back])
    opening = max(shape.openings, key=lambda o: o[0] * clip.mirror * direction)
    liquid = rng.random() >= GRAINS_SHARE.get(clip.noun_name, 0.0)
    colour = LIQUID_COLOURS[rng.integers(len(LIQUID_COLOURS))] if liquid else \
        GRAIN_COLOURS[rng.integers(len(GRAIN_COLOURS))]
    width, speed, gravity, alpha = (rng.uniform(0.015, 0.035) * U, rng.uniform(0.15, 0.5) * U,
                                    rng.uniform(6, 10) * U, rng.uniform(0.75, 0.95))
    # Where the opening is at full tilt: the stream lands in a receiving container below it, or on the counter.
    tilted = clip.body_affine(dict(x=x + direction * shift, ground_y=y, lift=lift, tilt=tilt, zoom=1.0))
    ex, ey = apply_affine(tilted, opening[0], opening[1])
    receiver = None
    landing_y = max(y + rng.uniform(0.0, 0.08) * U, ey + 0.08 * U)
    if rng.random() < 0.75:
        kinds = [k for k in RECEIVERS if k != clip.noun_name]
        receiver_shape = make_shape(kinds[rng.integers(len(kinds))], rng)
        receiver_scale = U * 0.36 * receiver_shape.size * rng.uniform(0.7, 1.0)
        receiver_y = max(y + rng.uniform(0.0, 0.1) * U, ey + receiver_shape.height * receiver_scale + 0.08 * U)
        receiver_x = ex + direction * rng.uniform(0.03, 0.08) * U
        left = receiver_x + receiver_shape.extent[0] * receiver_scale
        right = receiver_x + receiver_shape.extent[2] * receiver_scale
        object_left, object_right = shape.x_extent(clip.mirror, S)
        # The receiver stands beside the object, overlapping it by at most 0.03 U.
        clear = right < x + object_left + 0.03 * U or left > x + object_right - 0.03 * U
        if receiver_y < clip.height / 2 + 0.5 * U and clear:
            receiver = PlacedObject(shape=receiver_shape, scale=receiver_scale, position=(receiver_x, receiver_y),
                                    velocity=np.zeros(2), mirror=rng.choice([-1.0, 1.0]), has_lid=False, angle=0.0,
                                    moving=False)
            landing_y = receiver_y - receiver_shape.height * receiver_scale * 0.9
            clip.occupied.append((left, receiver_y - receiver_shape.height * receiver_scale, right, receiver_y))
    clip.pour = Pour(starts=starts, stops=stops, opening=opening, direction=direction, liquid=liquid, colour=colour,
                     width=width, speed=speed, gravity=gravity, alpha=alpha, receiver=receiver, landing_y=landing_y)
    clip.occupied.append((ex - 0.1 * U, ey, ex + 0.1 * U, landing_y))
    clip.occupied.append((x - 0.2 * U + min(0, direction) * shift, y - lift - shape.height * S - 0.1 * U,
                          x + 0.2 * U + max(0, direction) * shift, y))


def move(clip, rng):
    """The object slides a little way along the counter, its ends staying within 0.55 U of the frame's centre."""
    shape, S, U, W = clip.shape, clip.scale, clip.short_side, clip.width
    script = clip.script
    x, y = clip.rest
    left_end, right_end = shape.x_extent(clip.mirror, S)
    lowest, highest = W / 2 - 0.55 * U - left_end, W / 2 + 0.55 * U - right_end  # allowed base x range
    distance = rng.uniform(0.22, 0.42) * U
    room_right, room_left = highest - x, x - lowest
    sign = rng.choice([-1.0, 1.0])
    if (room_right if sign > 0 else room_left) < distance:
        sign = -sign
    room = room_right if sign > 0 else room_left
    dx = sign * max(min(distance, room), 0.2 * U)
    dy = rng.uniform(-0.08, 0.08) * U
    reach(script, rng)
    script.phase(rng.uniform(0.25, 0.45), x=x + dx, ground_y=y + dy, lift=rng.uniform(0, 0.03) * U)
    script.phase(0.03, lift=0)
    retreat(script, rng)
    clip.occupied.append((x + dx + shape.extent[0] * S - 0.05 * U, y + dy + shape.extent[1] * S - 0.05 * U,
                          x + dx + shape.extent[2] * S + 0.05 * U, y + dy + 0.05 * U))
    clip.occupied.append((min(x, x + dx) - 0.1 * U, y - 0.2 * U, max(x, x + dx) + 0.1 * U, y + 0.1 * U))


def shake(clip, rng):
    """The object is lifted and shaken along one direction, rocking, then set down."""
    shape, S, U = clip.shape, clip.scale, clip.short_side
    script = clip.script
    x, y = clip.rest
    lift = rng.uniform(0.15, 0.5) * shape.height * S + 0.02 * U
    reach(script, rng)
    script.phase(rng.uniform(0.08, 0.15), lift=lift)
    shaking = script.phase(rng.uniform(0.35, 0.55))
    script.phase(rng.uniform(0.08, 0.15), lift=0)
    retreat(script, rng)
    b = script.bounds()
    kind = rng.random()
    angle = 0.0 if kind < 0.5 else (math.pi / 2 if kind < 0.75 else rng.uniform(0, math.pi))
    clip.shake = Shake(start=b[shaking], end=b[shaking + 1], cycles=rng.uniform(3, 5.5),
                       amplitude=rng.uniform(0.07, 0.15) * U, direction=(math.cos(angle), math.sin(angle)),
                       roll=math.radians(rng.uniform(5, 25)), phase=rng.uniform(0, 2 * math.pi))
    clip.occupied.append((x - 0.35 * U, y - 0.4 * U - lift, x + 0.35 * U, y + 0.1 * U))


def turn(clip, rng):
    """The object is turned about its centre by 90-270 degrees, the hand rolling part of the way with it."""
    shape, S = clip.shape, clip.scale
    script = clip.script
    x, y = clip.rest
    clip.grasp = (0.0, -shape.height * 0.5)
    angle = math.radians(rng.uniform(90, 270)) * rng.choice([-1, 1])
    reach(script, rng)
    script.phase(rng.uniform(0.3, 0.5), tilt=angle, hand_roll=angle * rng.uniform(0.3, 0.6))
    retreat(script, rng)
    span = object_span(clip)
    clip.occupied.append((x - span * 0.7, y - shape.height * S / 2 - span * 0.7,
                          x + span * 0.7, y - shape.height * S / 2 + span * 0.7))


VERB_SCRIPTS = {"take": take, "put": put, "open": open_lid, "close": close_lid, "pour": pour, "move": move,
                "shake": shake, "turn": turn}
