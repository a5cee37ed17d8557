"""Tracker realism: noise, occlusion in contact, swaps, jumps, confidence on each tool's scale."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.sim.behavior import MOUNT, behavior_model, simulate_states
from etholake.sim.body import simulate_pair
from etholake.sim.labs import make_lab_profiles
from etholake.sim.tracking import UNDER_MOUNT, contact_strength, track

FPS = 30.0


@pytest.fixture(scope="module")
def scene():
    lab = make_lab_profiles(1, seed=5)[0]
    rng = np.random.default_rng(8)
    states = simulate_states(int(20 * 60 * FPS), FPS, rng, behavior_model(1.3))
    kinematics = simulate_pair(states, FPS, lab.arena_mm, rng)
    return lab, states, kinematics, lab.mm_to_px(kinematics.keypoints_mm)


@pytest.fixture(scope="module", params=["dlc", "sleap"])
def tracked(request, scene):
    lab, states, kinematics, keypoints_px = scene
    result = track(
        keypoints_px,
        kinematics.centre_mm,
        states,
        fps=FPS,
        px_per_mm=lab.px_per_mm,
        noise_mm=1.5,
        tool=request.param,
        swap_probability=0.3,
        rng=np.random.default_rng(9),
    )
    return request.param, result


def test_confidence_is_on_the_tool_scale(tracked):
    tool, result = tracked
    scores = result.confidence[~np.isnan(result.confidence)]
    assert scores.min() > 0
    if tool == "dlc":
        assert scores.max() <= 1.0
    else:
        assert scores.max() > 1.0
        assert np.nanmax(result.instance_score) <= 1.15
        assert np.all((result.tracking_score >= 0) & (result.tracking_score <= 1))


def test_noise_matches_the_lab_noise(scene, tracked):
    lab, _, _, keypoints_px = scene
    _, result = tracked
    clean = ~(result.occluded | result.jumped) & ~result.swapped[:, None, None]
    error = np.linalg.norm(result.position - keypoints_px, axis=-1)[clean]
    expected = 1.5 * lab.px_per_mm * np.sqrt(2.0)
    assert np.median(error) == pytest.approx(0.83 * expected, rel=0.25)


def test_points_go_missing_and_low_confidence_in_contact(scene, tracked):
    _, states, kinematics, _ = scene
    _, result = tracked
    contact = contact_strength(kinematics.centre_mm) > 0.5
    missing = np.isnan(result.position[..., 0])
    assert missing[contact].mean() > 5 * missing[~contact].mean()
    unswapped = ~result.swapped
    under = result.occluded[:, 1][(states == MOUNT) & unswapped][:, UNDER_MOUNT]
    assert under.mean() > 0.5
    visible = ~result.occluded & ~np.isnan(result.confidence)
    hidden = result.occluded & ~np.isnan(result.confidence)
    assert np.median(result.confidence[hidden]) < np.median(result.confidence[visible]) - 0.2


def test_identity_swaps_start_in_contact_and_last_seconds(scene, tracked):
    _, _, kinematics, _ = scene
    _, result = tracked
    onsets = np.flatnonzero(np.diff(result.swapped.astype(np.int8)) != 0) + 1
    assert onsets.size >= 2
    contact = contact_strength(kinematics.centre_mm)
    starts = onsets[result.swapped[onsets]]
    assert np.mean(contact[starts] > 0.5) > 0.7
    assert 0.0 < result.swapped.mean() < 0.2


def test_jumps_are_rare_and_far(scene, tracked):
    _, _, _, keypoints_px = scene
    _, result = tracked
    assert 0 < result.jumped.mean() < 0.005
    unswapped = ~result.swapped[:, None, None]
    error = np.linalg.norm(result.position - keypoints_px, axis=-1)
    assert np.nanmedian(error[result.jumped & unswapped]) > 10 * np.nanmedian(error[~result.jumped & unswapped])
