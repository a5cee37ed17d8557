"""Neural data and clocks: drift and offset, behavior-tuned Poisson rates, pulses, dropped frames."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.sim.behavior import ATTACK, SNIFF, STATES, behavior_model, bouts, simulate_states
from etholake.sim.neural import camera_pulse_frames, drop_frames, simulate_neural

FPS = 30.0


@pytest.fixture(scope="module", params=[1, 2], ids=lambda s: f"seed{s}")
def recording(request):
    rng = np.random.default_rng(request.param)
    states = simulate_states(int(30 * 60 * FPS), FPS, rng, behavior_model(1.3))
    return states, simulate_neural(states, FPS, n_units=30, n_cells=12, rng=rng)


def _rates_by_state(states: np.ndarray, recording) -> np.ndarray:
    """(unit, state) measured rates in Hz, spike times mapped back to the camera clock."""
    clock = recording.clock
    rates = np.zeros((len(recording.tuning), len(STATES)))
    for unit, spikes in enumerate(recording.spike_times_daq):
        ticks = np.floor((spikes - clock.offset_s) / clock.slope * FPS).astype(np.int64)
        counts = np.bincount(np.clip(ticks, 0, states.size - 1), minlength=states.size)
        for state in range(len(STATES)):
            rates[unit, state] = counts[states == state].sum() / (np.sum(states == state) / FPS)
    return rates


def test_clock_has_offset_and_drift_within_50_ppm(recording):
    _, neural = recording
    assert abs(neural.clock.drift_ppm) <= 50.0
    slope, offset = np.polyfit(neural.pulse_times_camera, neural.pulse_times_daq, 1)
    assert (slope - 1.0) * 1e6 == pytest.approx(neural.clock.drift_ppm, abs=0.5)
    assert offset == pytest.approx(neural.clock.offset_s, abs=1e-4)


def test_pulses_come_at_random_intervals(recording):
    _, neural = recording
    intervals = np.diff(neural.pulse_times_camera)
    assert intervals.min() >= 0.5 and intervals.max() <= 2.5
    assert intervals.std() > 0.3


def test_spike_times_are_sorted_on_the_daq_clock(recording):
    states, neural = recording
    for spikes in neural.spike_times_daq:
        assert np.all(np.diff(spikes) >= 0)
        assert spikes[0] >= neural.clock.offset_s
        assert spikes[-1] <= neural.clock.to_daq(states.size / FPS)


@pytest.mark.parametrize("kind", ["sniff", "untuned"])
def test_rates_follow_the_tuning(recording, kind):
    states, neural = recording
    rates = _rates_by_state(states, neural)
    units = [i for i, unit in enumerate(neural.tuning) if unit.kind == kind]
    assert units
    for unit in units:
        tuning = neural.tuning[unit]
        assert rates[unit, 0] == pytest.approx(tuning.baseline_hz, rel=0.1)
        expected = tuning.baseline_hz * (1.0 + tuning.gain)
        assert rates[unit, SNIFF] == pytest.approx(expected if kind == "sniff" else tuning.baseline_hz, rel=0.1)


def test_attack_onset_units_rise_at_onset(recording):
    states, neural = recording
    starts, _, values = bouts(states)
    onsets = starts[values == ATTACK] / FPS
    units = [i for i, unit in enumerate(neural.tuning) if unit.kind == "attack_onset"]
    assert units and onsets.size > 10
    for unit in units:
        spikes = (neural.spike_times_daq[unit] - neural.clock.offset_s) / neural.clock.slope
        after = np.mean([np.sum((spikes >= t) & (spikes < t + 0.2)) for t in onsets]) / 0.2
        before = np.mean([np.sum((spikes >= t - 1.2) & (spikes < t - 1.0)) for t in onsets]) / 0.2
        assert after > 1.8 * before


def test_calcium_follows_tuned_cells(recording):
    states, neural = recording
    assert neural.calcium.shape == (neural.calcium_times_daq.size, len(neural.calcium_tuning))
    imaging_ticks = np.minimum(
        ((neural.calcium_times_daq - neural.clock.offset_s) / neural.clock.slope * FPS).astype(np.int64),
        states.size - 1,
    )
    sniffing = states[imaging_ticks] == SNIFF
    for cell, tuning in enumerate(neural.calcium_tuning):
        trace = neural.calcium[:, cell]
        if tuning.kind == "sniff":
            assert trace[sniffing].mean() > 1.5 * trace[~sniffing].mean()


@pytest.mark.parametrize("drop_rate", [0.0, 1e-3, 1e-2])
def test_dropped_frames_and_camera_pulses(drop_rate):
    rng = np.random.default_rng(0)
    n_ticks = 18000
    saved = drop_frames(n_ticks, drop_rate, rng)
    assert np.all(np.diff(saved) >= 1)
    assert 1 <= n_ticks - saved.size <= max(1, 3 * drop_rate * n_ticks)
    pulses = np.sort(rng.uniform(1, n_ticks / FPS - 1, size=300))
    frames, times = camera_pulse_frames(pulses, saved, FPS)
    np.testing.assert_array_equal(saved[frames], np.floor(times * FPS + 1e-9).astype(np.int64))
    lost = ~np.isin(np.floor(pulses * FPS).astype(np.int64), saved)
    assert frames.size == pulses.size - lost.sum()
