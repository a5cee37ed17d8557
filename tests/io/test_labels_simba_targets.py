"""SimBA targets_inserted reader, on SimBA 5.6.1's real output for rat video 24 (frames 2000-2299)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import detect_labels_format, read_labels
from etholake.io.labels.simba_targets import read_simba_targets

TARGETS = "simba_reference/rat24/targets_inserted_rat24_frames2000-2299.csv"
PROJECT_CONFIG = "simba_reference/rat24/project_config_rat.ini"


def write_with_binary_low_prob_counts(shared_data, path):
    """The real file with Low_prob_detections_0.5 and _0.75 (int64 counts) turned into 0/1, as they can be."""
    table = pd.read_csv(shared_data(TARGETS), index_col=0)
    for column in ("Low_prob_detections_0.5", "Low_prob_detections_0.75"):
        table[column] = (table[column] > 4).astype(int)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path)
    return path


def simba_project(tmp_path, config_text):
    """A SimBA project folder: project_config.ini and csv/targets_inserted/rat24.csv; returns the ini's path."""
    config = tmp_path / "project_folder" / "project_config.ini"
    config.parent.mkdir()
    config.write_text(config_text)
    return config


def test_real_targets_file_is_detected_and_its_target_column_found(shared_data):
    path = shared_data(TARGETS)
    assert detect_labels_format(path) == "simba_targets"
    with pytest.warns(UserWarning, match=r"inferred \['aggression'\] as the behavior columns"):
        ds = read_labels(path, fps=30)
    assert list(ds["behavior"].values) == ["aggression"]
    assert ds.sizes["time"] == 2300
    assert (ds["label"].values[:2000] == -1).all()
    assert (ds["label"].values[2000:] == 0).all()
    assert ds.attrs["source_format"] == "simba_targets"


def test_simba_low_prob_detection_counts_are_never_taken_as_behaviors(shared_data, tmp_path):
    path = write_with_binary_low_prob_counts(shared_data, tmp_path / "targets.csv")
    with pytest.warns(UserWarning, match=r"pass behaviors= \(SimBA's project_config.ini target_name_<n>\)"):
        ds = read_labels(path)
    assert list(ds["behavior"].values) == ["aggression"]


def test_targets_of_a_file_in_a_simba_project_come_from_its_project_config(shared_data, tmp_path):
    config = simba_project(tmp_path, shared_data(PROJECT_CONFIG).read_text())
    path = write_with_binary_low_prob_counts(shared_data, config.parent / "csv" / "targets_inserted" / "rat24.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = read_labels(path)
    assert list(ds["behavior"].values) == ["aggression"]


@pytest.mark.parametrize(
    ("config_text", "problem"),
    [
        ("[SML settings\nno_targets = 1\n", "cannot read SimBA's project config"),
        ("[General settings]\nanimal_no = 2\n", r"has no \[SML settings\] no_targets"),
        ("[SML settings]\nno_targets = one\n", "no_targets is 'one', not a whole number of targets"),
        ("[SML settings]\nno_targets = 2\ntarget_name_1 = aggression\n", r"has no target_name_2"),
    ],
)
def test_a_broken_simba_project_config_is_an_error_naming_it(shared_data, tmp_path, config_text, problem):
    config = simba_project(tmp_path, config_text)
    path = write_with_binary_low_prob_counts(shared_data, config.parent / "csv" / "targets_inserted" / "rat24.csv")
    with pytest.raises(InputFileError, match=problem) as raised:
        read_labels(path)
    assert raised.value.path == str(config)


def test_declared_target_names_and_session_length(shared_data):
    ds = read_simba_targets(shared_data(TARGETS), behaviors=["aggression"], n_frames=2500)
    assert ds.sizes["time"] == 2500
    assert (ds["label"].values[2300:] == -1).all()


def test_a_declared_target_without_a_column_is_absent_on_the_scored_frames(shared_data):
    with pytest.warns(UserWarning, match=r"has no column for the declared behavior\(s\) \['chase'\]"):
        ds = read_simba_targets(shared_data(TARGETS), behaviors=["aggression", "chase"])
    chase = ds["label"].sel(behavior="chase").values
    assert (chase[:2000] == -1).all()
    assert (chase[2000:] == 0).all()
    np.testing.assert_array_equal(ds["label"].sel(behavior="aggression").values, chase)


def test_a_declared_target_list_naming_no_column_is_refused(shared_data):
    with pytest.raises(InputFileError, match=r"none of the behaviors \['attack'\] .* is a column of the file"):
        read_simba_targets(shared_data(TARGETS), behaviors=["attack"])


def test_a_project_config_naming_no_column_of_the_file_is_refused(shared_data, tmp_path):
    config = simba_project(tmp_path, "[SML settings]\nno_targets = 1\ntarget_name_1 = attack\n")
    path = write_with_binary_low_prob_counts(shared_data, config.parent / "csv" / "targets_inserted" / "rat24.csv")
    with pytest.raises(InputFileError, match=r"none of the behaviors \['attack'\] \(from .*project_config.ini\)"):
        read_labels(path)


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
    with pytest.warns(UserWarning, match="as the behavior columns"):
        ds = read_simba_targets(path)
    np.testing.assert_array_equal(ds["label"].values, expected)


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
@pytest.mark.filterwarnings("ignore:.*as the behavior columns:UserWarning")
def test_bad_tables_raise(tmp_path, lines, problem, options):
    path = tmp_path / "targets.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=problem):
        read_simba_targets(path, **options)
