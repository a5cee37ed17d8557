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


BORIS_EVENTS = (
    "Observation id,Observation date,Description,Media file(s),Total length,FPS,Subject,Behavior,Behavioral category,"
    "Behavior type,Time\n"
    "o1,2025-01-06 09:30:00,,v.mp4,300,30,resident,attack,,START,1.0\n"
    "o1,2025-01-06 09:30:00,,v.mp4,300,30,resident,attack,,STOP,2.0\n"
    "o1,2025-01-06 09:30:00,,v.mp4,300,30,resident,chase,,START,3.0\n"
    "o1,2025-01-06 09:30:00,,v.mp4,300,30,resident,chase,,STOP,4.0\n"
)


@pytest.mark.parametrize(
    ("name", "text", "options"),
    [
        ("frames.csv", "frame,attack,sniff\n0,0,1\n1,1,0\n2,1", {}),
        ("intervals.csv", "behavior,start_frame,stop_frame\nattack,0,10\nsniff,12", {"n_frames": 20}),
        ("events.csv", BORIS_EVENTS + "o1,2025-01-06 09:30:00,,v.mp4,300,30,resident,pl", {}),
    ],
)
def test_a_file_cut_inside_its_last_line_is_refused_as_truncated(tmp_path, name, text, options):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputFileError, match=r"the last line has \d+ of the header's \d+ fields and no line end: "):
        read_labels(path, annotator="ann", **options)


def test_a_whole_last_line_without_a_line_end_is_read(tmp_path):
    path = tmp_path / "frames.csv"
    path.write_text("frame,attack,sniff\n0,0,1\n1,1,0\n2,1,")
    assert read_labels(path, annotator="ann")["label"].values.tolist() == [[0, 1], [1, 0], [1, -1]]


def test_a_simba_targets_file_cut_inside_its_last_line_is_refused_as_truncated(shared_data, tmp_path):
    source = shared_data("simba_reference/rat24/targets_inserted_rat24_frames2000-2299.csv")
    path = tmp_path / "targets_inserted_cut.csv"
    path.write_bytes(source.read_bytes()[:847118])
    with pytest.raises(
        InputFileError,
        match=r"the last line has 322 of the header's 350 fields and no line end: the file looks truncated",
    ):
        read_labels(path, annotator="ann")


def test_simba_machine_results_are_not_read_as_human_labels(shared_data):
    path = shared_data("simba_reference/rat24/machine_results_rat24_frames2000-2299.csv")
    with pytest.raises(InputFileError, match=r"a SimBA machine results file \(it has Probability_aggression\)"):
        read_labels(path, annotator="ann")


def test_a_behavior_name_longer_than_the_catalog_holds_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "intervals.csv"
    path.write_text("behavior,start_frame,stop_frame\n" + "x" * 129 + ",1,5\nsniff,6,9\n")
    with pytest.raises(InputFileError, match=r"intervals\.csv: behavior name 'xxx.*' has 129 characters, at most 128"):
        read_labels(path, fps=30.0)
