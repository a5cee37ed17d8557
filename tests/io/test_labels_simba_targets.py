"""SimBA targets_inserted reader, on SimBA 5.6.1's real output for rat video 24 (frames 2000-2299)."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import detect_labels_format, read_labels
from etholake.io.labels.simba_targets import read_simba_targets

TARGETS = "simba_reference/rat24/targets_inserted_rat24_frames2000-2299.csv"


def test_real_targets_file_is_detected_and_its_target_column_found(shared_data):
    path = shared_data(TARGETS)
    assert detect_labels_format(path) == "simba_targets"
    ds = read_labels(path, fps=30)
    assert list(ds["behavior"].values) == ["aggression"]
    assert ds.sizes["time"] == 2300
    assert (ds["label"].values[:2000] == -1).all()
    assert (ds["label"].values[2000:] == 0).all()
    assert ds.attrs["source_format"] == "simba_targets"


def test_declared_target_names_and_session_length(shared_data):
    ds = read_simba_targets(shared_data(TARGETS), behaviors=["aggression"], n_frames=2500)
    assert ds.sizes["time"] == 2500
    assert (ds["label"].values[2300:] == -1).all()


def test_missing_declared_target_raises(shared_data):
    with pytest.raises(InputFileError, match=r"has no column\(s\) \['attack'\]"):
        read_simba_targets(shared_data(TARGETS), behaviors=["attack"])


POSE = ",nose_1_x,nose_1_y,nose_1_p,speed"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([POSE + ",attack,sniff", "0,1.5,2.5,0.9,0.1,1,0", "1,1.5,2.5,0.9,0.2,0,1"], [[1, 0], [0, 1]]),
        ([POSE + ",attack", "0,1.5,2.5,0.9,0.1,1", "2,1.5,2.5,0.9,0.2,0"], [[1], [-1], [0]]),
    ],
)
def test_small_tables(tmp_path, lines, expected):
    path = tmp_path / "targets.csv"
    path.write_text("\n".join(lines) + "\n")
    np.testing.assert_array_equal(read_simba_targets(path)["label"].values, expected)


@pytest.mark.parametrize(
    ("lines", "problem", "options"),
    [
        ([POSE + ",attack", "0,1,2,0.9,0.1,2"], "frame 0: attack is 2, not 0 or 1", {"behaviors": ["attack"]}),
        ([POSE + ",attack", "0,1,2,0.9,0.1,2"], "no behavior columns", {}),
        ([POSE + ",attack", "0,1,2,0.9,0.1,1", "0,1,2,0.9,0.1,0"], "increase strictly", {}),
        ([POSE + ",attack", "0,1,2,0.9,0.1,1", "9,1,2,0.9,0.1,0"], "session has 5 frames", {"n_frames": 5}),
        (["frame,nose_x,nose_y,nose_p,attack", "0,1,2,0.9,1"], "not a SimBA targets_inserted file", {}),
    ],
)
def test_bad_tables_raise(tmp_path, lines, problem, options):
    path = tmp_path / "targets.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=problem):
        read_simba_targets(path, **options)
