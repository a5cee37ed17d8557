"""Neural recordings and clocks of a session.

Time runs on the camera clock (frame tick ``k`` at ``k / fps`` seconds). The DAQ that
records spikes has its own clock, ``t_daq = offset + (1 + drift_ppm * 1e-6) * t_camera``.
Random-interval TTL pulses are recorded on both: by the DAQ as times, by the camera as
the frame during which the pulse arrived (pulses in dropped frames are lost).

Units fire as inhomogeneous Poisson processes whose rates depend on the behavior:
``attack_onset`` units burst at attack onsets (and stay a little elevated during the
attack), ``sniff`` units are elevated during sniffing, ``untuned`` units ignore
behavior. Calcium traces are the spikes of tuned cells convolved with an exponential
indicator kernel, sampled at the imaging rate on the DAQ clock, plus noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from etholake.sim.behavior import ATTACK, SNIFF

TUNING_KINDS = ("attack_onset", "sniff", "untuned")
TUNING_PROBABILITIES = (0.3, 0.3, 0.4)
ONSET_TAU_S = 0.3
ATTACK_SUSTAINED = 0.3
PULSE_INTERVAL_S = (0.5, 2.5)
PULSE_JITTER_S = 2e-5
IMAGING_RATE_HZ = 20.0
CALCIUM_TAU_S = 0.6
DAQ_SAMPLING_HZ = 30_000.0


@dataclass(frozen=True)
class ClockMap:
    """``t_daq = offset_s + (1 + drift_ppm * 1e-6) * t_camera``."""

    offset_s: float
    drift_ppm: float

    @property
    def slope(self) -> float:
        """Seconds of DAQ time per second of camera time."""
        return 1.0 + self.drift_ppm * 1e-6

    def to_daq(self, camera_times: np.ndarray) -> np.ndarray:
        """Map camera-clock times to the DAQ clock."""
        return self.offset_s + self.slope * np.asarray(camera_times, dtype=np.float64)


@dataclass(frozen=True)
class UnitTuning:
    """How one unit depends on behavior."""

    kind: str
    baseline_hz: float
    gain: float


@dataclass(frozen=True)
class NeuralSession:
    """Everything a session's neural files hold, plus what produced it.

    Attributes
    ----------
    clock
        Camera-to-DAQ clock map.
    tuning
        One entry per unit.
    spike_times_daq
        Per unit, sorted spike times on the DAQ clock, on its 30 kHz sample grid.
    pulse_times_camera
        True pulse onsets (camera clock).
    pulse_times_daq
        Pulse onsets as the DAQ recorded them.
    calcium
        (imaging frame, cell) dF/F traces, or None.
    calcium_times_daq
        Imaging frame times on the DAQ clock, or None.
    calcium_tuning
        One entry per imaged cell, or None.
    """

    clock: ClockMap
    tuning: tuple[UnitTuning, ...]
    spike_times_daq: tuple[np.ndarray, ...]
    pulse_times_camera: np.ndarray
    pulse_times_daq: np.ndarray
    calcium: np.ndarray | None
    calcium_times_daq: np.ndarray | None
    calcium_tuning: tuple[UnitTuning, ...] | None


def draw_clock(rng: np.random.Generator) -> ClockMap:
    """A DAQ clock started 1 to 30 s before the camera, drifting by up to +-50 ppm."""
    return ClockMap(offset_s=float(rng.uniform(1.0, 30.0)), drift_ppm=float(rng.uniform(-50.0, 50.0)))


def draw_tuning(n_units: int, rng: np.random.Generator) -> tuple[UnitTuning, ...]:
    """Draw ``n_units`` tunings: kinds by :data:`TUNING_PROBABILITIES`, baselines 2-10 Hz, gains 2-5."""
    kinds = rng.choice(len(TUNING_KINDS), size=n_units, p=TUNING_PROBABILITIES)
    baselines = rng.uniform(2.0, 10.0, size=n_units)
    gains = rng.uniform(2.0, 5.0, size=n_units)
    return tuple(
        UnitTuning(TUNING_KINDS[k], float(b), float(g) if TUNING_KINDS[k] != "untuned" else 0.0)
        for k, b, g in zip(kinds, baselines, gains, strict=True)
    )


def attack_onset_drive(states: np.ndarray, fps: float) -> np.ndarray:
    """(tick,) exponentially decaying response to each attack onset, 1 at the onset frame."""
    attack = states == ATTACK
    onsets = attack & ~np.concatenate([[False], attack[:-1]])
    decay = np.exp(-1.0 / (ONSET_TAU_S * fps))
    return lfilter([1.0], [1.0, -decay], onsets.astype(float))


def firing_rates(states: np.ndarray, fps: float, tuning: tuple[UnitTuning, ...]) -> np.ndarray:
    """(tick, unit) firing rates in Hz from the per-tick behavior states."""
    onset = attack_onset_drive(states, fps)
    drive = {
        "attack_onset": onset + ATTACK_SUSTAINED * (states == ATTACK),
        "sniff": (states == SNIFF).astype(float),
        "untuned": np.zeros(states.shape),
    }
    baseline = np.array([unit.baseline_hz for unit in tuning])
    gain = np.array([unit.gain for unit in tuning])
    modulation = np.stack([drive[unit.kind] for unit in tuning], axis=1) if tuning else np.zeros((states.size, 0))
    return baseline * (1.0 + gain * modulation)


def poisson_spikes(rates: np.ndarray, fps: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Per unit, sorted spike times (camera clock) of an inhomogeneous Poisson process, rates per tick."""
    counts = rng.poisson(rates / fps)
    tick_times = np.arange(rates.shape[0]) / fps
    spikes = []
    for unit in range(rates.shape[1]):
        times = np.repeat(tick_times, counts[:, unit])
        spikes.append(np.sort(times + rng.random(times.size) / fps))
    return tuple(spikes)


def sync_pulses(duration_s: float, rng: np.random.Generator) -> np.ndarray:
    """Pulse onsets (camera clock) at random intervals drawn from :data:`PULSE_INTERVAL_S`."""
    mean_interval = float(np.mean(PULSE_INTERVAL_S))
    intervals = rng.uniform(*PULSE_INTERVAL_S, size=int(duration_s / mean_interval * 1.3) + 4)
    times = 0.5 + np.cumsum(intervals)
    return times[times < duration_s - 0.5]


def calcium_traces(
    states: np.ndarray, fps: float, duration_s: float, clock: ClockMap, n_cells: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, tuple[UnitTuning, ...]]:
    """Imaged cells: (frame, cell) dF/F at :data:`IMAGING_RATE_HZ`, their DAQ times and tunings."""
    tuning = draw_tuning(n_cells, rng)
    n_frames = int(duration_s * IMAGING_RATE_HZ)
    camera_times = np.arange(n_frames) / IMAGING_RATE_HZ
    ticks = np.minimum((camera_times * fps).astype(np.int64), states.size - 1)
    rates = firing_rates(states, fps, tuning)[ticks]
    spikes = rng.poisson(rates / IMAGING_RATE_HZ)
    decay = np.exp(-1.0 / (CALCIUM_TAU_S * IMAGING_RATE_HZ))
    fluorescence = lfilter([0.2], [1.0, -decay], spikes, axis=0)
    traces = fluorescence + rng.normal(0.0, 0.05, size=fluorescence.shape)
    return traces.astype(np.float32), clock.to_daq(camera_times), tuning


def simulate_neural(
    states: np.ndarray, fps: float, *, n_units: int, n_cells: int, rng: np.random.Generator
) -> NeuralSession:
    """Simulate the neural side of a session.

    Parameters
    ----------
    states
        (tick,) behavior states on every camera tick (dropped frames included).
    fps
        Camera frame rate.
    n_units
        Number of spiking units.
    n_cells
        Number of imaged cells (0 for no calcium imaging).
    rng
        Random generator.

    Returns
    -------
    NeuralSession
    """
    duration_s = states.size / fps
    clock = draw_clock(rng)
    tuning = draw_tuning(n_units, rng)
    spikes = poisson_spikes(firing_rates(states, fps, tuning), fps, rng)
    pulses = sync_pulses(duration_s, rng)
    pulses_daq = clock.to_daq(pulses) + rng.normal(0.0, PULSE_JITTER_S, size=pulses.size)
    calcium = calcium_times = calcium_tuning = None
    if n_cells:
        calcium, calcium_times, calcium_tuning = calcium_traces(states, fps, duration_s, clock, n_cells, rng)
    return NeuralSession(
        clock=clock,
        tuning=tuning,
        spike_times_daq=tuple(np.round(clock.to_daq(times) * DAQ_SAMPLING_HZ) / DAQ_SAMPLING_HZ for times in spikes),
        pulse_times_camera=pulses,
        pulse_times_daq=pulses_daq,
        calcium=calcium,
        calcium_times_daq=calcium_times,
        calcium_tuning=calcium_tuning,
    )


def drop_frames(n_ticks: int, drop_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Camera ticks that reach the saved video: all but a few (at least one) dropped at random."""
    n_dropped = max(1, int(rng.binomial(n_ticks, drop_rate)))
    dropped = rng.choice(np.arange(1, n_ticks - 1), size=min(n_dropped, n_ticks - 2), replace=False)
    return np.setdiff1d(np.arange(n_ticks), dropped)


def camera_pulse_frames(pulse_times: np.ndarray, saved_ticks: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """Saved-video frame index and camera time of every pulse the camera saw (pulses in dropped frames are lost)."""
    ticks = np.floor(np.asarray(pulse_times) * fps).astype(np.int64)
    frames = np.searchsorted(saved_ticks, ticks)
    seen = (frames < saved_ticks.size) & (saved_ticks[np.minimum(frames, saved_ticks.size - 1)] == ticks)
    return frames[seen], ticks[seen] / fps
