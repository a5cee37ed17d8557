"""Interval (bout) label CSV reader: frame and second layouts, annotators, overlaps."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import detect_labels_format, read_labels
from etholake.io.labels.interval_csv import read_interval_csv


def write(tmp_path, text: str):
    path = tmp_path / "bouts.csv"
    path.write_text(text)
    return path


def present(ds, behavior):
    return np.flatnonzero(ds["label"].sel(behavior=behavior).values == 1).tolist()


def test_frame_bouts_are_inclusive_and_other_frames_absent(tmp_path):
    path = write(tmp_path, "behavior,start_frame,stop_frame\nattack,2,4\nsniff,3,3\n")
    assert detect_labels_format(path) == "interval_csv"
    ds = read_labels(path, n_frames=8)
    assert present(ds, "attack") == [2, 3, 4]
    assert present(ds, "sniff") == [3]
    assert (ds["label"].values >= 0).all()
    assert ds.sizes["time"] == 8


def test_second_bouts_are_half_open_and_need_fps(tmp_path):
    path = write(tmp_path, "behavior,start_s,stop_s\nattack,0.1,0.2\nsniff,0.5,0.5\n")
    with pytest.raises(InputFileError, match="pass fps="):
        read_interval_csv(path)
    ds = read_interval_csv(path, fps=30)
    assert present(ds, "attack") == [3, 4, 5]
    assert present(ds, "sniff") == [15]
    assert ds.attrs["interval_layout"] == "seconds"


def test_annotator_column_selects_one_label_set(tmp_path):
    path = write(tmp_path, "behavior,start_frame,stop_frame,annotator\nattack,0,1,ann\nattack,5,6,bo\n")
    with pytest.raises(InputFileError, match=r"pass annotator="):
        read_interval_csv(path)
    ds = read_interval_csv(path, annotator="bo", n_frames=10)
    assert present(ds, "attack") == [5, 6]
    assert ds.attrs["annotator"] == "bo"
    with pytest.raises(InputFileError, match="no bouts of annotator 'cy'"):
        read_interval_csv(path, annotator="cy")


def test_overlapping_bouts_of_one_behavior_merge_with_a_warning(tmp_path):
    path = write(tmp_path, "behavior,start_frame,stop_frame\nattack,0,4\nsniff,2,3\nattack,3,6\n")
    with pytest.warns(UserWarning, match="1 overlapping bout"):
        ds = read_interval_csv(path)
    assert present(ds, "attack") == list(range(7))


def test_header_only_file_with_n_frames_is_all_absent(tmp_path):
    ds = read_interval_csv(write(tmp_path, "behavior,start_frame,stop_frame\n"), n_frames=5, behaviors=["attack"])
    assert (ds["label"].values == 0).all()
    assert ds.sizes["time"] == 5


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("behavior,start_frame,stop_frame,annotator\nattack,1,2,a\nattack,3,4,a\nattack,5,4,b\n", 4),
        ("behavior,start_frame,stop_frame,annotator\nattack,1,2,a\n\nattack,3,4,a\n  \nattack,5,4,b\n", 6),
    ],
)
def test_messages_give_the_file_line_after_selecting_an_annotator(tmp_path, text, line):
    with pytest.raises(InputFileError, match=f"line {line}: stop_frame is before start_frame"):
        read_labels(write(tmp_path, text), annotator="b")


@pytest.mark.parametrize(
    ("text", "problem", "options"),
    [
        ("behavior,start_frame,stop_frame\nattack,5,2\n", "line 2: stop_frame is before start_frame", {}),
        ("behavior,start_frame,stop_frame\nattack,x,2\n", "must be non-negative numbers", {}),
        ("behavior,start_frame,stop_frame\nattack,1.5,2\n", "must be integers", {}),
        ("behavior,start_frame,stop_frame\n,1,2\n", "empty behavior name", {}),
        ("behavior,start_frame,stop_frame\nattack,1,20\n", "session has 10 frames", {"n_frames": 10}),
        ("behavior,start_frame,stop_frame\n", "holds no bouts", {}),
        ("behavior,start,stop\nattack,1,2\n", "not an interval CSV", {}),
        ("", "empty", {}),
    ],
)
def test_bad_files_raise(tmp_path, text, problem, options):
    with pytest.raises(InputFileError, match=problem):
        read_interval_csv(write(tmp_path, text), **options)
