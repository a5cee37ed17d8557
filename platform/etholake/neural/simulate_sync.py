"""Simulated sessions with known clocks, for testing sync, alignment and statistics.

A camera (video clock) and a neural DAQ (neural clock) record the same random-interval
sync pulses; ``neural = slope * video + offset`` with ``slope = 1 + drift_ppm * 1e-6``.
Pulses go missing and spurious ones appear on each line, frames are dropped (the frame
counter keeps counting), and units fire Poisson spikes, some with a higher rate during
the bouts of one behavior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from etholake.neural.containers import Units

NEURAL_SAMPLING_RATE = 30_000.0
VIDEO_LINE_SAMPLING_RATE = 10_000.0


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated session and its ground truth.

    Attributes
    ----------
    video_pulses, neural_pulses
        Sync pulse times as recorded on each clock (with missing and spurious pulses).
    frame_counter
        Hardware counter of each recorded frame.
    frame_times_neural
        True neural-clock time of each recorded frame.
    bouts
        Bouts table (behavior, start_frame, stop_frame [inclusive], start_time, stop_time
        [video clock, end of the last frame], duration, mean/max probability).
    probabilities
        (time, behavior) float32 per recorded frame, ``time`` on the video clock.
    units
        Spike trains on the neural clock; metadata columns ``tuned_behavior`` ("" if none)
        and ``gain``.
    """

    duration: float
    fps: float
    slope: float
    offset: float
    video_pulses: np.ndarray
    neural_pulses: np.ndarray
    frame_counter: np.ndarray
    frame_times_video: np.ndarray
    frame_times_neural: np.ndarray
    bouts: pd.DataFrame
    probabilities: xr.DataArray
    units: Units

    @property
    def drift_ppm(self) -> float:
        return (self.slope - 1.0) * 1e6


def simulate_session(
    *,
    duration: float = 3600.0,
    fps: float = 30.0,
    offset: float = 7.25,
    drift_ppm: float = 50.0,
    behaviors: tuple[str, ...] = ("groom", "rear", "walk"),
    n_units: int = 40,
    n_tuned: int = 12,
    gain: float = 2.5,
    base_rate: tuple[float, float] = (2.0, 8.0),
    missing_pulses: float = 0.02,
    spurious_pulses: float = 0.01,
    dropped_frames: float = 0.002,
    mean_gap: float = 40.0,
    bout_duration: tuple[float, float] = (1.0, 5.0),
    seed: int = 0,
) -> SimulatedSession:
    """Simulate one session (see the module docstring); all randomness from ``seed``."""
    rng = np.random.default_rng(seed)
    slope = 1.0 + drift_ppm * 1e-6

    def to_neural(video_time: np.ndarray) -> np.ndarray:
        return slope * video_time + offset

    true_pulses_video = np.cumsum(rng.uniform(0.5, 1.5, int(duration / 0.9) + 10)) + 0.2
    true_pulses_video = true_pulses_video[true_pulses_video < duration]
    neural_pulses = _recorded(to_neural(true_pulses_video), NEURAL_SAMPLING_RATE, missing_pulses, spurious_pulses, rng)
    video_pulses = _recorded(true_pulses_video, VIDEO_LINE_SAMPLING_RATE, missing_pulses, spurious_pulses, rng)

    n_acquired = int(duration * fps)
    kept = rng.random(n_acquired) >= dropped_frames
    kept[0] = True
    acquisition_index = np.flatnonzero(kept)
    frame_times_video = acquisition_index / fps
    frame_times_neural = to_neural(frame_times_video)

    in_bout = np.zeros((acquisition_index.size, len(behaviors)), dtype=bool)
    bout_rows = []
    for column, behavior in enumerate(behaviors):
        starts, stops = _bout_times(duration, mean_gap, bout_duration, rng)
        start_frame = np.searchsorted(frame_times_video, starts)
        stop_frame = np.searchsorted(frame_times_video, stops) - 1
        valid = stop_frame > start_frame
        for first, last in zip(start_frame[valid], stop_frame[valid], strict=True):
            in_bout[first : last + 1, column] = True
        bout_rows.append(
            pd.DataFrame({"behavior": behavior, "start_frame": start_frame[valid], "stop_frame": stop_frame[valid]})
        )
    noise = rng.normal(0.0, 0.05, in_bout.shape)
    probability = np.clip(np.where(in_bout, 0.85, 0.08) + noise, 0, 1).astype(np.float32)
    bouts = pd.concat(bout_rows, ignore_index=True)
    bouts["start_time"] = frame_times_video[bouts["start_frame"]]
    bouts["stop_time"] = frame_times_video[bouts["stop_frame"]] + 1.0 / fps
    bouts["duration"] = bouts["stop_time"] - bouts["start_time"]
    column_of = {b: i for i, b in enumerate(behaviors)}
    bouts["mean_probability"] = [
        float(probability[a : z + 1, column_of[b]].mean())
        for b, a, z in zip(bouts["behavior"], bouts["start_frame"], bouts["stop_frame"], strict=True)
    ]
    bouts["max_probability"] = [
        float(probability[a : z + 1, column_of[b]].max())
        for b, a, z in zip(bouts["behavior"], bouts["start_frame"], bouts["stop_frame"], strict=True)
    ]
    probabilities = xr.DataArray(
        probability,
        dims=("time", "behavior"),
        coords={
            "time": frame_times_video,
            "frame": ("time", np.arange(acquisition_index.size)),
            "behavior": list(behaviors),
        },
        attrs={"model_name": "simulated", "model_version": "1", "clock": "video"},
    )

    neural_end = float(to_neural(duration)) + 5.0
    rates = rng.uniform(*base_rate, n_units)
    tuned_behavior = np.array(
        [behaviors[i % len(behaviors)] if i < n_tuned else "" for i in range(n_units)], dtype=object
    )
    trains = []
    for unit in range(n_units):
        spikes = rng.uniform(0.0, neural_end, rng.poisson(rates[unit] * neural_end))
        if tuned_behavior[unit]:
            chosen = bouts[bouts["behavior"] == tuned_behavior[unit]]
            spikes = np.concatenate(
                [
                    spikes,
                    _extra_spikes(
                        to_neural(chosen["start_time"].to_numpy()),
                        to_neural(chosen["stop_time"].to_numpy()),
                        rates[unit] * (gain - 1),
                        rng,
                    ),
                ]
            )
        trains.append(np.sort(np.ceil(spikes * NEURAL_SAMPLING_RATE) / NEURAL_SAMPLING_RATE))
    metadata = pd.DataFrame(
        {
            "tuned_behavior": tuned_behavior.astype(str),
            "gain": np.where(tuned_behavior != "", gain, 1.0),
            "base_rate": rates,
        },
        index=pd.Index(np.arange(n_units), name="unit_id"),
    )
    units = Units.from_spike_trains(
        trains, metadata=metadata, source_file="simulated", attrs={"resolution": 1.0 / NEURAL_SAMPLING_RATE}
    )
    return SimulatedSession(
        duration=duration,
        fps=fps,
        slope=slope,
        offset=offset,
        video_pulses=video_pulses,
        neural_pulses=neural_pulses,
        frame_counter=1000 + acquisition_index,
        frame_times_video=frame_times_video,
        frame_times_neural=frame_times_neural,
        bouts=bouts,
        probabilities=probabilities,
        units=units,
    )


def _recorded(times: np.ndarray, sampling_rate: float, missing: float, spurious: float, rng) -> np.ndarray:
    kept = times[rng.random(times.size) >= missing]
    extra = rng.uniform(times[0], times[-1], round(spurious * times.size))
    return np.sort(np.ceil(np.concatenate([kept, extra]) * sampling_rate) / sampling_rate)


def _bout_times(duration: float, mean_gap: float, length: tuple[float, float], rng) -> tuple[np.ndarray, np.ndarray]:
    n_max = int(duration / mean_gap * 2) + 10
    durations = rng.uniform(*length, n_max)
    gaps = rng.exponential(mean_gap, n_max) + 2.0
    starts = np.cumsum(gaps + np.concatenate([[0.0], durations[:-1]]))
    stops = starts + durations
    inside = stops < duration - 1.0
    return starts[inside], stops[inside]


def _extra_spikes(starts: np.ndarray, stops: np.ndarray, rate: float, rng) -> np.ndarray:
    lengths = stops - starts
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    positions = rng.uniform(0.0, cumulative[-1], rng.poisson(rate * cumulative[-1]))
    bout = np.searchsorted(cumulative, positions, side="right") - 1
    return starts[bout] + positions - cumulative[bout]
