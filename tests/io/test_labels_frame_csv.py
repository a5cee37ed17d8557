"""Generic per-frame label CSV reader."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import detect_labels_format, read_labels
from etholake.io.labels.frame_csv import read_frame_csv


def write(tmp_path, text: str):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_values_empty_cells_and_missing_frames(tmp_path):
    path = write(tmp_path, "frame,attack,sniff\n0,1,0\n1,0,\n3,-1,1\n")
    assert detect_labels_format(path) == "frame_csv"
    ds = read_labels(path, fps=25, annotator="bob")
    np.testing.assert_array_equal(ds["label"].values, [[1, 0], [0, -1], [-1, -1], [-1, 1]])
    assert list(ds["behavior"].values) == ["attack", "sniff"]
    assert ds.attrs["annotator"] == "bob"
    np.testing.assert_allclose(ds["time"].values, [0, 0.04, 0.08, 0.12])


def test_unsorted_rows_n_frames_and_extra_declared_behaviors(tmp_path):
    path = write(tmp_path, "frame,attack\n2,1\n0,0\n")
    with pytest.warns(UserWarning, match="no column for"):
        ds = read_frame_csv(path, n_frames=4, behaviors=["sniff", "attack"])
    np.testing.assert_array_equal(ds["label"].values, [[0, 0], [-1, -1], [0, 1], [-1, -1]])


def test_a_declared_behavior_without_a_column_is_absent_on_the_scored_frames(tmp_path):
    path = write(tmp_path, "frame,attack,sniff\n0,0,1\n1,,-1\n2,1,\n")
    with pytest.warns(UserWarning, match=r"has no column for the declared behavior\(s\) \['chase'\]"):
        ds = read_labels(path, behaviors=["attack", "sniff", "chase"])
    assert ds["label"].sel(behavior="chase").values.tolist() == [0, -1, 0]
    np.testing.assert_array_equal(ds["label"].sel(behavior=["attack", "sniff"]).values, [[0, 1], [-1, -1], [1, -1]])


def test_repeated_identical_rows_are_read_once_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="read once"):
        ds = read_frame_csv(write(tmp_path, "frame,attack\n0,1\n0,1\n1,0\n"))
    np.testing.assert_array_equal(ds["label"].values, [[1], [0]])


@pytest.mark.parametrize(
    ("text", "problem", "options"),
    [
        ("frame,attack\n0,1\n0,0\n", "frame 0 is listed twice with different labels", {}),
        ("frame,attack\n0,2\n", "line 2: attack is '2'", {}),
        ("frame,attack\n-1,1\n", "line 2: frame '-1' is not a non-negative integer", {}),
        ("frame,attack\n0,1\n\n1,0\n\n2,x\n", "line 6: attack is 'x'", {}),
        ("frame,attack\n0,1\n\n-1,1\n", "line 4: frame '-1'", {}),
        ("frame,attack\n0.5,1\n", "not a non-negative integer", {}),
        ("frame,attack\n0,1\n5,1\n", "session has 3 frames", {"n_frames": 3}),
        ("frame,attack,attack\n0,1,1\n", "must be named and unique", {}),
        ("time,attack\n0,1\n", "not a per-frame label CSV", {}),
        ("", "empty", {}),
    ],
)
def test_bad_files_raise(tmp_path, text, problem, options):
    with pytest.raises(InputFileError, match=problem):
        read_frame_csv(write(tmp_path, text), **options)
