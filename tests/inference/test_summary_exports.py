import numpy as np
import pandas as pd
import pytest
import xarray as xr

from etholake.inference.bouts import bouts_from_mask
from etholake.inference.exports import (
    boris_events,
    bouts_table,
    simba_data_summary,
    simba_detailed_bouts,
    simba_machine_results,
)
from etholake.inference.summary import behavior_summary, labels_summary
from etholake.schema import make_labels_dataset, make_pose_dataset

BOUTS = pd.DataFrame(
    {
        "behavior": ["attack", "attack", "sniff"],
        "start_frame": [30, 90, 10],
        "stop_frame": [59, 104, 19],
        "start_time": [1.0, 3.0, 10 / 30],
        "stop_time": [2.0, 3.5, 20 / 30],
        "duration": [1.0, 0.5, 10 / 30],
        "mean_probability": [0.8, 0.7, 0.9],
        "max_probability": [0.9, 0.8, 0.95],
    }
)


def test_behavior_summary_by_hand():
    summary = behavior_summary(BOUTS, ["attack", "sniff", "mount"], session_start_s=0.0, session_duration_s=10.0)
    attack, sniff, mount = (summary.iloc[i] for i in range(3))
    assert attack["bout_count"] == 2
    assert attack["total_duration_s"] == pytest.approx(1.5)
    assert attack["mean_duration_s"] == pytest.approx(0.75)
    assert attack["percent_of_session"] == pytest.approx(15.0)
    assert attack["latency_s"] == pytest.approx(1.0)
    assert attack["mean_interval_s"] == pytest.approx(1.0)
    assert sniff["bout_count"] == 1 and np.isnan(sniff["mean_interval_s"])
    assert mount["bout_count"] == 0 and mount["total_duration_s"] == 0 and np.isnan(mount["latency_s"])


def test_labels_summary_counts_runs_of_present_frames_and_not_scored_frames_end_a_bout():
    attack = np.zeros(100, dtype=np.int8)
    attack[10:20] = 1
    attack[20:25] = -1
    attack[25:40] = 1
    attack[90:] = 1
    mount = np.full(100, -1, dtype=np.int8)
    labels = make_labels_dataset(
        np.column_stack([attack, mount]),
        behaviors=["attack", "mount"],
        annotator="ann",
        label_set="S1",
        fps=10.0,
        frames=np.arange(50, 150),
    )
    summary = labels_summary(labels).set_index("behavior")
    assert summary.loc["attack", "bout_count"] == 3
    assert summary.loc["attack", "total_duration_s"] == pytest.approx(3.5)
    assert summary.loc["attack", "latency_s"] == pytest.approx(1.0)
    assert summary.loc["attack", "mean_interval_s"] == pytest.approx((0.5 + 5.0) / 2)
    assert summary.loc["attack", "session_duration_s"] == pytest.approx(10.0)
    assert summary.loc["attack", "percent_of_session"] == pytest.approx(35.0)
    assert summary.loc["mount", "bout_count"] == 0


def test_labels_summary_without_a_frame_rate_is_none():
    labels = make_labels_dataset(np.ones((5, 1), dtype=np.int8), behaviors=["attack"], annotator="a", label_set="S1")
    assert labels_summary(labels) is None


def test_simba_descriptive_statistics_and_detailed_bouts_use_simba_columns():
    summary = simba_data_summary(BOUTS, ["attack"], "video1", session_duration_s=10.0)
    assert list(summary.columns) == [
        "VIDEO",
        "attack - Event count",
        "attack - First occurrence (s)",
        "attack - Mean event duration (s)",
        "attack - Mean event interval (s)",
        "attack - Median event duration (s)",
        "attack - Median event interval (s)",
        "attack - Total event duration (% of session)",
        "attack - Total event duration (s)",
    ]
    assert summary.iloc[0]["attack - Event count"] == 2
    assert summary.iloc[0]["attack - Total event duration (% of session)"] == 15.0
    detailed = simba_detailed_bouts(BOUTS, "video1")
    assert list(detailed.columns) == [
        "Video",
        "Event",
        "Start_time",
        "End Time",
        "Start_frame",
        "End_frame",
        "Bout_time",
    ]
    assert detailed["Event"].tolist() == ["attack", "attack", "sniff"]


def test_simba_machine_results_columns():
    position = np.arange(3 * 2 * 2 * 2, dtype=np.float32).reshape(3, 2, 2, 2)
    pose = make_pose_dataset(
        position, confidence=np.full((3, 2, 2), 0.9), keypoints=["Nose", "Tail"], individuals=["a", "b"], fps=30.0
    )
    annotations = xr.Dataset(
        {
            "probability": (("time", "behavior"), np.array([[0.1], [0.7], [0.8]], np.float32)),
            "predicted": (("time", "behavior"), np.array([[False], [True], [True]])),
        },
        coords={"time": pose["time"].values, "frame": ("time", [0, 1, 2]), "behavior": ["attack"]},
    )
    table = simba_machine_results(pose, annotations)
    assert list(table.columns[:3]) == ["Nose_1_x", "Nose_1_y", "Nose_1_p"]
    assert list(table.columns[-2:]) == ["Probability_attack", "attack"]
    assert table["attack"].tolist() == [0, 1, 1]
    assert table["Tail_2_y"].tolist() == position[:, 1, 1, 1].tolist()


def test_boris_export_reads_back_with_the_boris_reader(tmp_path):
    from etholake.io.labels import read_labels

    events = boris_events(BOUTS, observation="video1", media_file="video1.mp4", fps=30.0, media_duration_s=10.0)
    assert events["Behavior type"].tolist().count("START") == 3
    path = tmp_path / "events.csv"
    events.to_csv(path, index=False)
    labels = read_labels(path, format="boris", annotator="model")
    attack = labels["label"].sel(behavior="attack").values
    assert attack.sum() == 30 + 15
    assert attack[30] == 1 and attack[59] == 1 and attack[60] == 0 and attack[104] == 1 and attack[105] == 0


def test_bouts_table_writes_times_without_float_noise(tmp_path):
    mask = np.zeros(300, dtype=bool)
    mask[46:100] = True
    bouts = bouts_from_mask(mask, fps=30.0, behavior="sniff")
    assert bouts["duration"].iloc[0] != 1.8
    path = tmp_path / "bouts.csv"
    bouts_table(bouts).to_csv(path, index=False)
    written = path.read_text().splitlines()[1].split(",")
    assert written[3:6] == ["1.533333333", "3.333333333", "1.8"]
