"""Benchmark: circular-shift modulation tests, 100 units x 5 behaviors x a 1-hour session, 1,000 shifts.

Baseline (same process): the straightforward version, a Python loop over shifts with
``searchsorted`` per unit, timed on a few units and scaled to 100. Target: under 30 s.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from etholake.neural import (
    NeuralInputWarning,
    Units,
    align_bouts,
    fit_clock,
    modulation_tests,
    repair_dropped_frames,
)
from etholake.neural.simulate_sync import simulate_session

N_UNITS = 100
BEHAVIORS = ("groom", "rear", "walk", "sniff", "freeze")
N_SHIFTS = 1000
BASELINE_UNITS = 3


def loop_over_shifts(units, bouts, session, n_shifts, seed=0):
    """Per unit, per shift: shift every bout, wrap, count with searchsorted (the naive method)."""
    rng = np.random.default_rng(seed)
    length = session[1] - session[0]
    shifts = rng.uniform(10.0, length - 10.0, n_shifts)
    starts = bouts["start"].to_numpy() - session[0]
    durations = (bouts["stop"] - bouts["start"]).to_numpy()
    totals = np.zeros((units.n_units, n_shifts))
    for position in range(units.n_units):
        train = units.spike_train(position) - session[0]
        for index, shift in enumerate(shifts):
            begin = (starts + shift) % length
            end = begin + durations
            count = np.searchsorted(train, np.minimum(end, length)) - np.searchsorted(train, begin)
            count += np.searchsorted(train, np.maximum(end - length, 0.0))
            totals[position, index] = count.sum()
    return totals


def main() -> None:
    started = time.perf_counter()
    session = simulate_session(duration=3600.0, behaviors=BEHAVIORS, n_units=N_UNITS, n_tuned=25, seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuralInputWarning)
        frames = repair_dropped_frames(session.frame_counter, fps=session.fps)
        clock_map = fit_clock(session.video_pulses, session.neural_pulses)
    bouts = align_bouts(session.bouts, clock_map)
    neural = clock_map(frames["time"].to_numpy())
    window = (float(neural[0]), float(neural[-1]))
    print(
        f"simulated {N_UNITS} units ({session.units.spike_times.size:,} spikes), {len(BEHAVIORS)} behaviors, "
        f"{len(bouts)} bouts, 1 h: {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    result = modulation_tests(session.units, bouts, session=window, n_shifts=N_SHIFTS)
    vectorized = time.perf_counter() - started
    print(
        f"modulation_tests (Wilcoxon + {N_SHIFTS} circular shifts + BH FDR): {vectorized:.2f} s "
        f"({'under' if vectorized < 30 else 'OVER'} the 30 s target)"
    )

    subset = Units.from_spike_trains([session.units.spike_train(p) for p in range(BASELINE_UNITS)])
    groom = bouts[bouts["behavior"] == "groom"]
    started = time.perf_counter()
    loop_over_shifts(subset, groom, window, N_SHIFTS)
    baseline = (time.perf_counter() - started) * N_UNITS / BASELINE_UNITS * len(BEHAVIORS)
    print(
        f"baseline (loop over shifts, searchsorted), scaled from {BASELINE_UNITS} units x 1 behavior: "
        f"{baseline:.1f} s; speed-up {baseline / vectorized:.1f}x"
    )

    tuned = session.units.metadata["tuned_behavior"].reindex(result["unit_id"]).to_numpy() == result["behavior"]
    found = (result.loc[tuned, "permutation_q"] < 0.05).mean()
    false = (result.loc[~tuned, "permutation_q"] < 0.05).mean()
    print(f"tuned unit x behavior pairs found (q < 0.05): {found:.0%}; untuned flagged: {false:.1%}")


if __name__ == "__main__":
    main()
