"""Round trips through pynapple objects, avoiding its interval-merging trap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from etholake.neural import NeuralInputWarning, Units, make_traces, read_nwb_units
from etholake.neural.pynapple_interop import (
    bouts_to_interval_sets,
    events_to_ts,
    interval_sets_to_bouts,
    traces_from_tsdframe,
    traces_to_tsdframe,
    units_from_tsgroup,
    units_to_tsgroup,
)

nap = pytest.importorskip("pynapple")


def test_real_units_round_trip_through_tsgroup(shared_data):
    units = read_nwb_units(shared_data("neural/pynapple_A8604-211122.nwb"))
    group = units_to_tsgroup(units, time_support=(0.0, 1087.53))
    assert list(group.keys()) == [6, 191, 206]
    assert group.metadata["electrode_group"].tolist() == ["group0_psb"] * 3
    back = units_from_tsgroup(group)
    assert np.array_equal(back.spike_times, units.spike_times)
    assert back.unit_ids.tolist() == [6, 191, 206] and "rate" not in back.metadata.columns


def test_string_unit_ids_and_single_spike_units_survive():
    units = Units.from_spike_trains({"u-a": [1.0], "u-b": [0.5, 2.0]})
    group = units_to_tsgroup(units, time_support=(0.0, 3.0))
    assert list(group.keys()) == [0, 1]
    back = units_from_tsgroup(group)
    assert back.unit_ids.tolist() == ["u-a", "u-b"] and back.spike_counts.tolist() == [1, 2]


def test_one_interval_set_per_behavior_keeps_overlaps_across_behaviors():
    bouts = pd.DataFrame(
        {
            "behavior": ["groom", "rear", "groom"],
            "start": [1.0, 1.5, 5.0],
            "stop": [2.0, 3.0, 6.0],
            "mean_probability": [0.9, 0.8, 0.7],
        }
    )
    sets = bouts_to_interval_sets(bouts)
    assert sorted(sets) == ["groom", "rear"]
    assert sets["groom"].start.tolist() == [1.0, 5.0] and sets["rear"].end.tolist() == [3.0]
    assert sets["groom"].metadata["mean_probability"].tolist() == [0.9, 0.7]
    back = interval_sets_to_bouts(sets)
    assert len(back) == 3 and back["mean_probability"].notna().all()


def test_overlapping_bouts_of_one_behavior_are_merged_with_a_warning():
    bouts = pd.DataFrame({"behavior": ["walk"] * 3, "start": [0.0, 1.0, 5.0], "stop": [2.0, 3.0, 6.0]})
    with pytest.warns(NeuralInputWarning, match="1 bouts overlap"):
        sets = bouts_to_interval_sets(bouts)
    assert sets["walk"].start.tolist() == [0.0, 5.0] and sets["walk"].end.tolist() == [3.0, 6.0]


def test_traces_and_events_round_trip():
    traces = make_traces(np.arange(20.0).reshape(10, 2), rate=10.0, channels=["roi0", "roi1"])
    frame = traces_to_tsdframe(traces)
    assert list(frame.columns) == ["roi0", "roi1"]
    back = traces_from_tsdframe(frame)
    assert np.array_equal(back.values, traces.values) and back["channel"].values.tolist() == ["roi0", "roi1"]
    assert np.array_equal(events_to_ts(np.array([0.5, 1.5])).index, [0.5, 1.5])
