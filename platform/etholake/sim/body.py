"""Kinematics and body geometry of the resident and the intruder.

Both animals are rigid-ish mice (eight keypoints around a bending spine) moving in a
rectangular arena, in millimetres with the origin at the arena centre and y pointing
down (image orientation). The intruder wanders with a state-dependent speed (it flees
during chase, freezes under a mount); the resident wanders on its own when the pair is
in ``none`` and otherwise moves to a state-specific place relative to the intruder:

- attack: beside the intruder, facing it, with fast jitter on both animals;
- chase: behind the intruder, aligned, while the intruder runs;
- sniff: its nose at the intruder's tail base (anogenital) or at its nose (face);
- mount: on top of the intruder, aligned.

Everything is vectorized over frames: smooth noise comes from Gaussian-filtered white
noise, paths from cumulative sums, walls from reflection (a triangle wave), and the
approach to a social target from a smooth blending weight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from etholake.sim.behavior import ATTACK, CHASE, MOUNT, NONE, SNIFF

KEYPOINTS = ("nose", "left_ear", "right_ear", "neck", "left_flank", "right_flank", "tail_base", "tail_tip")
INDIVIDUALS = ("resident", "intruder")
SKELETON = (
    ("nose", "left_ear"),
    ("nose", "right_ear"),
    ("nose", "neck"),
    ("neck", "left_flank"),
    ("neck", "right_flank"),
    ("left_flank", "tail_base"),
    ("right_flank", "tail_base"),
    ("tail_base", "tail_tip"),
)
BODY_TEMPLATE_MM = np.array(
    [[45.0, 0.0], [28.0, 9.0], [28.0, -9.0], [20.0, 0.0], [-5.0, 15.0], [-5.0, -15.0], [-40.0, 0.0]]
)
FRONT_KEYPOINTS = np.array([0, 1, 2, 3])
TAIL_LENGTH_MM = 75.0
NOSE_MM, TAIL_BASE_MM = BODY_TEMPLATE_MM[0, 0], -BODY_TEMPLATE_MM[6, 0]
BODY_LENGTH_MM = NOSE_MM + TAIL_BASE_MM

SNIFF_ANOGENITAL, SNIFF_FACE = 1, 2
INTRUDER_SPEED_SCALE = np.array([1.0, 1.6, 6.0, 0.35, 0.12])
INTRUDER_TURN_SCALE = np.array([1.0, 2.5, 0.3, 0.2, 0.1])
BASE_SPEED_MM_S = 55.0
BLEND_SIGMA_S = 0.15
APPROACH_S = 0.6
TARGET_HEADING_SIGMA_S = 0.25
ATTACK_JITTER_MM = 4.0


@dataclass(frozen=True)
class PairKinematics:
    """Positions of both animals.

    Attributes
    ----------
    keypoints_mm
        (frame, individual, keypoint, space) float64, individuals as in :data:`INDIVIDUALS`.
    centre_mm
        (frame, individual, space) body centres.
    heading
        (frame, individual) heading angles in radians (image orientation).
    engagement
        (frame,) weight in [0, 1] of the resident's social target (1 = fully engaged).
    sniff_kind
        (frame,) 0, :data:`SNIFF_ANOGENITAL` or :data:`SNIFF_FACE`.
    scale
        (individual,) body-size factors.
    """

    keypoints_mm: np.ndarray
    centre_mm: np.ndarray
    heading: np.ndarray
    engagement: np.ndarray
    sniff_kind: np.ndarray
    scale: np.ndarray


def smooth_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma_frames: float) -> np.ndarray:
    """Gaussian-filtered white noise along axis 0 with unit variance."""
    white = rng.standard_normal(shape)
    if sigma_frames < 0.3:
        return white
    return gaussian_filter1d(white, sigma_frames, axis=0, mode="reflect") * np.sqrt(2.0 * np.sqrt(np.pi) * sigma_frames)


def reflect_into(values: np.ndarray, half_extent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fold values into [-half_extent, half_extent] by reflection at the walls (a triangle wave).

    Returns the folded values and the sign (+1 or -1) the fold applies to motion along each axis.
    """
    period = 4.0 * half_extent
    shifted = np.mod(values + half_extent, period)
    mirrored = shifted > 2.0 * half_extent
    return np.where(mirrored, period - shifted, shifted) - half_extent, np.where(mirrored, -1.0, 1.0)


def smooth_angle(angle: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Gaussian-smooth an angle series through its unwrapped values, so turns stay continuous rotations."""
    return gaussian_filter1d(np.unwrap(angle), sigma_frames)


def _reflected_heading(heading: np.ndarray, sign: np.ndarray, fps: float) -> np.ndarray:
    direction = _unit(heading) * sign
    return smooth_angle(np.arctan2(direction[:, 1], direction[:, 0]), 0.08 * fps)


def _unit(angle: np.ndarray) -> np.ndarray:
    return np.stack([np.cos(angle), np.sin(angle)], axis=-1)


def _left(forward: np.ndarray) -> np.ndarray:
    return np.stack([forward[..., 1], -forward[..., 0]], axis=-1)


def _free_walk(
    rng: np.random.Generator,
    n_frames: int,
    fps: float,
    speed_scale: np.ndarray,
    turn_scale: np.ndarray,
    urgency: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Displacement (frame, space) and heading of an unconstrained walk; urgency in [0, 1] suppresses pauses."""
    turn_rate = 2.2 * smooth_noise(rng, (n_frames,), 0.25 * fps) * turn_scale
    heading = rng.uniform(-np.pi, np.pi) + np.cumsum(turn_rate) / fps
    pause = 1.0 / (1.0 + np.exp(-3.0 * smooth_noise(rng, (n_frames,), 1.5 * fps) - 1.0))
    pause = 1.0 - (1.0 - pause) * (1.0 - urgency)
    speed = BASE_SPEED_MM_S * np.exp(0.5 * smooth_noise(rng, (n_frames,), 0.5 * fps) - 0.125) * pause * speed_scale
    return np.cumsum(speed[:, None] * _unit(heading), axis=0) / fps, heading


def _resident_target(
    states: np.ndarray, sniff_kind: np.ndarray, attack_side: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Target centre offset (forward, left) in the intruder's frame and relative heading, per frame."""
    resident, intruder = scale
    forward = np.zeros(states.shape)
    lateral = np.zeros(states.shape)
    relative = np.zeros(states.shape)
    anogenital = (states == SNIFF) & (sniff_kind == SNIFF_ANOGENITAL)
    face = (states == SNIFF) & (sniff_kind == SNIFF_FACE)
    forward[anogenital] = -(TAIL_BASE_MM * intruder + NOSE_MM * resident + 4.0)
    forward[face] = NOSE_MM * intruder + NOSE_MM * resident + 6.0
    relative[face] = np.pi
    forward[states == CHASE] = -1.7 * BODY_LENGTH_MM * intruder
    forward[states == MOUNT] = -0.3 * BODY_LENGTH_MM * intruder
    attack = states == ATTACK
    lateral[attack] = attack_side[attack] * 0.5 * BODY_LENGTH_MM * intruder
    relative[attack] = attack_side[attack] * np.pi / 2
    return np.stack([forward, lateral], axis=-1), relative


def _nearest_social(social: np.ndarray) -> np.ndarray:
    """Index of the nearest social frame of every frame (itself when social; 0 when there is none)."""
    frames = np.arange(social.size)
    previous = np.maximum.accumulate(np.where(social, frames, -1))
    following = np.minimum.accumulate(np.where(social, frames, social.size)[::-1])[::-1]
    use_following = (previous < 0) | ((following < social.size) & (following - frames < frames - previous))
    return np.clip(np.where(use_following, following, previous), 0, max(social.size - 1, 0))


def _per_bout_choice(states: np.ndarray, state: int, choices: np.ndarray, p: np.ndarray, rng) -> np.ndarray:
    """A value drawn once per bout of ``state``, broadcast to its frames (0 elsewhere)."""
    change = np.flatnonzero(np.diff(states)) + 1
    starts = np.concatenate([[0], change])
    lengths = np.diff(np.concatenate([starts, [states.size]]))
    drawn = np.where(states[starts] == state, rng.choice(choices, size=starts.size, p=p), 0)
    return np.repeat(drawn, lengths)


def body_keypoints(
    centre: np.ndarray, heading: np.ndarray, bend: np.ndarray, tail_swing: np.ndarray, scale: float
) -> np.ndarray:
    """Place the eight keypoints of one animal.

    Parameters
    ----------
    centre
        (frame, space) body centre in mm.
    heading
        (frame,) heading angle.
    bend
        (frame,) spine bend angle: the head turns by +bend/2, the hindquarters by -bend/2.
    tail_swing
        (frame,) extra angle of the tail relative to the hindquarters.
    scale
        Body-size factor.

    Returns
    -------
    numpy.ndarray
        (frame, keypoint, space) positions in mm.
    """
    template = BODY_TEMPLATE_MM * scale
    half = bend[:, None] / 2.0
    is_front = np.zeros(len(template), dtype=bool)
    is_front[FRONT_KEYPOINTS] = True
    angle = np.where(is_front[None, :], half, np.where(template[None, :, 0] < -20.0, -half, 0.0))
    x = template[None, :, 0] * np.cos(angle) - template[None, :, 1] * np.sin(angle)
    y = template[None, :, 0] * np.sin(angle) + template[None, :, 1] * np.cos(angle)
    tail_angle = np.pi - half[:, 0] - tail_swing
    tip_x = x[:, 6] + TAIL_LENGTH_MM * scale * np.cos(tail_angle)
    tip_y = y[:, 6] + TAIL_LENGTH_MM * scale * np.sin(tail_angle)
    x = np.concatenate([x, tip_x[:, None]], axis=1)
    y = np.concatenate([y, tip_y[:, None]], axis=1)
    forward = _unit(heading)
    left = _left(forward)
    return centre[:, None, :] + x[..., None] * forward[:, None, :] + y[..., None] * left[:, None, :]


def _bend(heading: np.ndarray, fps: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    turn_rate = np.gradient(np.unwrap(heading)) * fps
    bend = np.clip(0.12 * gaussian_filter1d(turn_rate, 0.1 * fps), -0.9, 0.9)
    bend = bend + 0.08 * smooth_noise(rng, heading.shape, 0.4 * fps)
    tail_swing = 1.2 * bend + 0.25 * smooth_noise(rng, heading.shape, 0.5 * fps)
    return bend, tail_swing


def _move_intruder(
    states: np.ndarray, fps: float, half_extent: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intruder centre and heading, and the attack jitter (frame, individual, space) of both animals."""
    sigma_state = 0.15 * fps
    speed = gaussian_filter1d(INTRUDER_SPEED_SCALE[states], sigma_state)
    turn = gaussian_filter1d(INTRUDER_TURN_SCALE[states], sigma_state)
    urgency = gaussian_filter1d(np.isin(states, (ATTACK, CHASE)).astype(float), sigma_state)
    attack_weight = gaussian_filter1d((states == ATTACK).astype(float), 0.05 * fps)
    walk, walk_heading = _free_walk(rng, states.size, fps, speed, turn, urgency)
    start = rng.uniform(-0.6, 0.6, size=2) * half_extent
    jitter = ATTACK_JITTER_MM * attack_weight[:, None, None] * smooth_noise(rng, (states.size, 2, 2), 0.8)
    centre, sign = reflect_into(start + walk + jitter[:, 1], half_extent)
    heading = _reflected_heading(walk_heading, sign, fps)
    heading = heading + 0.5 * attack_weight * smooth_noise(rng, (states.size,), 0.06 * fps)
    return centre, heading, jitter


def _social_target(
    states: np.ndarray,
    intruder_centre: np.ndarray,
    intruder_heading: np.ndarray,
    scale: np.ndarray,
    fps: float,
    half_extent: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Where the resident heads for: target centre and heading, engagement weight, sniff kind.

    Near a wall the pair is shifted inwards so the target stays in the arena; the shifted
    intruder centre is returned too.
    """
    sniff_kind = _per_bout_choice(states, SNIFF, np.array([SNIFF_ANOGENITAL, SNIFF_FACE]), np.array([0.6, 0.4]), rng)
    attack_side = _per_bout_choice(states, ATTACK, np.array([-1, 1]), np.array([0.5, 0.5]), rng)
    social = states != NONE
    nearest = _nearest_social(social)
    offset, relative = _resident_target(states[nearest], sniff_kind[nearest], attack_side[nearest], scale)
    offset = gaussian_filter1d(offset, 0.1 * fps, axis=0)
    relative_unit = gaussian_filter1d(_unit(relative), 0.1 * fps, axis=0)
    slow_heading = smooth_angle(intruder_heading, TARGET_HEADING_SIGMA_S * fps)
    forward = _unit(slow_heading)
    target = intruder_centre + offset[:, :1] * forward + offset[:, 1:] * _left(forward)
    target_heading = slow_heading + np.arctan2(relative_unit[:, 1], relative_unit[:, 0])
    reach = round(APPROACH_S * fps)
    engagement = maximum_filter1d(social.astype(float), size=2 * reach + 1)
    engagement = np.clip(gaussian_filter1d(engagement, BLEND_SIGMA_S * fps), 0.0, 1.0)
    overshoot = gaussian_filter1d(target - np.clip(target, -half_extent, half_extent), 0.2 * fps, axis=0)
    overshoot *= engagement[:, None]
    target = np.clip(target - overshoot, -half_extent, half_extent)
    intruder_centre = np.clip(intruder_centre - overshoot, -half_extent, half_extent)
    return target, target_heading, engagement, intruder_centre, sniff_kind


def _move_resident(
    target: np.ndarray,
    target_heading: np.ndarray,
    engagement: np.ndarray,
    fps: float,
    half_extent: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Resident centre and heading: its own walk, restarted where each engagement ended, blended with the target."""
    n_frames = engagement.size
    ones = np.ones(n_frames)
    walk, walk_heading = _free_walk(rng, n_frames, fps, ones, ones, np.zeros(n_frames))
    start = rng.uniform(-0.6, 0.6, size=2) * half_extent
    last_engaged = np.maximum.accumulate(np.where(engagement > 0.999, np.arange(n_frames), -1))
    anchor = np.maximum(last_engaged, 0)
    free = np.where((last_engaged >= 0)[:, None], target[anchor] + walk - walk[anchor], start + walk)
    free, sign = reflect_into(free, half_extent)
    free_heading = _reflected_heading(walk_heading, sign, fps)
    weight = engagement[:, None]
    centre = (1.0 - weight) * free + weight * target
    direction = (1.0 - weight) * _unit(free_heading) + weight * _unit(target_heading)
    return centre, smooth_angle(np.arctan2(direction[:, 1], direction[:, 0]), 0.08 * fps)


def simulate_pair(
    states: np.ndarray, fps: float, arena_mm: tuple[float, float], rng: np.random.Generator
) -> PairKinematics:
    """Move a resident and an intruder according to a per-frame behavior sequence.

    Parameters
    ----------
    states
        (frame,) indices into :data:`etholake.sim.behavior.STATES`.
    fps
        Frame rate.
    arena_mm
        Arena width and height.
    rng
        Random generator.

    Returns
    -------
    PairKinematics
    """
    states = np.asarray(states, dtype=np.int64)
    half_extent = np.array(arena_mm, dtype=float) / 2.0 - 25.0
    scale = np.array([rng.uniform(0.98, 1.08), rng.uniform(0.82, 0.94)])
    intruder_centre, intruder_heading, jitter = _move_intruder(states, fps, half_extent, rng)
    target, target_heading, engagement, intruder_centre, sniff_kind = _social_target(
        states, intruder_centre, intruder_heading, scale, fps, half_extent, rng
    )
    resident_centre, resident_heading = _move_resident(target, target_heading, engagement, fps, half_extent, rng)
    centres = np.stack([resident_centre + jitter[:, 0], intruder_centre], axis=1)
    headings = np.stack([resident_heading, intruder_heading], axis=1)
    keypoints = np.stack(
        [body_keypoints(centres[:, i], headings[:, i], *_bend(headings[:, i], fps, rng), scale[i]) for i in range(2)],
        axis=1,
    )
    return PairKinematics(keypoints, centres, headings, engagement, sniff_kind.astype(np.int8), scale)
