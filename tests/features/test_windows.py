"""Rolling-window statistics against a frame-by-frame reference, edges and gaps included."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.features.windows import Window, anchor_block, rolling

STATS = ["mean", "std", "min", "max", "median", "change", "integral"]
FPS = 30.0


def reference(values: np.ndarray, window: Window, stat: str) -> np.ndarray:
    """The statistic at every frame, one window at a time (NaN frames skipped, outside = missing)."""
    n_rows, n_frames = values.shape
    result = np.full((n_rows, n_frames), np.nan)
    for frame in range(n_frames):
        lo, hi = frame - window.lo, frame + window.hi
        inside = values[:, max(lo, 0) : min(hi, n_frames - 1) + 1].astype(np.float64)
        if stat == "change":
            begin = values[:, lo] if lo >= 0 else np.full(n_rows, np.nan)
            end = values[:, hi] if hi < n_frames else np.full(n_rows, np.nan)
            result[:, frame] = end.astype(np.float64) - begin
            continue
        for row in range(n_rows):
            present = inside[row][np.isfinite(inside[row])]
            if present.size < window.min_count:
                continue
            result[row, frame] = {
                "mean": np.mean,
                "std": np.std,
                "min": np.min,
                "max": np.max,
                "median": np.median,
                "integral": lambda v: np.mean(v) * window.duration_s,
            }[stat](present)
    return result


@pytest.mark.parametrize("alignment", ["centred", "causal"])
def test_every_statistic_matches_a_frame_by_frame_reference(alignment):
    rng = np.random.default_rng(3)
    values = (rng.normal(size=(5, 700)) * 10 + 100).astype(np.float32)
    values[rng.random(values.shape) < 0.2] = np.nan
    values[1, 300:420] = np.nan
    values[2] = np.nan
    windows = [Window.from_ms(ms, FPS, alignment, 0.5) for ms in (30, 100, 400, 1000, 9000)]
    out = {(stat, i): np.empty(values.shape, np.float32) for stat in STATS for i in range(len(windows))}
    rolling(
        values,
        segment_start=0,
        core=(0, values.shape[1]),
        windows=windows,
        stats=STATS,
        block=anchor_block(windows),
        out=out,
    )
    for (stat, index), computed in out.items():
        expected = reference(values, windows[index], stat)
        np.testing.assert_array_equal(np.isnan(computed), np.isnan(expected), err_msg=f"{stat} {windows[index]}")
        np.testing.assert_allclose(computed, expected, rtol=2e-6, atol=1e-4, err_msg=f"{stat} {windows[index]}")


def test_a_core_inside_a_segment_equals_the_whole_session():
    rng = np.random.default_rng(4)
    values = rng.normal(size=(3, 3000)).astype(np.float32)
    values[rng.random(values.shape) < 0.1] = np.nan
    windows = [Window.from_ms(ms, FPS, "centred", 0.3) for ms in (300, 4000)]
    block = anchor_block(windows)
    whole = {(stat, i): np.empty(values.shape, np.float32) for stat in STATS for i in range(2)}
    rolling(values, segment_start=0, core=(0, 3000), windows=windows, stats=STATS, block=block, out=whole)
    first, core = 500, (1400, 2100)
    part = {(stat, i): np.empty((3, core[1] - core[0]), np.float32) for stat in STATS for i in range(2)}
    rolling(values[:, first:2300], segment_start=first, core=core, windows=windows, stats=STATS, block=block, out=part)
    for key, computed in part.items():
        np.testing.assert_array_equal(computed, whole[key][:, core[0] : core[1]], err_msg=str(key))
