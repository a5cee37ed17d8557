"""Bout extraction against hand-computed bouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from etholake.inference.bouts import (
    BOUT_COLUMNS,
    BoutSettings,
    annotate,
    extract_bouts,
    postprocess,
    seconds_to_frames,
    smooth_probability,
)

H, L, N = 0.9, 0.1, np.nan


def spans(table: pd.DataFrame) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in zip(table["start_frame"], table["stop_frame"], strict=True)]


@pytest.mark.parametrize(
    ("probability", "kwargs", "expected"),
    [
        pytest.param([H, H, L, L, H], {}, [(0, 1), (4, 4)], id="bouts-at-first-and-last-frame"),
        pytest.param([H] * 5, {}, [(0, 4)], id="all-on"),
        pytest.param([L] * 5, {}, [], id="all-off"),
        pytest.param([], {}, [], id="empty"),
        pytest.param([0.5, 0.49, 0.5], {}, [(0, 0), (2, 2)], id="threshold-is-inclusive"),
        pytest.param([H, L, L, H, L, H], {"merge_gap": 2}, [(0, 0), (3, 5)], id="gap-1-filled-gap-2-kept"),
        pytest.param([H, L, L, H, L, H], {"merge_gap": 3}, [(0, 5)], id="both-gaps-filled"),
        pytest.param([L, H, L, L], {"merge_gap": 5}, [(1, 1)], id="edge-gaps-are-not-gaps"),
        pytest.param([H, L, H, H, L, L, L, H], {"min_bout": 2}, [(2, 3)], id="short-bouts-dropped"),
        pytest.param([H, L, H, L, L, L, H], {"merge_gap": 2, "min_bout": 3}, [(0, 2)], id="merge-then-drop"),
        pytest.param([N, H, N, H, N], {}, [(1, 1), (3, 3)], id="nan-never-starts-or-extends"),
        pytest.param([H, N, H], {"merge_gap": 5}, [(0, 0), (2, 2)], id="nan-gap-never-bridged"),
        pytest.param([H, L, N, H], {"merge_gap": 5}, [(0, 0), (3, 3)], id="gap-with-some-nan-kept"),
        pytest.param([N, N, N], {"low": 0.0}, [], id="all-nan"),
        pytest.param([0.3, 0.6, 0.95, 0.6, 0.3, 0.6, 0.3], {"threshold": 0.9, "low": 0.5}, [(1, 3)], id="hysteresis"),
        pytest.param([0.6, 0.6, N, 0.95], {"threshold": 0.9, "low": 0.5}, [(3, 3)], id="hysteresis-stops-at-nan"),
    ],
)
def test_bouts_match_hand_computed(probability, kwargs, expected):
    table = extract_bouts(np.array(probability, dtype=float), **kwargs)
    assert spans(table) == expected
    assert list(table.columns) == list(BOUT_COLUMNS)


def test_bout_table_values():
    probability = np.array([0.1, 0.6, 0.8, 1.0, 0.2, 0.7])
    table = extract_bouts(probability, behavior="attack", fps=10.0, frames=np.arange(100, 106))
    first = table.iloc[0]
    assert first["behavior"] == "attack"
    assert (first["start_frame"], first["stop_frame"]) == (101, 103)
    assert first["start_time"] == pytest.approx(10.1)
    assert first["stop_time"] == pytest.approx(10.4)
    assert first["duration"] == pytest.approx(0.3)
    assert first["mean_probability"] == pytest.approx(0.8)
    assert first["max_probability"] == pytest.approx(1.0)
    last = table.iloc[1]
    assert (last["stop_frame"], last["mean_probability"], last["max_probability"]) == (105, 0.7, 0.7)


@pytest.mark.parametrize(("seconds", "fps", "frames"), [(0.5, 30, 15), (0.1, 30, 3), (0.11, 30, 4), (1.0, 25, 25)])
def test_seconds_to_frames(seconds, fps, frames):
    assert seconds_to_frames(seconds, fps) == frames


def test_lengths_in_seconds():
    probability = np.array([H] * 3 + [L] * 2 + [H] * 4 + [L] * 10 + [H] * 2)
    table = extract_bouts(probability, fps=10, merge_gap_seconds=0.3, min_bout_seconds=0.3)
    assert spans(table) == [(0, 8)]


def test_seconds_need_fps():
    with pytest.raises(ValueError, match="fps"):
        extract_bouts(np.array([H]), min_bout_seconds=1.0)


def test_smoothing_keeps_nan_and_averages_finite_values():
    smoothed = smooth_probability(np.array([0.0, 1.0, N, 1.0, 0.0]), 3)
    np.testing.assert_allclose(smoothed, [0.5, 0.5, N, 0.5, 0.5])


def test_smoothing_removes_single_frame_flicker():
    probability = np.array([H, H, L, H, H, L, L, L, H, L, L])
    assert spans(extract_bouts(probability, smooth=3)) == [(0, 4)]


@pytest.mark.parametrize(
    "kwargs", [{"threshold": 1.5}, {"threshold": 0.5, "low": 0.7}, {"min_bout": 0}, {"merge_gap": -1}, {"smooth": 2.5}]
)
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        BoutSettings(**kwargs)


def test_vectorized_on_long_input_matches_reference():
    rng = np.random.default_rng(0)
    probability = rng.random(200_000)
    probability[rng.random(200_000) < 0.01] = np.nan
    settings = BoutSettings(threshold=0.6, merge_gap=3, min_bout=4)
    mask = postprocess(probability, settings)
    table = extract_bouts(probability, threshold=0.6, merge_gap=3, min_bout=4)
    assert ((table["stop_frame"] - table["start_frame"] + 1) >= 4).all()
    assert int(mask.sum()) == int((table["stop_frame"] - table["start_frame"] + 1).sum())
    assert not np.any(mask & np.isnan(probability))
    gaps = table["start_frame"].to_numpy()[1:] - table["stop_frame"].to_numpy()[:-1] - 1
    nan_count = np.concatenate(([0], np.cumsum(np.isnan(probability))))
    gap_has_nan = nan_count[table["start_frame"].to_numpy()[1:]] - nan_count[table["stop_frame"].to_numpy()[:-1] + 1]
    assert np.all((gaps >= 3) | (gap_has_nan > 0))


def test_annotate_dataarray():
    values = np.array([[H, L], [H, H], [L, H], [L, H]])
    probability = xr.DataArray(
        values,
        dims=("time", "behavior"),
        coords={"time": np.arange(4) / 30, "frame": ("time", np.arange(4)), "behavior": ["attack", "groom"]},
        attrs={"fps": 30.0},
    )
    settings = {"attack": BoutSettings(), "groom": BoutSettings(min_bout=3)}
    predicted, bouts = annotate(probability, settings)
    assert predicted.sel(behavior="attack").values.tolist() == [True, True, False, False]
    assert bouts["behavior"].tolist() == ["attack", "groom"]
    assert spans(bouts) == [(0, 1), (1, 3)]
    with pytest.raises(Exception, match="groom"):
        annotate(probability, {"attack": BoutSettings()})


def test_a_model_trained_at_30_fps_keeps_its_bout_lengths_in_seconds_on_a_25_fps_session():
    from types import SimpleNamespace

    from etholake.inference.predict import annotate_probability

    frames = np.arange(400)
    values = np.zeros(400)
    values[10:90] = 0.9
    values[200:270] = 0.9
    probability = xr.DataArray(
        values[:, None].astype(np.float32),
        dims=("time", "behavior"),
        coords={"time": frames / 25.0, "frame": ("time", frames), "behavior": ["attack"]},
        attrs={"fps": 25.0},
    )
    bundle = SimpleNamespace(settings={"attack": BoutSettings(threshold=0.5, min_bout=90)}, fps=30.0)
    annotations, bouts = annotate_probability(bundle, probability, model_name="m", model_version=1, model_sha256="x")
    assert spans(bouts) == [(10, 89)], "80 frames at 25 fps = 3.2 s: kept; 70 frames = 2.8 s: shorter than 3 s"
    assert bouts["stop_time"].iloc[0] - bouts["start_time"].iloc[0] == pytest.approx(80 / 25.0)
    assert annotations.attrs["fps"] == 25.0


def test_bout_settings_move_to_another_frame_rate_by_their_lengths_in_seconds():
    settings = BoutSettings(threshold=0.6, merge_gap=15, min_bout=90, smooth=5)
    assert settings.at_frame_rate(30.0, 25.0) == BoutSettings(threshold=0.6, merge_gap=13, min_bout=75, smooth=4)
    assert settings.at_frame_rate(30.0, 30.0) == settings
