"""Behavior modulation of units: bout vs baseline rates, Wilcoxon and circular-shift tests, FDR.

Every p-value leaves with its method and parameters in neighbouring columns, so a stored
table says how it was made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from etholake.neural.align import interval_spike_counts
from etholake.neural.containers import Units
from etholake.neural.fixups import warn_fixup

WILCOXON_METHOD = (
    "wilcoxon signed-rank, paired bout rate vs the rate in the window of the same length just before the bout, "
    "two-sided, zero_method=wilcox"
)
PERMUTATION_METHOD = (
    "circular shift of all bouts of the behavior together within the session window; statistic = spikes in "
    "bouts; two-sided (distance from the null mean); p = (1 + #extreme) / (1 + n_shifts)"
)
FDR_METHOD = "benjamini-hochberg across units, per behavior"


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values); NaN p-values stay NaN and do not count."""
    p_values = np.asarray(p_values, dtype=np.float64)
    q_values = np.full(p_values.shape, np.nan)
    valid = np.flatnonzero(np.isfinite(p_values))
    if valid.size == 0:
        return q_values
    order = valid[np.argsort(p_values[valid], kind="stable")]
    ranked = p_values[order] * valid.size / np.arange(1, valid.size + 1)
    q_values[order] = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    return q_values


def circular_shift_counts(
    units: Units,
    starts: np.ndarray,
    stops: np.ndarray,
    groups: np.ndarray,
    *,
    session: tuple[float, float],
    n_shifts: int = 1000,
    min_shift: float = 10.0,
    grid: float = 0.01,
    seed: int = 0,
) -> np.ndarray:
    """Spikes in each group of intervals when all intervals are shifted together, circularly.

    Spike counts use a cumulative count on a fine grid (``grid`` s): the count in
    ``[a, b)`` is ``C[b] - C[a]`` (plus the total when the shifted interval wraps), so
    each unit costs two gathers per shift and interval instead of two searches. The
    default 10 ms grid keeps ``C`` small enough to stay in cache (a 1 ms grid over an
    hour took 5x longer here). Intervals are rounded to the grid for every shift alike,
    including the unshifted (observed) one, so the test stays exact in its own terms.

    Parameters
    ----------
    units
        Units on the neural clock.
    starts, stops
        Interval edges (s), inside ``session``.
    groups
        Group (behavior) code 0..G-1 of each interval.
    session
        (start, stop) of the window the intervals are shifted around in.
    n_shifts, min_shift, seed
        Number of random shifts, smallest shift (s) from zero either way, random seed.

    Returns
    -------
    numpy.ndarray
        (unit, 1 + n_shifts, group) int64; index 0 along the second axis is the observed count.
    """
    session_start, session_stop = session
    n_grid = round((session_stop - session_start) / grid)
    start_bin = np.clip(np.rint((np.asarray(starts) - session_start) / grid).astype(np.int64), 0, n_grid)
    stop_bin = np.clip(np.rint((np.asarray(stops) - session_start) / grid).astype(np.int64), 0, n_grid)
    width = stop_bin - start_bin
    smallest = min(round(min_shift / grid), n_grid // 4)
    rng = np.random.default_rng(seed)
    shifts = np.concatenate([[0], rng.integers(smallest, n_grid - smallest, n_shifts)])
    order = np.argsort(groups, kind="stable")
    group_starts = np.searchsorted(groups[order], np.arange(groups.max() + 1))
    shifted_start = (start_bin[order][None, :] + shifts[:, None]) % n_grid
    shifted_stop = shifted_start + width[order][None, :]
    wraps = shifted_stop > n_grid
    shifted_stop[wraps] -= n_grid
    result = np.zeros((units.n_units, shifts.size, group_starts.size), dtype=np.int64)
    cumulative = np.zeros(n_grid + 1, dtype=np.int32)
    for position in range(units.n_units):
        train = units.spike_train(position)
        train = train[(train >= session_start) & (train < session_stop)]
        per_bin = np.bincount(((train - session_start) / grid).astype(np.int64), minlength=n_grid)[:n_grid]
        np.cumsum(per_bin, out=cumulative[1:])
        counts = cumulative[shifted_stop] - cumulative[shifted_start] + wraps * cumulative[-1]
        result[position] = np.add.reduceat(counts, group_starts, axis=1)
    return result


def modulation_tests(
    units: Units,
    aligned_bouts: pd.DataFrame,
    *,
    session: tuple[float, float],
    n_shifts: int = 1000,
    min_shift: float = 10.0,
    grid: float = 0.01,
    seed: int = 0,
) -> pd.DataFrame:
    """Test every unit x behavior for a different firing rate during bouts.

    Parameters
    ----------
    units
        Units on the neural clock.
    aligned_bouts
        Bouts with neural-clock ``start``/``stop`` (from :func:`etholake.neural.align.align_bouts`).
    session
        (start, stop) on the neural clock of the scored part of the session: the baseline
        is this window outside the behavior's bouts, and the shifts wrap around it.
    n_shifts, min_shift, grid, seed
        Circular-shift test settings (see :func:`circular_shift_counts`).

    Returns
    -------
    pandas.DataFrame
        One row per unit x behavior: ``n_bouts``, ``bout_time_s``, ``rate_bout_hz``,
        ``rate_baseline_hz``, ``modulation_index`` = (bout - baseline) / (bout + baseline)
        rate (positive: more spikes during the behavior), Wilcoxon (``wilcoxon_n``,
        ``wilcoxon_statistic``, ``wilcoxon_p``, ``wilcoxon_q``) and circular-shift
        (``permutation_p``, ``permutation_q``) results, and the methods and parameters.
        The baseline is the session window outside the behavior's bouts. The Wilcoxon
        test pairs each bout with the window of the same length just before it (a fixed
        window would make the paired differences of short bouts skewed, and the test
        biased); bouts whose window leaves the session or overlaps the behavior's
        previous bout are left out of it. q-values are Benjamini-Hochberg across the
        units, per behavior, of this session.
    """
    bouts = _bouts_in_session(aligned_bouts, session)
    behaviors, groups = np.unique(bouts["behavior"].astype(str).to_numpy(), return_inverse=True)
    starts = bouts["start"].to_numpy(dtype=np.float64)
    stops = bouts["stop"].to_numpy(dtype=np.float64)
    shifted = circular_shift_counts(
        units, starts, stops, groups, session=session, n_shifts=n_shifts, min_shift=min_shift, grid=grid, seed=seed
    )
    observed, null = shifted[:, 0, :], shifted[:, 1:, :]
    centre = null.mean(axis=1)
    extreme = np.abs(null - centre[:, None, :]) >= np.abs(observed - centre)[:, None, :] - 1e-9
    permutation_p = (1 + extreme.sum(axis=1)) / (1 + n_shifts)

    session_length = session[1] - session[0]
    session_spikes = interval_spike_counts(units, np.array([session[0]]), np.array([session[1]]))[:, 0]
    bout_counts = interval_spike_counts(units, starts, stops)
    durations = stops - starts
    pre_counts = interval_spike_counts(units, starts - durations, starts)
    rows = []
    for code, behavior in enumerate(behaviors):
        in_group = groups == code
        bout_time = float(np.sum(stops[in_group] - starts[in_group]))
        spikes_in = bout_counts[:, in_group].sum(axis=1)
        rate_bout = spikes_in / bout_time
        rate_baseline = (session_spikes - spikes_in) / (session_length - bout_time)
        wilcoxon_n, statistic, p_wilcoxon = _paired_wilcoxon(
            bout_counts[:, in_group],
            pre_counts[:, in_group],
            starts[in_group],
            stops[in_group],
            session_start=session[0],
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            modulation_index = (rate_bout - rate_baseline) / (rate_bout + rate_baseline)
        rows.append(
            pd.DataFrame(
                {
                    "unit_id": units.unit_ids,
                    "behavior": behavior,
                    "n_bouts": int(in_group.sum()),
                    "bout_time_s": bout_time,
                    "rate_bout_hz": rate_bout,
                    "rate_baseline_hz": rate_baseline,
                    "modulation_index": modulation_index,
                    "wilcoxon_n": wilcoxon_n,
                    "wilcoxon_statistic": statistic,
                    "wilcoxon_p": p_wilcoxon,
                    "wilcoxon_q": benjamini_hochberg(p_wilcoxon),
                    "wilcoxon_method": WILCOXON_METHOD,
                    "permutation_p": permutation_p[:, code],
                    "permutation_q": benjamini_hochberg(permutation_p[:, code]),
                    "permutation_method": PERMUTATION_METHOD,
                    "n_shifts": n_shifts,
                    "min_shift_s": min_shift,
                    "grid_s": grid,
                    "seed": seed,
                    "session_start": session[0],
                    "session_stop": session[1],
                    "fdr_method": FDR_METHOD,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _bouts_in_session(aligned_bouts: pd.DataFrame, session: tuple[float, float]) -> pd.DataFrame:
    """The bouts within the session window: those outside it left out, those across its edges cut at them.

    A cut bout's recorded part is bout time, so it never counts towards the baseline.
    """
    start, stop = session
    overlaps = (aligned_bouts["stop"] > start) & (aligned_bouts["start"] < stop)
    crosses = overlaps & ((aligned_bouts["start"] < start) | (aligned_bouts["stop"] > stop))
    if not overlaps.all() or crosses.any():
        warn_fixup(
            f"modulation tests: {int((~overlaps).sum())} bout(s) not inside the recording window "
            f"{start:.2f}-{stop:.2f} s (neural clock) left out; {int(crosses.sum())} cut at the window's edges"
        )
    bouts = aligned_bouts[overlaps & (aligned_bouts["stop"] > aligned_bouts["start"])].assign(
        start=lambda b: b["start"].clip(lower=start), stop=lambda b: b["stop"].clip(upper=stop)
    )
    if bouts.empty:
        raise ValueError("no bouts inside the session window")
    return bouts.sort_values(["behavior", "start"], kind="stable")


def _paired_wilcoxon(
    bout_counts: np.ndarray,
    pre_counts: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
    *,
    session_start: float,
) -> tuple[int, np.ndarray, np.ndarray]:
    window_starts = starts - (stops - starts)
    previous_stop = np.concatenate([[-np.inf], np.maximum.accumulate(stops)[:-1]])
    usable = (window_starts >= session_start) & (previous_stop <= window_starts)
    n_units = bout_counts.shape[0]
    if usable.sum() < 2:
        return int(usable.sum()), np.full(n_units, np.nan), np.full(n_units, np.nan)
    bout_rate = bout_counts[:, usable] / (stops - starts)[usable]
    pre_rate = pre_counts[:, usable] / (stops - starts)[usable]
    difference = bout_rate - pre_rate
    has_signal = np.any(difference != 0, axis=1)
    statistic = np.full(n_units, np.nan)
    p_value = np.full(n_units, np.nan)
    if has_signal.any():
        result = stats.wilcoxon(bout_rate[has_signal], pre_rate[has_signal], axis=1, zero_method="wilcox")
        statistic[has_signal] = result.statistic
        p_value[has_signal] = result.pvalue
    return int(usable.sum()), statistic, p_value
