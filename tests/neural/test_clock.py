"""Clock sync: edges, coarse lag, matching, robust fit, QC, serialisation, dropped frames."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from etholake.neural import (
    ClockFitError,
    ClockMap,
    ClockQualityWarning,
    NeuralInputWarning,
    extract_edges,
    fit_clock,
    read_bonsai_camera_timestamps,
    repair_dropped_frames,
)
from etholake.neural.matching import match_one_to_one
from etholake.neural.simulate_sync import simulate_session


def rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(values))))


@pytest.fixture(scope="module", params=[(50.0, 7.25, 1), (-50.0, -3.5, 2)], ids=["plus50ppm", "minus50ppm"])
def hour_session(request):
    drift, offset, seed = request.param
    return simulate_session(duration=3600.0, drift_ppm=drift, offset=offset, n_units=4, n_tuned=1, seed=seed)


def test_one_hour_session_frames_within_1ms_rms(hour_session):
    with pytest.warns(NeuralInputWarning, match="frames dropped"):
        repaired = repair_dropped_frames(hour_session.frame_counter, fps=hour_session.fps)
    clock_map = fit_clock(hour_session.video_pulses, hour_session.neural_pulses, frame_times=repaired["time"])
    error = clock_map(repaired["time"].to_numpy()) - hour_session.frame_times_neural
    assert rms(error) <= 1e-3
    assert clock_map.drift_ppm == pytest.approx(hour_session.drift_ppm, abs=0.5)
    assert clock_map.offset == pytest.approx(hour_session.offset, abs=1e-3)
    assert clock_map.matched_fraction >= 0.95
    assert clock_map.qc["passed"]
    assert clock_map.qc["extrapolated_frames"] > 0
    naive = clock_map(np.arange(hour_session.frame_counter.size) / hour_session.fps)
    assert rms(naive - hour_session.frame_times_neural) > 0.1


@pytest.mark.parametrize(("method", "tolerance_ppm"), [("huber", 0.1), ("theil-sen", 0.1), ("ols", 1.0)])
def test_fit_methods_recover_line_despite_late_outliers(method, tolerance_ppm):
    rng = np.random.default_rng(5)
    video = np.cumsum(rng.uniform(0.5, 1.5, 2000))
    neural = (1 + 30e-6) * video + 4.0 + rng.normal(0, 20e-6, video.size)
    late = np.flatnonzero(video > video[-1] * 0.9)[::3]
    neural[late] += 2e-3
    clock_map = fit_clock(video, neural, method=method)
    assert clock_map.drift_ppm == pytest.approx(30.0, abs=tolerance_ppm)
    assert clock_map.qc["method"] == method


def test_hardware_times_checked_against_frame_counter():
    with pytest.warns(NeuralInputWarning) as record:
        repaired = repair_dropped_frames(np.array([0, 1, 2, 4]), hardware_times=np.array([0.0, 0.1, 0.2, 0.3]))
    assert any("disagree at 1 frames" in str(w.message) for w in record)
    assert repaired["time"].tolist() == [0.0, 0.1, 0.2, 0.3]


def test_extrapolation_is_linear_and_flagged():
    video = np.cumsum(np.random.default_rng(1).uniform(0.5, 1.5, 400)) + 100
    clock_map = fit_clock(video, 1.0001 * video + 2.0, max_drift_ppm=200)
    outside = np.array([0.0, video[-1] + 1000])
    assert np.allclose(clock_map(outside), 1.0001 * outside + 2.0)
    assert clock_map.extrapolated(outside).all()
    assert not clock_map.extrapolated(video[10:12]).any()


def test_offset_only_refused_for_long_sessions_unless_forced():
    video = np.cumsum(np.random.default_rng(2).uniform(0.5, 1.5, 1000))
    with pytest.raises(ClockFitError, match="offset-only"):
        fit_clock(video, video + 1.0, model="offset")
    forced = fit_clock(video, video + 1.0, model="offset", force=True)
    assert forced.slope == 1.0 and forced.qc["forced"]
    short = fit_clock(video[:100], video[:100] + 1.0, model="offset")
    assert short.offset == pytest.approx(1.0)


def test_qc_failure_warns_and_strict_raises():
    rng = np.random.default_rng(3)
    video = np.cumsum(rng.uniform(0.5, 1.5, 1500))
    neural = 1.0 + video * (1 + 20e-6)
    neural = np.sort(np.concatenate([neural[rng.random(video.size) > 0.2], rng.uniform(0, neural[-1], 20)]))
    with pytest.warns(ClockQualityWarning, match="matched_fraction"):
        clock_map = fit_clock(video, neural)
    assert not clock_map.qc["checks"]["matched_fraction"]
    with pytest.raises(ClockFitError, match="failed QC"):
        fit_clock(video, neural, strict=True)


def test_clock_map_round_trips_through_json():
    video = np.cumsum(np.random.default_rng(4).uniform(0.5, 1.5, 800))
    clock_map = fit_clock(video, 1.00004 * video + 3 + 1e-4 * np.sin(video / 100), smooth_residual=60.0)
    restored = ClockMap.from_dict(json.loads(json.dumps(clock_map.to_dict())))
    probe = np.linspace(-10, video[-1] + 10, 50)
    assert np.array_equal(restored(probe), clock_map(probe))
    assert restored.qc == json.loads(json.dumps(clock_map.qc))
    assert np.allclose(clock_map.inverse(clock_map(probe)), probe, atol=1e-6)
    linear = fit_clock(video, 1.00004 * video + 3 + 1e-4 * np.sin(video / 100))
    assert clock_map.residual_sd < linear.residual_sd / 3


def test_ibl_two_clock_frame_timestamps_reproduce_drift_and_jitter(shared_data):
    stamps = read_bonsai_camera_timestamps(shared_data("neural/ibl_iblrig_bodyCamera.timestamps.ssv"))
    assert len(stamps) == 6001
    with pytest.warns(ClockQualityWarning, match="drift"):
        clock_map = fit_clock(stamps["hardware_time"], stamps["software_time"], paired=True)
    assert clock_map.drift_ppm == pytest.approx(-215, abs=3)
    assert clock_map.residual_sd == pytest.approx(0.19e-3, abs=0.02e-3)
    assert clock_map.qc["residual_max_abs_s"] == pytest.approx(3.1e-3, abs=0.3e-3)
    assert not clock_map.qc["checks"]["drift"]
    assert clock_map.matched_fraction == 1.0 and clock_map.qc["checks"]["matched_fraction"]
    software = stamps["software_time"].to_numpy(copy=True)
    software[:600] = np.nan
    with pytest.warns(ClockQualityWarning, match=r"matched 90\.0% of pulses"):
        gappy = fit_clock(stamps["hardware_time"], software, paired=True)
    assert gappy.matched_fraction == pytest.approx(5401 / 6001)


def test_match_one_to_one_gives_each_target_once():
    source_index, target_index = match_one_to_one(np.array([1.0, 1.01, 2.0, 5.0]), np.array([1.005, 2.001]), 0.02)
    assert list(target_index) == [0, 1]
    assert list(source_index) in ([0, 2], [1, 2])


@pytest.mark.parametrize(
    ("polarity", "expected"),
    [("rising", [0.002, 0.010]), ("falling", [0.005, 0.013]), ("both", [0.002, 0.005, 0.010, 0.013])],
)
def test_extract_edges_polarity(polarity, expected):
    signal = np.zeros(20)
    signal[2:5] = 3.3
    signal[10:13] = 3.3
    assert np.allclose(extract_edges(signal, rate=1000.0, polarity=polarity), expected)


def test_extract_edges_debounce_warns_and_reads_bits():
    signal = np.zeros(100, dtype=np.int64)
    signal[[10, 12, 14, 60]] = 0b100
    with pytest.warns(NeuralInputWarning, match="debounce"):
        edges = extract_edges(signal, rate=1000.0, bit=2, debounce=0.01)
    assert np.allclose(edges, [0.010, 0.060])


def test_dropped_frame_repair_and_counter_checks():
    counter = np.array([10, 11, 13, 14, 18])
    with pytest.warns(NeuralInputWarning, match="4 frames dropped in 2 gaps"):
        repaired = repair_dropped_frames(counter, fps=10.0)
    assert repaired["acquisition_index"].tolist() == [0, 1, 3, 4, 8]
    assert np.allclose(repaired["time"], [0, 0.1, 0.3, 0.4, 0.8])
    with pytest.raises(ValueError, match="does not increase"):
        repair_dropped_frames(np.array([1, 2, 2, 3]), fps=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        wrapped = repair_dropped_frames(np.array([65534, 65535, 0, 1]), fps=10.0, counter_bits=16)
    assert wrapped["acquisition_index"].tolist() == [0, 1, 2, 3]


def test_ibl_frame_counter_has_no_dropped_frames(shared_data):
    from etholake.neural import read_frame_counter

    counter = read_frame_counter(shared_data("neural/ibl_iblrig_bodyCamera.frame_counter.bin"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repaired = repair_dropped_frames(counter, fps=30.0)
    assert counter.size == 510 and repaired["dropped_before"].sum() == 0


def test_repeated_pulse_times_are_dropped_with_a_warning_and_the_map_is_right():
    video = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 600))
    neural = 1.00005 * video + 12.5
    doubled = np.sort(np.concatenate([neural, neural[:50]]))
    with pytest.warns(UserWarning, match=r"target pulses: 50 repeated time\(s\) dropped"):
        clock_map = fit_clock(video, doubled)
    assert clock_map.drift_ppm == pytest.approx(50, abs=0.5)
    assert clock_map.offset == pytest.approx(12.5, abs=1e-4)


def test_periodic_pulses_matched_at_a_lag_that_overlaps_a_small_part_fail_qc():
    video = np.arange(0.0, 1200.0, 1.0)
    with pytest.raises(
        ClockFitError,
        match=r"failed QC \(coverage, lag_unambiguous\): .* 12\.\d% of the shorter pulse train \(need 50%\)",
    ):
        fit_clock(video, 1.00002 * video + 12.5, strict=True)


@pytest.mark.parametrize(
    ("scale", "corrupt"), [(1000.0, None), (1.0, 5e5)], ids=["target-in-milliseconds", "one-corrupt-pulse"]
)
def test_a_pulse_train_spanning_days_is_refused_before_any_binning(scale, corrupt):
    video = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 3000))
    neural = (1.00005 * video + 12.5) * scale
    if corrupt is not None:
        neural = np.append(neural, corrupt)
    with pytest.raises(ClockFitError, match=r"the target pulses span [\d,]+ s .* more than 48 h: are they in seconds"):
        fit_clock(video, neural)


@pytest.mark.parametrize(("hours", "drift_ppm"), [(3, 100.0), (6, -150.0), (12, 180.0)])
def test_long_sessions_with_strong_drift_are_matched_from_the_lag_segment_outward(hours, drift_ppm):
    rng = np.random.default_rng(1)
    video = np.cumsum(rng.uniform(0.5, 1.5, hours * 3600))
    neural = (1 + drift_ppm * 1e-6) * video + 12.5 + rng.normal(0, 5e-4, video.size)
    seen_on_video = video[rng.random(video.size) > 0.02]
    clock_map = fit_clock(seen_on_video, neural, strict=True)
    assert clock_map.drift_ppm == pytest.approx(drift_ppm, abs=0.1)
    assert np.max(np.abs(clock_map(video) - neural)) < 3e-3
    assert clock_map.matched_fraction >= 0.95


def test_periodic_pulses_whose_lag_cannot_be_told_fail_qc_and_paired_pulses_fit():
    rng = np.random.default_rng(3)
    video = np.arange(0.0, 3600.0, 1.0) + rng.normal(0, 1e-4, 3600)
    neural = 1.00003 * video + 12.5
    with pytest.raises(ClockFitError, match=r"failed QC \(lag_unambiguous\): the coarse lag .* is ambiguous"):
        fit_clock(video, neural, strict=True)
    with pytest.warns(ClockQualityWarning, match=r"second cross-correlation peak at \d+% of the first"):
        clock_map = fit_clock(video, neural)
    assert clock_map.qc["checks"]["lag_unambiguous"] is False
    assert clock_map.qc["lag_peak_ratio"] > 0.8
    assert fit_clock(video, neural, paired=True, strict=True).offset == pytest.approx(12.5, abs=1e-3)


def test_periodic_pulses_fit_when_max_lag_is_below_half_the_period():
    rng = np.random.default_rng(4)
    video = np.arange(0.0, 1800.0, 1.0) + rng.normal(0, 1e-4, 1800)
    neural = 1.00003 * video + 0.23
    clock_map = fit_clock(video, neural, max_lag=0.4, strict=True)
    assert clock_map.offset == pytest.approx(0.23, abs=1e-3)
    assert clock_map.qc["checks"]["lag_unambiguous"]
