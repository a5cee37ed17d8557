"""Kinematics and body geometry: shapes hold together and each behavior moves as it should."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.sim.behavior import ATTACK, CHASE, MOUNT, NONE, SNIFF, behavior_model, bouts, simulate_states
from etholake.sim.body import BODY_LENGTH_MM, KEYPOINTS, SNIFF_ANOGENITAL, reflect_into, simulate_pair

FPS = 30.0
ARENA = (400.0, 300.0)
K = {name: index for index, name in enumerate(KEYPOINTS)}


@pytest.fixture(scope="module", params=[1, 2], ids=lambda s: f"seed{s}")
def pair(request):
    rng = np.random.default_rng(request.param)
    states = simulate_states(int(20 * 60 * FPS), FPS, rng, behavior_model())
    return states, simulate_pair(states, FPS, ARENA, rng)


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(a - b, axis=-1)


def _inner(states: np.ndarray, state: int, margin: int) -> np.ndarray:
    """Frames of ``state`` at least ``margin`` frames from the edges of their bout."""
    starts, stops, values = bouts(states)
    inner = np.zeros(states.size, dtype=bool)
    for start, stop in zip(starts[values == state], stops[values == state], strict=True):
        inner[start + margin : stop - margin] = True
    return inner


@pytest.mark.parametrize(
    ("first", "second", "low", "high"),
    [("nose", "tail_base", 0.8, 1.01), ("left_ear", "right_ear", 0.18, 0.23), ("tail_base", "tail_tip", 0.8, 0.95)],
)
def test_body_geometry_holds_together(pair, first, second, low, high):
    _, kinematics = pair
    length = _distance(kinematics.keypoints_mm[:, :, K[first]], kinematics.keypoints_mm[:, :, K[second]])
    size = kinematics.scale * BODY_LENGTH_MM
    assert np.all(length >= low * size) and np.all(length <= high * size)


def test_nose_leads_and_left_is_left(pair):
    _, kinematics = pair
    heading = np.stack([np.cos(kinematics.heading), np.sin(kinematics.heading)], axis=-1)
    nose = kinematics.keypoints_mm[:, :, K["nose"]] - kinematics.centre_mm
    assert np.all(np.sum(nose * heading, axis=-1) > 0)
    left = np.stack([heading[..., 1], -heading[..., 0]], axis=-1)
    ear = kinematics.keypoints_mm[:, :, K["left_ear"]] - kinematics.keypoints_mm[:, :, K["right_ear"]]
    assert np.all(np.sum(ear * left, axis=-1) > 0)


def test_animals_stay_in_the_arena_and_never_teleport(pair):
    _, kinematics = pair
    body = kinematics.keypoints_mm[:, :, [K[name] for name in KEYPOINTS if name != "tail_tip"]]
    inside = np.all(np.abs(body) <= np.array(ARENA) / 2 + 10.0, axis=-1)
    assert inside.mean() > 0.97
    speed = np.linalg.norm(np.diff(kinematics.keypoints_mm, axis=0), axis=-1) * FPS
    assert speed.max() < 4000.0
    assert np.percentile(np.linalg.norm(np.diff(kinematics.centre_mm, axis=0), axis=-1) * FPS, 99) < 1000.0


def test_attack_is_close_jittery_contact(pair):
    states, kinematics = pair
    attack = _inner(states, ATTACK, 2)
    sniff = _inner(states, SNIFF, 5)
    separation = _distance(kinematics.centre_mm[:, 0], kinematics.centre_mm[:, 1])
    assert np.median(separation[attack]) < 0.6 * BODY_LENGTH_MM
    speed = np.linalg.norm(np.gradient(kinematics.centre_mm, axis=0), axis=-1) * FPS
    assert np.median(speed[attack, 0]) > 3 * np.median(speed[sniff, 0])


def test_chase_is_pursuit_at_speed(pair):
    states, kinematics = pair
    chase = _inner(states, CHASE, 8)
    speed = np.linalg.norm(np.gradient(kinematics.centre_mm, axis=0), axis=-1) * FPS
    assert np.median(speed[chase, 1]) > 150.0
    assert np.median(speed[chase, 1]) > 4 * np.median(speed[states == NONE, 1])
    behind = kinematics.centre_mm[:, 1] - kinematics.centre_mm[:, 0]
    heading = np.stack([np.cos(kinematics.heading[:, 0]), np.sin(kinematics.heading[:, 0])], axis=-1)
    facing = np.sum(behind * heading, axis=-1) / np.linalg.norm(behind, axis=-1)
    assert np.median(facing[chase]) > 0.8


def test_sniff_puts_the_nose_at_the_head_or_tail_base(pair):
    states, kinematics = pair
    sniff = _inner(states, SNIFF, 10)
    nose = kinematics.keypoints_mm[:, 0, K["nose"]]
    anogenital = _distance(nose, kinematics.keypoints_mm[:, 1, K["tail_base"]])
    face = _distance(nose, kinematics.keypoints_mm[:, 1, K["nose"]])
    near = np.where(kinematics.sniff_kind == SNIFF_ANOGENITAL, anogenital, face)
    assert np.mean(near[sniff] < 20.0) > 0.9
    assert set(np.unique(kinematics.sniff_kind[sniff])) == {1, 2}


def test_mount_is_on_top_and_aligned(pair):
    states, kinematics = pair
    mount = _inner(states, MOUNT, 10)
    separation = _distance(kinematics.centre_mm[:, 0], kinematics.centre_mm[:, 1])
    assert np.median(separation[mount]) < 0.35 * BODY_LENGTH_MM
    alignment = np.cos(kinematics.heading[:, 0] - kinematics.heading[:, 1])
    assert np.median(alignment[mount]) > 0.95


@pytest.mark.parametrize("value", [-1000.0, -151.0, -20.0, 0.0, 149.0, 151.0, 777.0])
def test_reflect_into_stays_in_bounds(value):
    folded, sign = reflect_into(np.array([value]), np.array([150.0]))
    assert -150.0 <= folded[0] <= 150.0
    assert sign[0] in (-1.0, 1.0)
