"""The semi-Markov behavior process: frequencies, bout lengths, rarity of attacks."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.sim.behavior import ATTACK, NONE, STATES, behavior_model, bouts, one_hot, simulate_states

FPS = 30.0
N_FRAMES = int(6 * 3600 * FPS)


@pytest.fixture(scope="module", params=[0.7, 1.0, 1.3], ids=lambda a: f"aggression{a}")
def long_run(request):
    model = behavior_model(request.param)
    states = simulate_states(N_FRAMES, FPS, np.random.default_rng(3), model)
    return model, states


def test_length_and_values(long_run):
    _, states = long_run
    assert states.shape == (N_FRAMES,)
    assert states.dtype == np.int8
    assert set(np.unique(states)) <= set(range(len(STATES)))


def test_frequencies_match_the_model(long_run):
    model, states = long_run
    observed = np.bincount(states, minlength=len(STATES)) / states.size
    np.testing.assert_allclose(observed, model.expected_fractions(FPS), atol=0.015)


def test_attack_is_rare(long_run):
    _, states = long_run
    assert 0.005 < np.mean(states == ATTACK) <= 0.05


def test_no_state_follows_itself(long_run):
    _, states = long_run
    _, _, values = bouts(states)
    transitions = np.zeros((len(STATES), len(STATES)))
    np.add.at(transitions, (values[:-1], values[1:]), 1)
    assert np.all(np.diag(transitions) == 0)


@pytest.mark.parametrize("state", range(len(STATES)), ids=STATES)
def test_bout_lengths(long_run, state):
    model, states = long_run
    starts, stops, values = bouts(states)
    lengths = (stops - starts)[values == state][1:-1]
    median_s = np.median(lengths) / FPS
    assert median_s == pytest.approx(model.median_bout_s[state], rel=0.15)
    assert lengths.min() >= model.min_bout_frames[state]
    assert lengths.max() <= model.max_bout_s[state] * FPS


def test_bouts_range_from_a_few_frames_to_many_seconds(long_run):
    _, states = long_run
    starts, stops, values = bouts(states)
    lengths = stops - starts
    assert lengths[values == ATTACK].min() <= 3
    assert lengths[values == NONE].max() >= 20 * FPS


def test_one_hot_and_bouts_round_trip():
    states = np.array([0, 0, 1, 1, 3, 0, 4, 4, 4], dtype=np.int8)
    starts, stops, values = bouts(states)
    np.testing.assert_array_equal(np.repeat(values, stops - starts), states)
    present = one_hot(states)
    assert present.shape == (9, 4)
    np.testing.assert_array_equal(present.sum(axis=1), states != 0)
