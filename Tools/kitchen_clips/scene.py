"""A clip's frames: the background with still objects baked in, shifted by the camera; moving distractors; the
object with its lid and any pour stream; the arm and hand; then blur, lighting and sensor noise."""

import math

import numpy as np

from .camera import noise_bank
from .hand import arm_primitives, hand_primitives
from .primitives import CAPSULES, ELLIPSE, F32, SCENE, Primitive, affine, apply_affine, compose, draw, draw_shadow


def render_frames(clip, view, frame_indices):
    """Yield float32 (height, width, 3) frames, about [0, 1] (noise and lighting may overshoot), of the given
    frame indices seen through `view`."""
    margin = int(math.ceil(clip.max_camera / view.pixel_size)) + 2
    background_view = view.grown(margin)
    background = clip.background(background_view).astype(F32)
    still = [d for d in clip.distractors if not d.moving]
    if clip.pour is not None and clip.pour.receiver is not None:
        still.append(clip.pour.receiver)
    for placed in still:
        draw_placed_object(background, background_view, (0.0, 0.0), placed, clip.duration, 0.0)
    light = clip.lighting(view)
    moving = [d for d in clip.distractors if d.moving]
    tracks = clip.tracks(frame_indices)
    noise_rng = np.random.default_rng([clip.seed, 1, int(round(view.pixel_size * 1000))])
    # Noise and blur are per full-size pixel, so they shrink in a downscaled view.
    sigma = clip.noise_sigma * min(1.0, 1.0 / view.pixel_size) ** 0.5
    bank = noise_bank(view.height, view.width) if sigma > 0 else None
    blur = F32(clip.blur * min(1.0, 1.0 / view.pixel_size))
    h, w = view.height, view.width
    for i, frame in enumerate(frame_indices):
        camera_x, camera_y = clip.camera[int(frame)]
        # The background shifted by the camera offset (bilinear).
        fx, fy = camera_x / view.pixel_size, camera_y / view.pixel_size
        jx, jy = int(math.floor(fx)), int(math.floor(fy))
        tx, ty = F32(fx - jx), F32(fy - jy)
        r0, c0 = margin + jy, margin + jx
        a00 = background[r0:r0 + h, c0:c0 + w]
        a01 = background[r0:r0 + h, c0 + 1:c0 + 1 + w]
        a10 = background[r0 + 1:r0 + 1 + h, c0:c0 + w]
        a11 = background[r0 + 1:r0 + 1 + h, c0 + 1:c0 + 1 + w]
        top = a00 + tx * (a01 - a00)
        bottom = a10 + tx * (a11 - a10)
        canvas = top + ty * (bottom - top)
        camera = (camera_x, camera_y)
        pose = {name: float(values[i]) for name, values in tracks.items()}
        for placed in moving:
            draw_placed_object(canvas, view, camera, placed, clip.duration, pose["seconds"])
        draw_action(canvas, view, camera, clip, pose)
        if blur > 0.01:
            c = canvas
            c[:, 1:-1] = (1 - 2 * blur) * c[:, 1:-1] + blur * (c[:, :-2] + c[:, 2:])
            c[1:-1] = (1 - 2 * blur) * c[1:-1] + blur * (c[:-2] + c[2:])
        canvas *= light
        if sigma > 0:
            oy = int(noise_rng.integers(0, bank.shape[0] - h + 1))
            ox = int(noise_rng.integers(0, bank.shape[1] - w + 1))
            canvas += bank[oy:oy + h, ox:ox + w] * F32(sigma)
        yield canvas


def draw_placed_object(canvas, view, camera, placed, duration, seconds):
    """A distractor or receiving container, with its shadow, where it is `seconds` into the clip."""
    shape, S = placed.shape, placed.scale
    x = placed.position[0] + placed.velocity[0] * seconds / max(duration, 1e-6)
    y = placed.position[1] + placed.velocity[1] * seconds / max(duration, 1e-6)
    draw_shadow(canvas, view, camera, x, y, shape.half_width * S * 1.1, S, 0.3)
    body = affine(x, y, placed.angle, S, placed.mirror)
    draw(canvas, view, camera, shape.body, body)
    if placed.has_lid:
        draw(canvas, view, camera, shape.lid, compose(body, np.array([[1, 0, 0], [0, 1, shape.lid_at]])))


def draw_action(canvas, view, camera, clip, pose):
    """The acting object (shadow, body, lid, pour stream) and the arm and hand holding it, at one frame's pose."""
    shape, S, U = clip.shape, clip.scale, clip.short_side
    body = clip.body_affine(pose)
    zoom = pose["zoom"]
    # Contact shadow, fading as the object is lifted.
    opacity = 0.35 * max(0.0, 1 - pose["lift"] / (0.5 * U))
    if opacity > 0.01:
        half_width = (shape.half_width * abs(math.cos(pose["tilt"]))
                      + shape.height * 0.5 * abs(math.sin(pose["tilt"]))) * S * zoom
        draw_shadow(canvas, view, camera, pose["x"], pose["ground_y"], half_width * 1.1, S * zoom, opacity)
    lid = clip.lid_affine(pose, body) if clip.lid_state != "off" else None
    # Hand pose: the closed fingers (0.55 hand lengths from the wrist) over the grasp point, or out along the
    # arm's direction while the hand is not yet in.
    grasp_x, grasp_y = clip.grasp
    if clip.target == "lid":
        hold_x, hold_y = apply_affine(lid, grasp_x * clip.mirror, grasp_y)
    else:
        hold_x, hold_y = apply_affine(body, grasp_x, grasp_y)
    shoulder_x, shoulder_y = clip.shoulder
    away = (1 - pose["hand_in"]) * clip.arm_offscreen
    hold_x += clip.arm_direction[0] * away
    hold_y += clip.arm_direction[1] * away
    angle = math.atan2(hold_y - shoulder_y, hold_x - shoulder_x) + pose["hand_roll"]
    L = clip.hand_length
    wrist_x = hold_x - math.cos(angle) * 0.55 * L
    wrist_y = hold_y - math.sin(angle) * 0.55 * L
    arm_length = math.hypot(wrist_x - shoulder_x, wrist_y - shoulder_y) / L
    arm = affine(wrist_x, wrist_y, math.atan2(wrist_y - shoulder_y, wrist_x - shoulder_x), L, 1.0)
    # A forearm holding the object by its side passes under it (the object is held up in
    # front of it); one reaching for a lid passes over the body.
    arm_under = clip.target == "body"
    if arm_under:
        draw(canvas, view, camera, arm_primitives(clip.hand, arm_length), arm)
    draw(canvas, view, camera, shape.body, body)
    if lid is not None:
        draw(canvas, view, camera, shape.lid, lid, phase=pose["lid_turns"] * 2 * math.pi)
    if clip.pour is not None:
        draw_pour(canvas, view, camera, clip, pose, body)
    if not arm_under:
        draw(canvas, view, camera, arm_primitives(clip.hand, arm_length), arm)
    thumb_side = 1.0 if clip.side > 0 else -1.0
    hand = compose(affine(wrist_x, wrist_y, angle, L, 1.0), np.array([[1, 0, 0], [0, thumb_side, 0]], np.float64))
    draw(canvas, view, camera, hand_primitives(clip.hand, pose["curl"]), hand)


def draw_pour(canvas, view, camera, clip, pose, body):
    """The stream from the opening as a ballistic arc (liquid: a capsule chain; grains: scattered dots), and a
    puddle growing on the counter when nothing receives it."""
    pour, U = clip.pour, clip.short_side
    action_seconds = (clip.action[1] - clip.action[0]) * clip.duration
    now = pose["progress"] * action_seconds
    starts, stops = pour.starts * action_seconds, pour.stops * action_seconds
    if now < starts:
        return
    # Ages of the visible stream: emitted between `starts` and min(now, stops).
    youngest = max(0.0, now - stops)
    oldest = now - starts
    g = pour.gravity
    ex, ey = apply_affine(body, pour.opening[0], pour.opening[1])
    fall = max(pour.landing_y - ey, 1.0)
    vx = pour.direction * pour.speed
    fall_seconds = math.sqrt(2 * g * fall) / g
    oldest_visible = min(oldest, fall_seconds)
    poured = max(0.0, min(now, stops) - starts - fall_seconds)
    if pour.receiver is None and poured > 0:
        r = min(0.12 * U, 0.03 * U + poured * 0.08 * U)
        puddle = Primitive(ELLIPSE, (ex + vx * fall_seconds, pour.landing_y, r, r * 0.3), pour.colour,
                           alpha=0.55 * pour.alpha, soft=r * 0.05, rim=0.1)
        draw(canvas, view, camera, [puddle], SCENE)
    if oldest_visible <= youngest:
        return
    k = 10 if pour.liquid else 24
    ages = np.linspace(youngest, oldest_visible, k)
    # Points emitted `age` ago, placed as if from the opening's current position (an approximation).
    px = ex + vx * ages
    py = ey + 0.5 * g * ages ** 2
    if pour.liquid:
        wobble = 1 + 0.15 * np.sin(ages * 40 + now * 13)
        r = pour.width * 0.5 * wobble * (1 - 0.4 * np.clip(ages / max(fall_seconds, 1e-3), 0, 1))
        stream = Primitive(CAPSULES, (px[:-1], py[:-1], px[1:], py[1:], r[:-1], r[1:]), pour.colour, alpha=pour.alpha,
                           rim=0.15)
    else:
        scatter = np.random.default_rng([clip.seed, 2, int(round(now * 1000))])
        px = px + scatter.normal(0, pour.width * 0.6, k)
        py = py + scatter.normal(0, pour.width * 0.6, k)
        r = np.full(k, pour.width * 0.35)
        stream = Primitive(CAPSULES, (px, py, px, py, r, r), pour.colour, rim=0.3)
    draw(canvas, view, camera, [stream], SCENE)
