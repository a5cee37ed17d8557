"""Neural ingest from real files (DANDI, pynapple, suite2p, IBL) and plain tables, quirks reported."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from ophys_files import write_roi_response

from etholake.errors import InputFileError
from etholake.neural import (
    NeuralInputWarning,
    Units,
    read_frame_times,
    read_nwb_digital_line,
    read_nwb_event_series,
    read_nwb_intervals,
    read_nwb_roi_response,
    read_nwb_units,
    read_pulses,
    read_spike_table,
    read_suite2p,
)

DANDI = "neural/dandi000006_sub-anm369963_ses-20170228.nwb"
PYNAPPLE = "neural/pynapple_A8604-211122.nwb"


def test_dandi_units_sorted_with_warning_and_metadata(shared_data):
    with pytest.warns(NeuralInputWarning, match="not sorted within units"):
        units = read_nwb_units(shared_data(DANDI))
    assert units.n_units == 1 and units.unit_ids.tolist() == [1001]
    assert units.spike_counts.tolist() == [1679]
    assert np.all(np.diff(units.spike_train(0)) >= 0)
    assert units.spike_times.min() == pytest.approx(372.8, abs=0.1)
    row = units.metadata.loc[1001]
    assert row["depth"] == 780 and row["quality"] == "Excellent" and row["cell_type"] == "PTlower"
    assert "ALM" in row["electrode_location"]
    assert row["location"] == "ALM"


def test_dandi_licks_unsorted_are_sorted_with_warning(shared_data):
    with pytest.warns(NeuralInputWarning, match="not sorted") as record:
        licks = read_nwb_event_series(shared_data(DANDI), "lick_times")
    unsorted = [w for w in record if issubclass(w.category, NeuralInputWarning)]
    assert len(unsorted) == 2, [str(w.message) for w in record]
    assert {k: v.size for k, v in licks.items()} == {"lick_left_times": 782, "lick_right_times": 1016}
    assert all(np.all(np.diff(v) >= 0) for v in licks.values())
    with pytest.warns(NeuralInputWarning):
        left = read_pulses(shared_data(DANDI), "acquisition/lick_times/lick_left_times")
    assert np.array_equal(left, licks["lick_left_times"])


def test_dandi_trials_nan_stop_times_filled_with_warning(shared_data):
    with pytest.warns(NeuralInputWarning, match="178 of 178 stop times are NaN"):
        trials = read_nwb_intervals(shared_data(DANDI), "trials")
    assert len(trials) == 178 and trials["stop_time_filled"].all()
    assert np.all(trials["stop_time"].to_numpy() > trials["start_time"].to_numpy())
    assert trials["stop_time"].iloc[0] == trials["start_time"].iloc[1]
    assert set(trials["type"]) == {"lick left", "lick right"}


def test_pynapple_nwb_units_and_epochs(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeuralInputWarning)
        units = read_nwb_units(shared_data(PYNAPPLE))
        epochs = read_nwb_intervals(shared_data(PYNAPPLE), "epochs")
    assert units.unit_ids.tolist() == [6, 191, 206]
    assert units.spike_times.size == 21354
    assert units.metadata["electrode_group"].tolist() == ["group0_psb"] * 3
    rates = units.spike_counts / 1087.53
    assert rates == pytest.approx([10.1, 4.3, 5.2], abs=0.1)
    assert epochs["tags"].tolist() == ["wake"] and epochs["stop_time"].iloc[0] == pytest.approx(1087.53, abs=0.01)


def test_unit_location_comes_from_the_unit_then_its_electrode_then_its_group(tmp_path):
    from pynwb import NWBHDF5IO, NWBFile

    nwbfile = NWBFile("units", "id", datetime(2026, 1, 1, tzinfo=UTC))
    device = nwbfile.create_device(name="probe")
    shank = nwbfile.create_electrode_group(name="shank0", description="", location="HPC", device=device)
    for location in ("CA1", "brain_region: CA3; brain_subregion: N/A"):
        nwbfile.add_electrode(group=shank, location=location, x=0.0, y=0.0, z=0.0)
    nwbfile.add_unit_column(name="location", description="the unit's own location")
    for electrodes, own in (([0], ""), ([1], ""), ([], ""), ([0], "DG")):
        nwbfile.add_unit(spike_times=[0.5, 1.0], electrodes=electrodes, electrode_group=shank, location=own)
    path = tmp_path / "units.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    units = read_nwb_units(path)
    assert units.metadata["location"].tolist() == ["CA1", "CA3", "HPC", "DG"]
    assert units.metadata["electrode_location"].tolist()[1] == "brain_region: CA3; brain_subregion: N/A"


@pytest.mark.parametrize(("cells_only", "n_channels"), [(True, 20), (False, 219)])
def test_suite2p_fluorescence_with_declared_rate(shared_data, cells_only, n_channels):
    traces = read_suite2p(
        shared_data("neural/pynapple_suite2p_F.npy"),
        shared_data("neural/pynapple_suite2p_iscell.npy"),
        frame_rate=30.0,
        cells_only=cells_only,
    )
    assert traces.dims == ("time", "channel") and traces.shape == (2000, n_channels)
    assert traces["time"].values[-1] == pytest.approx(1999 / 30.0)
    assert traces.attrs["rate"] == 30.0 and traces.attrs["source_software"] == "suite2p"
    assert bool(traces["is_cell"].all()) is cells_only


def test_suite2p_requires_a_frame_rate(shared_data):
    with pytest.raises(ValueError, match="frame rate"):
        read_suite2p(shared_data("neural/pynapple_suite2p_F.npy"), frame_rate=0)


def test_roi_response_series_round_trip(tmp_path):
    path = tmp_path / "ophys.nwb"
    data = np.arange(20, dtype=np.float32).reshape(10, 2)
    write_roi_response(path, data, region=[0, 2], rate=15.0, unit="lumens")
    traces = read_nwb_roi_response(path, "RoiResponseSeries")
    assert traces.shape == (10, 2) and traces["channel"].values.tolist() == [0, 2]
    assert traces["time"].values[1] == pytest.approx(1 / 15.0) and traces.attrs["units"] == "lumens"


def test_spike_table_csv_sorted_and_cleaned(tmp_path):
    path = tmp_path / "spikes.csv"
    pd.DataFrame({"unit": ["b", "a", "b", "a", None], "time": [2.0, 1.5, 1.0, np.nan, 3.0]}).to_csv(path, index=False)
    with pytest.warns(NeuralInputWarning) as record:
        units = read_spike_table(path)
    messages = " ".join(str(w.message) for w in record)
    assert "dropped 2 spikes" in messages and "sorted" in messages
    assert units.unit_ids.tolist() == ["a", "b"]
    assert units.spike_times.tolist() == [1.5, 1.0, 2.0] and units.spike_times_index.tolist() == [1, 3]


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_pulses_from_csv_and_npy(tmp_path, suffix):
    times = np.array([0.5, 1.7, 1.2, 3.0])
    path = tmp_path / f"ttl{suffix}"
    if suffix == ".npy":
        np.save(path, times)
    else:
        pd.DataFrame({"time": times, "line": [1, 1, 2, 1]}).to_csv(path, index=False)
    with pytest.warns(NeuralInputWarning, match="not sorted"):
        pulses = read_pulses(path)
    assert pulses.tolist() == [0.5, 1.2, 1.7, 3.0]


def test_pulses_select_one_line_of_a_table(tmp_path):
    path = tmp_path / "ttl.csv"
    pd.DataFrame({"time": [0.5, 1.2, 1.7], "line": [1, 2, 1]}).to_csv(path, index=False)
    assert read_pulses(path, select=("line", 1)).tolist() == [0.5, 1.7]


@pytest.fixture
def ttl_nwb(tmp_path):
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.event import EventsTable

    nwbfile = NWBFile("sync", "id", datetime(2026, 1, 1, tzinfo=UTC))
    nwbfile.add_acquisition(
        TimeSeries(name="ttl_edges", data=[1, -1, 1, -1], timestamps=[1.0, 1.1, 2.0, 2.1], unit="n.a.")
    )
    line = np.zeros(3000)
    line[[500, 501, 502, 1500, 1501, 2500]] = 5.0
    nwbfile.add_acquisition(TimeSeries(name="sync_line", data=line, rate=1000.0, unit="V"))
    events = EventsTable(name="camera_ttl", description="ttl events")
    events.add_column(name="line", description="input line")
    for time, line_number in [(0.3, 1), (0.2, 2), (0.9, 1)]:
        events.add_row(timestamp=time, line=line_number)
    nwbfile.add_events_table(events)
    path = tmp_path / "sync.nwb"
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


@pytest.mark.parametrize(("polarity", "expected"), [("rising", [1.0, 2.0]), ("falling", [1.1, 2.1])])
def test_nwb_ttl_series_polarity(ttl_nwb, polarity, expected):
    assert read_pulses(ttl_nwb, "ttl_edges", polarity=polarity).tolist() == expected


def test_nwb_events_table_and_digital_line(ttl_nwb):
    assert read_pulses(ttl_nwb, "camera_ttl", select=("line", 1)).tolist() == [0.3, 0.9]
    assert np.allclose(read_nwb_digital_line(ttl_nwb, "sync_line"), [0.5, 1.5, 2.5])


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"not an hdf5 file", "not a readable NWB file"), (None, "file not found")],
)
def test_bad_nwb_raises_input_file_error(tmp_path, content, match):
    path = tmp_path / "bad.nwb"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputFileError, match=match):
        read_nwb_units(path)


def test_missing_object_names_what_is_there(shared_data):
    with pytest.raises(InputFileError, match="no object named 'ttl'"):
        read_pulses(shared_data(DANDI), "ttl")


def test_frame_times_report_backward_steps(tmp_path):
    path = tmp_path / "frames.npy"
    np.save(path, np.array([0.0, 0.033, 0.030, 0.1]))
    with pytest.warns(NeuralInputWarning, match="do not increase"):
        assert read_frame_times(path).size == 4


def test_units_reject_inconsistent_layout():
    with pytest.raises(Exception, match="spike_times_index"):
        Units(np.array([1.0, 2.0]), np.array([1]), pd.DataFrame(index=[0, 1]))
    with pytest.raises(Exception, match="sorted within each unit"):
        Units(np.array([2.0, 1.0]), np.array([2]), pd.DataFrame(index=[0]))


def test_interval_repair_sorts_and_reports_overlaps_without_merging():
    from etholake.neural.fixups import repaired_intervals

    table = pd.DataFrame({"start_time": [5.0, 0.0, 1.0], "stop_time": [6.0, 2.0, np.nan]})
    with pytest.warns(NeuralInputWarning) as record:
        repaired = repaired_intervals(table, "bouts")
    messages = " ".join(str(w.message) for w in record)
    assert "not sorted" in messages and "1 of 3 stop times are NaN" in messages and "1 intervals overlap" in messages
    assert repaired["start_time"].tolist() == [0.0, 1.0, 5.0]
    assert repaired["stop_time"].tolist() == [2.0, 5.0, 6.0]
    assert repaired["stop_time_filled"].tolist() == [False, True, False]
