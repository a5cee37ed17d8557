"""Calcium traces: NWB ROI responses in their declared unit, and event-triggered averages."""

from __future__ import annotations

import numpy as np
import pytest
from ophys_files import write_roi_response

from etholake.neural import event_triggered_average, make_traces, read_nwb_roi_response


def _data_in_units(path) -> np.ndarray:
    from pynwb import NWBHDF5IO

    with NWBHDF5IO(str(path), "r") as io:
        return io.read().processing["ophys"]["Fluorescence"]["RoiResponseSeries"].get_data_in_units()


def test_roi_response_applies_conversion_and_offset(tmp_path):
    path = tmp_path / "scaled.nwb"
    data = np.arange(840, 870, dtype=np.int16).reshape(10, 3)
    write_roi_response(path, data, region=[0, 1, 2], rate=20.0, unit="lumens", conversion=0.001, offset=2.0)
    traces = read_nwb_roi_response(path, "RoiResponseSeries")
    assert traces.values[3, 1] == pytest.approx(2.85)
    assert np.issubdtype(traces.dtype, np.floating)
    np.testing.assert_allclose(traces.values, _data_in_units(path), rtol=1e-6)
    assert traces.attrs["units"] == "lumens" and traces["channel"].values.tolist() == [0, 1, 2]


def test_roi_response_without_scaling_keeps_the_values_as_float(tmp_path):
    path = tmp_path / "plain.nwb"
    data = np.arange(30, dtype=np.int16).reshape(10, 3)
    write_roi_response(path, data, region=[0, 1, 2], rate=20.0, unit="a.u.")
    traces = read_nwb_roi_response(path, "RoiResponseSeries")
    assert np.issubdtype(traces.dtype, np.floating)
    np.testing.assert_array_equal(traces.values, data)


@pytest.mark.parametrize(("rate", "starting_time"), [(20.0, 0.0), (30.0, 5000.0)])
def test_event_triggered_average_includes_window_endpoints_on_whole_frames(rate, starting_time):
    traces = make_traces(np.random.default_rng(0).random((20000, 1)), rate=rate, starting_time=starting_time)
    result = event_triggered_average(traces, [starting_time + 100.0], window=(-1.0, 2.0))
    lags = result["lag"].values
    assert lags.size == 3 * int(rate) + 1
    assert lags[0] == pytest.approx(-1.0) and lags[-1] == pytest.approx(2.0)
    assert np.isfinite(result["mean"].values).all()


def test_event_triggered_average_leaves_out_endpoints_between_frames():
    traces = make_traces(np.zeros((2000, 1)), rate=20.0)
    lags = event_triggered_average(traces, [50.0], window=(-1.01, 2.01))["lag"].values
    assert lags.size == 61 and lags[0] == pytest.approx(-1.0) and lags[-1] == pytest.approx(2.0)
