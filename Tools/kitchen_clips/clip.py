"""Everything about one clip, drawn from its seed: format, timing, counter, lighting, camera, the object, the
hand, the lid, the action's script and the distractors. scene.render_frames draws it.

Scene units are pixels of the full-size frame; `U` is the frame's short side, the unit every size and margin is
given in, and `S` the acting object's scale (scene pixels per local unit). The order of the random draws is part
of every render: reordering them changes what each seed renders.
"""

import math

import numpy as np

from .background import make_background
from .camera import camera_path, make_lighting
from .hand import make_hand
from .keyframes import Script
from .labels import NOUNS, VERBS
from .nouns import PlacedObject, make_shape
from .primitives import affine, compose, ray_exit
from .verbs import VERB_SCRIPTS

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


class Clip:
    """All parameters of one clip; `size`, `fps` and `duration` override the drawn ones (they are drawn anyway,
    so the rest of the clip stays the same)."""

    def __init__(self, clip_seed, verb, noun, size=None, fps=None, duration=None):
        rng = np.random.default_rng([clip_seed, 0])
        self.seed = clip_seed
        self.verb_name, self.noun_name = VERBS[verb][1], NOUNS[noun][1]
        self._choose_format(rng, size, fps, duration)
        U = self.short_side
        self.background = make_background(rng, self.width, self.height, U)
        self.lighting = make_lighting(rng, self.width, self.height, U)
        self.noise_sigma = rng.uniform(0, 6) / 255.0
        self.blur = rng.uniform(0.0, 0.25) if rng.random() < 0.6 else 0.0
        self.camera, self.max_camera = camera_path(rng, self.frames, U)
        self._choose_actor(rng)
        self._choose_lid(rng)
        self._script_action(rng)
        # A lid set aside stays where it is unless the action is about it.
        self.lid_static = self.lid_state == "aside" and self.verb_name not in ("open", "close")
        x, y = self.rest
        self.rest_affine = self.body_affine(dict(x=x, ground_y=y, lift=0.0, tilt=0.0, zoom=1.0))
        self._place_distractors(rng, noun)

    def _choose_format(self, rng, size, fps, duration):
        """Frame size, frame rate, length, and when the action starts and ends (fractions of the clip)."""
        sizes_p = np.array(SIZE_WEIGHTS, float) / sum(SIZE_WEIGHTS)
        width, height = SIZES[rng.choice(len(SIZES), p=sizes_p)]
        frame_rate = FPS_CHOICES[rng.integers(len(FPS_CHOICES))]
        seconds = rng.uniform(2.0, 8.0)
        if size is not None:
            width, height = size
        if fps is not None:
            frame_rate = fps
        if duration is not None:
            seconds = duration
        self.width, self.height, self.fps = width, height, frame_rate
        self.frames = max(int(round(seconds * frame_rate)), 8)
        self.duration = self.frames / frame_rate
        self.short_side = min(width, height)
        start = rng.uniform(0, 0.3)
        length = min(rng.uniform(0.5, 0.9), 0.985 - start)
        self.action = (start, start + length)

    def _choose_actor(self, rng):
        """The object and its rest place, the hand, and the direction the arm comes from."""
        U, centre_x, centre_y = self.short_side, self.width / 2, self.height / 2
        shape = make_shape(self.noun_name, rng)
        S = U * OBJECT_SCALE * shape.size * rng.uniform(0.8, 1.2)
        self.shape, self.scale = shape, S
        self.hand = make_hand(rng)
        self.hand_length = U * 0.17 * self.hand.size

        # The arm's direction: a unit vector from the object towards the shoulder, mostly from below.
        r = rng.random()
        if r < 0.6:
            phi = rng.uniform(math.radians(50), math.radians(130))
        elif r < 0.8:
            phi = rng.uniform(math.radians(-35), math.radians(40))
        else:
            phi = rng.uniform(math.radians(140), math.radians(215))
        self.arm_direction = np.array([math.cos(phi), math.sin(phi)])
        dx = self.arm_direction[0]
        self.side = 1.0 if dx > 0.15 else (-1.0 if dx < -0.15 else rng.choice([-1.0, 1.0]))
        # The object is mirrored so its handle faces the hand; a kettle's spout may face either way.
        self.mirror = rng.choice([-1.0, 1.0]) if self.noun_name == "kettle" else self.side

        # Rest place of the object's base centre, inside the central square.
        x = centre_x + U * rng.uniform(-0.15, 0.15)
        y = centre_y + U * rng.uniform(0.05, 0.28)
        left, right = shape.x_extent(self.mirror, S)
        x = min(max(x, centre_x - 0.47 * U - left), centre_x + 0.47 * U - right) if right - left < 0.94 * U \
            else centre_x
        top = y - S * (shape.height + shape.lid_height)
        if top < centre_y - 0.45 * U:
            y += (centre_y - 0.45 * U) - top
        y = min(y, centre_y + 0.45 * U)
        self.rest = (x, y)

    def _choose_lid(self, rng):
        """Where a lid set aside lies, whether a box lid is hinged, and the lid's state at the start."""
        shape, S, U = self.shape, self.scale, self.short_side
        aside_side = -self.side if rng.random() < 0.7 else self.side
        if abs((self.rest[0] + aside_side * S * 1.5) - self.width / 2) > 0.42 * U:
            aside_side = -aside_side
        self.aside = (aside_side * (shape.half_width + shape.lid_half_width + rng.uniform(0.06, 0.2)), -shape.lid_at)
        self.hinge = self.noun_name == "box" and self.verb_name in ("open", "close") and rng.random() < 0.5
        if self.verb_name == "open":
            self.lid_state = "on"
        elif self.verb_name == "close":
            self.lid_state = "aside"
        elif self.verb_name == "pour":
            self.lid_state = ("on" if rng.random() < 0.7 else "aside") if self.noun_name == "kettle" else \
                ("aside" if rng.random() < 0.5 else "off")
        else:
            self.lid_state = rng.choice(["on", "aside", "off"], p=[0.6, 0.2, 0.2])

    def _script_action(self, rng):
        """The verb's script, and where the arm comes from and goes to."""
        shape, S, U = self.shape, self.scale, self.short_side
        x, y = self.rest
        lid_x, lid_y = (0.0, 0.0) if self.lid_state == "on" else self.aside
        self.script = Script(x=x, ground_y=y, lift=0, tilt=0, zoom=1, lid_x=lid_x, lid_y=lid_y, lid_turns=0, hinge=0,
                             hand_in=0, curl=0, hand_roll=0)
        self.target = "body"                                # what the hand holds: "body" or "lid"
        self.grasp = (shape.grasp[0], shape.grasp[1])       # local point it holds
        self.pour = None
        self.shake = None
        # The direction a taken object leaves the frame in (and a put one comes from): near the arm's.
        a = rng.uniform(-0.4, 0.4)
        dx, dy = self.arm_direction
        self.exit_direction = np.array([dx * math.cos(a) - dy * math.sin(a), dx * math.sin(a) + dy * math.cos(a)])
        self.occupied = [(x + shape.extent[0] * S - 0.05 * U, y + shape.extent[1] * S - 0.05 * U,
                          x + shape.extent[2] * S + 0.05 * U, y + 0.05 * U)]
        VERB_SCRIPTS[self.verb_name](self, rng)
        # The hand waits this far along the arm's direction, off-screen, before it comes in.
        grasp_x, grasp_y = x, y - shape.height * S / 2
        self.arm_offscreen = ray_exit(grasp_x, grasp_y, dx, dy, self.width, self.height) \
            + self.hand_length * 1.6 + 0.1 * U
        self.shoulder = (grasp_x + dx * (self.arm_offscreen + 0.6 * U), grasp_y + dy * (self.arm_offscreen + 0.6 * U))

    def _place_distractors(self, rng, noun):
        """0-2 smaller objects of other nouns, away from the regions the action occupies, some moving slowly."""
        U, W, H = self.short_side, self.width, self.height
        self.distractors = []
        others = [k for k in range(len(NOUNS)) if k != noun]
        for _ in range(rng.choice(3, p=DISTRACTOR_COUNT_P)):
            shape = make_shape(NOUNS[others[rng.integers(len(others))]][1], rng)
            scale = U * OBJECT_SCALE * shape.size * rng.uniform(0.5, 0.8)
            for _attempt in range(12):
                x = rng.uniform(-0.1 * W, 1.1 * W)
                y = rng.uniform(0.25 * H, 1.05 * H)
                x0 = x + shape.extent[0] * scale
                x1 = x + shape.extent[2] * scale
                y0 = y + shape.extent[1] * scale
                y1 = y
                if x1 < 0 or x0 > W or y1 < 0 or y0 > H:
                    continue
                if any(not (x1 < ox0 or x0 > ox1 or y1 < oy0 or y0 > oy1) for ox0, oy0, ox1, oy1 in self.occupied):
                    continue
                self.occupied.append((x0, y0, x1, y1))
                moving = rng.random() < 0.35
                velocity = rng.uniform(-0.06, 0.06, 2) * U if moving else np.zeros(2)
                self.distractors.append(PlacedObject(shape=shape, scale=scale, position=(x, y), velocity=velocity,
                                                     mirror=rng.choice([-1.0, 1.0]), has_lid=rng.random() < 0.6,
                                                     angle=rng.normal(0, 0.05), moving=moving))
                break

    def tracks(self, frame_indices):
        """The script's tracks at the given frames ({name: array}), with the shake added, plus `progress` (of
        the action, unclipped) and `seconds`."""
        seconds = np.asarray(frame_indices, np.float64) / self.fps
        start, end = self.action
        progress = (seconds / self.duration - start) / (end - start)
        tracks = self.script.evaluate(progress)
        tracks["progress"] = progress
        tracks["seconds"] = seconds
        if self.shake is not None:
            shake = self.shake
            s = np.clip((progress - shake.start) / (shake.end - shake.start), 0, 1)
            envelope = np.minimum(1, np.minimum(s, 1 - s) * 8)
            swing = np.sin(2 * math.pi * shake.cycles * s + shake.phase) * envelope
            tracks["x"] = tracks["x"] + swing * shake.amplitude * shake.direction[0]
            tracks["ground_y"] = tracks["ground_y"] + swing * shake.amplitude * shake.direction[1]
            tracks["tilt"] = tracks["tilt"] + np.sin(2 * math.pi * shake.cycles * s + shake.phase + 1.0) * envelope \
                * shake.roll
        return tracks

    def body_affine(self, pose):
        """Body-local -> scene for a pose (x, ground_y, lift, tilt, zoom: one frame's track values), turning
        about the body's centre."""
        S = self.scale * pose["zoom"]
        centre = affine(pose["x"], pose["ground_y"] - pose["lift"] - self.shape.height * S / 2, pose["tilt"], S,
                        self.mirror)
        return compose(centre, np.array([[1, 0, 0], [0, 1, self.shape.height / 2]], np.float64))

    def lid_affine(self, pose, body):
        """Lid-local -> scene, given the body's affine."""
        shape = self.shape
        if self.hinge:
            # The lid turns about its hinge corner (hx, hy), body-local.
            angle = math.radians(pose["hinge"])
            hinge_x = self.hinge_side * self.mirror
            hx, hy = hinge_x * shape.lid_half_width, shape.lid_at
            c, s = math.cos(-hinge_x * angle), math.sin(-hinge_x * angle)
            return compose(body, np.array([[c, -s, hx - c * hx], [s, c, hy - s * hx]]))
        if self.lid_static:
            body = self.rest_affine
        return compose(body, np.array([[1, 0, pose["lid_x"] * self.mirror], [0, 1, shape.lid_at + pose["lid_y"]]],
                                      np.float64))
