"""Label sets written as per-frame CSV, interval CSV and BORIS events read back as they were."""

import numpy as np
import pytest

from etholake import read_labels
from etholake.io.labels.tables import boris_table, frame_csv_table, interval_csv_table, label_runs
from etholake.output_files import write_table
from etholake.schema.labels import make_labels_dataset

N_FRAMES = 300


@pytest.fixture
def labels():
    """ada's S1: attack on 10-19 and 200-209, sniff on 40-99, every behavior not scored from frame 250 on."""
    label = np.zeros((N_FRAMES, 2), dtype=np.int8)
    label[10:20, 0] = 1
    label[200:210, 0] = 1
    label[40:100, 1] = 1
    label[250:, :] = -1
    return make_labels_dataset(label, behaviors=["attack", "sniff"], annotator="ada", label_set="S1", fps=30.0)


def test_runs_are_the_present_and_unscored_stretches_in_time_order(labels):
    runs = label_runs(labels)
    assert runs[["behavior", "state", "start_frame", "stop_frame"]].values.tolist() == [
        ["attack", "present", 10, 19],
        ["sniff", "present", 40, 99],
        ["attack", "present", 200, 209],
        ["attack", "not scored", 250, 299],
        ["sniff", "not scored", 250, 299],
    ]
    assert runs["stop_time"].iloc[0] == pytest.approx(20 / 30.0)


@pytest.mark.parametrize("suffix", ["csv", "tsv"])
def test_a_per_frame_csv_keeps_every_value(labels, tmp_path, suffix):
    path = tmp_path / f"labels.{suffix}"
    write_table(frame_csv_table(labels), path)
    back = read_labels(path, format="frame_csv", fps=30.0, annotator="ada", label_set="S1")
    np.testing.assert_array_equal(back["label"].values, labels["label"].values)


@pytest.mark.parametrize(
    ("write", "format", "suffix"),
    [
        (interval_csv_table, "interval_csv", "csv"),
        (lambda ds: boris_table(ds, observation="s1", media_file="s1.mp4"), "boris", "csv"),
        (lambda ds: boris_table(ds, observation="s1", media_file="s1.mp4"), "boris", "tsv"),
    ],
)
def test_bout_tables_keep_the_bouts_and_read_unscored_frames_as_absent(labels, tmp_path, write, format, suffix):
    path = tmp_path / f"labels.{suffix}"
    write_table(write(labels), path)
    back = read_labels(path, format=format, fps=30.0, n_frames=N_FRAMES)
    expected = np.where(labels["label"].values == -1, 0, labels["label"].values)
    np.testing.assert_array_equal(back["label"].sel(behavior=["attack", "sniff"]).values, expected)


def test_without_a_frame_rate_intervals_are_written_and_boris_events_refused(labels, tmp_path):
    from etholake.errors import SchemaError

    unknown_rate = make_labels_dataset(
        labels["label"].values, behaviors=["attack", "sniff"], annotator="ada", label_set="S1"
    )
    assert interval_csv_table(unknown_rate).values.tolist() == interval_csv_table(labels).values.tolist()
    assert label_runs(unknown_rate)["stop_time"].isna().all()
    with pytest.raises(SchemaError, match="label set ada:S1 has no frame rate: BORIS events are in seconds"):
        boris_table(unknown_rate, observation="s1", media_file="s1.mp4")
