"""Alignment, modulation statistics, FDR, PETHs, event-triggered averages and the design matrix."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from etholake.neural import (
    NeuralInputWarning,
    Units,
    align_bouts,
    align_frames,
    benjamini_hochberg,
    bin_edges,
    bout_spike_table,
    design_matrix,
    event_triggered_average,
    fit_clock,
    make_traces,
    modulation_tests,
    peth,
    read_nwb_event_series,
    read_nwb_units,
    read_suite2p,
    repair_dropped_frames,
    resample_probabilities,
)
from etholake.neural.simulate_sync import simulate_session


@pytest.fixture(scope="module")
def aligned_session():
    session = simulate_session(duration=3600.0, n_units=40, n_tuned=12, gain=2.0, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuralInputWarning)
        frames = repair_dropped_frames(session.frame_counter, fps=session.fps)
        clock_map = fit_clock(session.video_pulses, session.neural_pulses)
    bouts = align_bouts(session.bouts, clock_map)
    return session, clock_map, frames, bouts


def test_bouts_and_frames_get_neural_times(aligned_session):
    session, clock_map, frames, bouts = aligned_session
    expected = session.slope * session.bouts.sort_values(["behavior", "start_time"])["start_time"].to_numpy()
    assert np.allclose(np.sort(bouts["start"]), np.sort(expected + session.offset), atol=1e-3)
    assert (
        bouts.groupby("behavior")["bout"].max().add(1).tolist()
        == session.bouts["behavior"].value_counts().sort_index().tolist()
    )
    with pytest.warns(NeuralInputWarning, match="extrapolated"):
        table = align_frames(frames["time"], clock_map)
    assert np.sqrt(np.mean((table["neural_time"] - session.frame_times_neural) ** 2)) < 1e-3
    assert table["extrapolated"].sum() > 0


def test_modulation_finds_tuned_units_and_controls_false_positives(aligned_session):
    session, clock_map, frames, bouts = aligned_session
    neural = clock_map(frames["time"].to_numpy())
    result = modulation_tests(session.units, bouts, session=(neural[0], neural[-1] + 1 / session.fps), n_shifts=1000)
    tuned = (
        session.units.metadata["tuned_behavior"].reindex(result["unit_id"]).to_numpy() == result["behavior"].to_numpy()
    )
    assert tuned.sum() == 12 and len(result) == 40 * 3
    assert (result.loc[tuned, "permutation_q"] < 0.05).all()
    assert (result.loc[~tuned, "permutation_q"] < 0.05).mean() <= 0.05
    assert (result.loc[~tuned, "wilcoxon_q"] < 0.05).mean() <= 0.05
    assert (result.loc[tuned, "modulation_index"] > 0.2).all()
    for column in ("permutation_method", "wilcoxon_method", "fdr_method", "n_shifts", "seed"):
        assert result[column].notna().all()
    assert result["permutation_p"].min() >= 1 / 1001


def test_bouts_outside_the_recording_are_left_out_with_a_warning_naming_the_window(aligned_session):
    session, clock_map, frames, bouts = aligned_session
    neural = clock_map(frames["time"].to_numpy())
    first = bouts.loc[bouts["start"].idxmin()]
    window = (float(first["stop"]) + 1e-6, neural[-1] + 1.0)
    with pytest.warns(
        NeuralInputWarning, match=rf"1 bout\(s\) not inside the recording window {window[0]:.2f}-{window[1]:.2f} s"
    ):
        result = modulation_tests(session.units, bouts, session=window, n_shifts=20)
    assert (
        result.loc[result["behavior"] == first["behavior"], "n_bouts"].iloc[0]
        == (bouts["behavior"] == first["behavior"]).sum() - 1
    )


def test_bout_spike_table_counts_match_direct_count(aligned_session):
    session, _, _, bouts = aligned_session
    table = bout_spike_table(session.units, bouts)
    assert len(table) == session.units.n_units * len(bouts)
    row = table.iloc[123]
    train = session.units.spike_train(int(row["unit_id"]))
    assert row["spike_count"] == np.sum((train >= row["start"]) & (train < row["stop"]))
    assert row["rate"] == pytest.approx(row["spike_count"] / row["duration"])


def test_benjamini_hochberg_matches_scipy():
    p_values = np.random.default_rng(0).uniform(0, 1, 200) ** 3
    assert np.allclose(benjamini_hochberg(p_values), stats.false_discovery_control(p_values, method="bh"))
    with_nan = benjamini_hochberg(np.array([0.01, np.nan, 0.04]))
    assert np.isnan(with_nan[1]) and np.allclose(with_nan[[0, 2]], [0.02, 0.04])


def test_resampled_probabilities_are_bin_means_on_the_neural_clock(aligned_session):
    session, clock_map, _, _ = aligned_session
    neural_times = clock_map(session.probabilities["time"].to_numpy())
    edges = bin_edges(neural_times[0], neural_times[-1], 0.1)
    resampled = resample_probabilities(session.probabilities, edges, clock_map=clock_map)
    assert resampled.dims == ("time", "behavior") and resampled.dtype == np.float32
    inside = (neural_times >= edges[100]) & (neural_times < edges[101])
    assert resampled.values[100, 0] == pytest.approx(session.probabilities.values[inside, 0].mean(), rel=1e-5)
    assert not np.isnan(resampled.values).any()


def test_design_matrix_shares_one_grid(aligned_session):
    session, clock_map, _, _ = aligned_session
    probabilities = session.probabilities.isel(time=slice(0, 3000))
    matrix = design_matrix(session.units, probabilities, bin_size=0.05, clock_map=clock_map)
    assert matrix["spike_count"].dims == ("time", "unit") and matrix["probability"].dims == ("time", "behavior")
    span = np.ptp(clock_map(probabilities["time"].values))
    assert matrix.sizes["time"] == np.ceil(span / 0.05)
    assert not np.isnan(matrix["probability"].values).any()
    first = session.units.spike_train(0)
    expected = np.sum((first >= matrix["bin_start"].values[0]) & (first < matrix["bin_stop"].values[-1]))
    assert matrix["spike_count"].sel(unit=0).sum() == expected


def test_peth_of_dandi_unit_around_lick_onsets(shared_data):
    path = shared_data("neural/dandi000006_sub-anm369963_ses-20170228.nwb")
    with pytest.warns(NeuralInputWarning):
        units = read_nwb_units(path)
        licks = read_nwb_event_series(path, "lick_times")
    all_licks = np.sort(np.concatenate(list(licks.values())))
    onsets = all_licks[np.concatenate([[True], np.diff(all_licks) > 1.0])]
    result = peth(
        units,
        onsets,
        window=(-1.0, 1.0),
        bin_size=0.05,
        event_name="lick onset",
        recording_range=(units.spike_times.min(), units.spike_times.max()),
    )
    assert result["counts"].dims == ("unit", "event", "time") and result.sizes["time"] == 40
    assert 0 < int(result["n_events"]) < onsets.size
    train = units.spike_train(0)
    event = float(result["event_time"][0])
    assert int(result["counts"][0, 0].sum()) == np.sum((train >= event - 1) & (train < event + 1))
    assert np.allclose(result["rate_mean"].values, result["counts"].values.mean(axis=1) / 0.05)
    assert np.isfinite(result["rate_sem"].values).all()


def test_peth_recovers_a_known_response():
    events = np.arange(10.0, 1010.0, 10.0)
    spikes = np.sort(np.concatenate([events + 0.05, np.random.default_rng(1).uniform(0, 1010, 2000)]))
    units = Units.from_spike_trains([spikes])
    result = peth(units, events, window=(-0.5, 0.5), bin_size=0.1)
    peak = int(np.argmax(result["rate_mean"].values[0]))
    assert result["time"].values[peak] == pytest.approx(0.05)


def test_a_peth_window_must_hold_whole_bins():
    units = Units.from_spike_trains([[11.05]])
    with pytest.raises(ValueError, match=r"a window of 2 s does not hold a whole number of 0.3 s bins"):
        peth(units, [10.0], window=(-1.0, 1.0), bin_size=0.3, recording_range=(0.0, 11.0))
    result = peth(units, [10.0], window=(-1.0, 1.0), bin_size=0.25, recording_range=(0.0, 11.0))
    assert result["time"].values[-1] == pytest.approx(0.875) and result["counts"].values.sum() == 0


def test_event_triggered_average_on_suite2p_traces(shared_data):
    traces = read_suite2p(
        shared_data("neural/pynapple_suite2p_F.npy"), shared_data("neural/pynapple_suite2p_iscell.npy"), frame_rate=30.0
    )
    events = np.array([-5.0, 10.0, 20.0, 30.0, 66.0])
    result = event_triggered_average(traces, events, window=(-1.0, 2.0))
    assert result["segments"].dims == ("channel", "event", "lag") and result.sizes["channel"] == 20
    assert np.isnan(result["segments"].values[:, 0]).all() and np.isnan(result["segments"].values[:, -1, -1]).all()
    at_zero = result["segments"].sel(lag=0.0, method="nearest").values[:, 1]
    assert np.allclose(at_zero, traces.sel(time=10.0, method="nearest").values)
    assert int(result["n"].values.max()) == 4


def test_event_triggered_average_interpolates_linearly():
    traces = make_traces(np.arange(100.0)[:, None] * [1.0, 2.0], rate=10.0)
    result = event_triggered_average(traces, np.array([5.05]), window=(0.0, 0.1))
    assert np.allclose(result["mean"].values[:, 0], [50.5, 101.0])


def test_units_retimed_by_clock_map():
    seconds = np.arange(100.0)
    clock_map = fit_clock(seconds, seconds + 2.0, paired=True)
    units = Units.from_spike_trains({"a": [1.0, 3.0]}, metadata=pd.DataFrame(index=pd.Index(["a"], name="unit_id")))
    assert units.retimed(clock_map, "neural").spike_times.tolist() == pytest.approx([3.0, 5.0])


def test_tables_write_to_parquet_and_peth_to_zarr(aligned_session, tmp_path):
    import xarray as xr

    session, clock_map, frames, bouts = aligned_session
    neural = clock_map(frames["time"].to_numpy())
    table = bout_spike_table(session.units, bouts)
    result = modulation_tests(session.units, bouts, session=(neural[0], neural[-1]), n_shifts=50)
    for name, frame in (("bouts", table), ("stats", result)):
        frame.to_parquet(tmp_path / f"{name}.parquet")
        assert pd.read_parquet(tmp_path / f"{name}.parquet").shape == frame.shape
    onsets = bouts.loc[bouts["behavior"] == "groom", "start"].to_numpy()
    result = peth(session.units, onsets, window=(-2.0, 2.0), bin_size=0.1)
    result.to_zarr(tmp_path / "peth.zarr", mode="w", consolidated=False)
    reopened = xr.open_zarr(tmp_path / "peth.zarr", consolidated=False)
    assert np.array_equal(reopened["counts"].values, result["counts"].values)


def test_the_paired_wilcoxon_test_keeps_its_false_positive_rate_with_short_bouts():
    rng = np.random.default_rng(3)
    starts = np.arange(5.0, 1790.0, 6.0) + rng.uniform(0, 2, 298)
    bouts = pd.DataFrame({"behavior": "sniff", "start": starts, "stop": starts + rng.uniform(0.1, 0.5, starts.size)})
    untuned = Units.from_spike_trains([np.sort(rng.uniform(0, 1800, rng.poisson(3600))) for _ in range(400)])
    result = modulation_tests(untuned, bouts, session=(0.0, 1800.0), n_shifts=99)
    assert (result["wilcoxon_p"] < 0.05).mean() <= 0.08
    assert (result["wilcoxon_q"] < 0.05).sum() <= 2


def straddling_recording():
    """A 600 s recording, 5 Hz background, 20 Hz during bouts; one bout straddles its end, one lies after it."""
    rng = np.random.default_rng(5)
    starts = np.r_[np.arange(20.0, 560.0, 40.0), 590.0, 650.0]
    stops = np.r_[np.arange(20.0, 560.0, 40.0) + 4.0, 640.0, 660.0]
    bouts = pd.DataFrame({"behavior": "a", "bout": range(starts.size), "start": starts, "stop": stops})
    in_bouts = [
        rng.uniform(a, min(b, 600.0), rng.poisson(15 * (min(b, 600.0) - a))) for a, b in zip(starts, stops) if a < 600
    ]
    train = np.sort(np.concatenate([rng.uniform(0, 600, rng.poisson(3000)), *in_bouts]))
    return Units.from_spike_trains([train]), bouts, train


def test_the_bout_spike_table_counts_only_recorded_time():
    units, bouts, train = straddling_recording()
    table = bout_spike_table(units, bouts, recording=(0.0, 600.0)).set_index("bout")
    assert (
        table.loc[15, "recorded_s"] == 0.0 and pd.isna(table.loc[15, "spike_count"]) and np.isnan(table.loc[15, "rate"])
    )
    straddling = np.count_nonzero((train >= 590.0) & (train < 600.0))
    assert table.loc[14, "recorded_s"] == pytest.approx(10.0)
    assert table.loc[14, "spike_count"] == straddling
    assert table.loc[14, "rate"] == pytest.approx(straddling / 10.0)


def test_the_modulation_baseline_leaves_out_the_recorded_part_of_a_straddling_bout():
    units, bouts, train = straddling_recording()
    with pytest.warns(NeuralInputWarning, match="1 bout\\(s\\) not inside .* left out; 1 cut at the window's edges"):
        result = modulation_tests(units, bouts, session=(0.0, 600.0), n_shifts=99)
    clipped_stops = np.minimum(bouts["stop"].to_numpy()[:15], 600.0)
    starts = bouts["start"].to_numpy()[:15]
    in_bouts = sum(np.count_nonzero((train >= a) & (train < b)) for a, b in zip(starts, clipped_stops))
    bout_time = float(np.sum(clipped_stops - starts))
    assert result.loc[0, "rate_baseline_hz"] == pytest.approx((train.size - in_bouts) / (600.0 - bout_time))
    assert result.loc[0, "bout_time_s"] == pytest.approx(bout_time)
