"""Format detection and dispatch of read_labels."""

from __future__ import annotations

import pytest

from etholake.errors import InputFileError
from etholake.io.labels import READERS, detect_labels_format, read_labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Caltech Behavior Annotator - Annotation File\r\n", "caltech"),
        ("Observation id,Subject,Behavior,Behavior type,Time\n", "boris"),
        ("Time\tSubject\tBehavior\tStatus\n", "boris"),
        ("frame,attack\n0,1\n", "frame_csv"),
        ("Frame\tattack\n0\t1\n", "frame_csv"),
        ("behavior,start_frame,stop_frame\n", "interval_csv"),
        ("behavior,start_s,stop_s,annotator\n", "interval_csv"),
        (",a_1_x,a_1_y,a_1_p,attack\n0,1,2,3,1\n", "simba_targets"),
    ],
)
def test_detects_each_format_from_content(tmp_path, text, expected):
    path = tmp_path / "labels.unknown"
    path.write_text(text)
    assert detect_labels_format(path) == expected


def test_pose_file_is_not_a_label_file(shared_data):
    path = shared_data("rat_dyad/pose/1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    with pytest.raises(InputFileError, match="unrecognised label format"):
        read_labels(path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "empty"), (b"\x00\x01\x02", "binary"), (b"\n \n", "only blank lines")],
)
def test_unreadable_files_raise(tmp_path, content, problem):
    path = tmp_path / "labels.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=problem):
        detect_labels_format(path)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        read_labels(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="unknown label format 'ods'"):
        read_labels(tmp_path / "nope.csv", format="ods")
    assert set(READERS) == {"caltech", "boris", "simba_targets", "frame_csv", "interval_csv"}


@pytest.mark.parametrize("format", ["boris", "frame_csv", "interval_csv", "simba_targets"])
def test_caltech_file_read_as_another_format_raises(shared_data, format):
    with pytest.raises(InputFileError):
        read_labels(shared_data("rat_dyad/labels/9_annot.txt"), format=format)
