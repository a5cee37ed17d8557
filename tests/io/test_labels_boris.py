"""BORIS tabular events reader: BORIS 8 and BORIS 7 layouts, CSV and TSV, pairing and bad files."""

from __future__ import annotations

import csv
import warnings

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import detect_labels_format, read_labels
from etholake.io.labels.boris import read_boris

BORIS8_COLUMNS = [
    "Observation id",
    "Observation date",
    "Description",
    "Observation type",
    "Source",
    "Time offset (s)",
    "Media duration (s)",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Behavior type",
    "Time",
    "Media file name",
    "Image index",
    "Image file path",
    "Comment",
]
BORIS7_COLUMNS = [
    "Observation id",
    "Media file",
    "Total length",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Comment",
    "Status",
    "Time",
]

# (subject, behavior, type, time in s, image index); 30 fps, 10 s of media
EVENTS = [
    ("rat1", "attack", "START", 1.000, 30),
    ("rat1", "sniff", "POINT", 1.500, 45),
    ("rat1", "attack", "STOP", 2.000, 60),
    ("rat1", "attack", "START", 3.000, 90),
    ("rat1", "attack", "STOP", 3.100, 93),
    ("rat1", "groom", "START", 9.000, 270),
    ("rat1", "groom", "STOP", 10.000, 300),
]


def boris8_rows(events, fps="30.000", duration="10.000", offset="0.000", image_index=True):
    return [
        {
            "Observation id": "obs1",
            "Observation date": "2024-05-02 10:00:00",
            "Description": "",
            "Observation type": "Media file(s)",
            "Source": "player #1:/videos/rat.mp4",
            "Time offset (s)": offset,
            "Media duration (s)": duration,
            "FPS": fps,
            "Subject": subject,
            "Behavior": behavior,
            "Behavioral category": "",
            "Behavior type": kind,
            "Time": f"{time:.3f}",
            "Media file name": "/videos/rat.mp4",
            "Image index": str(index) if image_index else "NA",
            "Image file path": "NA",
            "Comment": "",
        }
        for subject, behavior, kind, time, index in events
    ]


def write_table(path, columns, rows, delimiter=",", preamble=()):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerows(preamble)
        writer.writerow(columns)
        writer.writerows([[row.get(column, "") for column in columns] for row in rows])
    return path


def write_boris8(tmp_path, events=EVENTS, name="events.csv", delimiter=",", **fields):
    return write_table(tmp_path / name, BORIS8_COLUMNS, boris8_rows(events, **fields), delimiter)


def present_frames(ds, behavior):
    return np.flatnonzero(ds["label"].sel(behavior=behavior).values == 1).tolist()


@pytest.mark.parametrize(("name", "delimiter"), [("events.csv", ","), ("events.tsv", "\t"), ("events.txt", "\t")])
def test_boris8_export_becomes_per_frame_labels(tmp_path, name, delimiter):
    path = write_boris8(tmp_path, name=name, delimiter=delimiter)
    assert detect_labels_format(path) == "boris"
    ds = read_labels(path)
    assert ds.sizes["time"] == 300
    assert list(ds["behavior"].values) == ["attack", "sniff", "groom"]
    assert present_frames(ds, "attack") == [*list(range(30, 60)), 90, 91, 92]
    assert present_frames(ds, "sniff") == [45]
    assert present_frames(ds, "groom") == list(range(270, 300))
    assert (ds["label"].values >= 0).all()
    assert ds.attrs["fps"] == 30.0
    assert ds.attrs["subject"] == "rat1"
    assert ds.attrs["observation_id"] == "obs1"
    assert ds.attrs["source_format"] == "boris"


def test_frames_come_from_time_when_there_is_no_image_index(tmp_path):
    by_time = read_boris(write_boris8(tmp_path, image_index=False))
    by_index = read_boris(write_boris8(tmp_path, name="b.csv"))
    np.testing.assert_array_equal(by_time["label"].values, by_index["label"].values)


def test_time_offset_is_removed_before_converting_times_to_frames(tmp_path):
    shifted = [(s, b, k, t + 5.0, i) for s, b, k, t, i in EVENTS]
    ds = read_boris(write_boris8(tmp_path, shifted, image_index=False, offset="5.000"))
    assert present_frames(ds, "sniff") == [45]


def test_times_at_29_97_fps_round_to_the_right_frame(tmp_path):
    fps = 30000 / 1001
    frames = np.arange(0, 20000, 997)
    events = [("", "rear", "POINT", frame / fps, frame) for frame in frames]
    ds = read_boris(write_boris8(tmp_path, events, fps=f"{fps:.3f}", duration="700.000", image_index=False))
    assert present_frames(ds, "rear") == frames.tolist()


def test_boris7_layout_with_status_column(tmp_path):
    rows = [
        {
            "Observation id": "obs7",
            "Media file": "/videos/rat.mp4",
            "Total length": "10.000",
            "FPS": "30.000",
            "Subject": subject,
            "Behavior": behavior,
            "Status": kind,
            "Time": f"{time:.3f}",
        }
        for subject, behavior, kind, time, _ in EVENTS
    ]
    ds = read_boris(write_table(tmp_path / "b7.csv", BORIS7_COLUMNS, rows))
    assert ds.sizes["time"] == 300
    assert present_frames(ds, "attack") == [*list(range(30, 60)), 90, 91, 92]
    assert ds.attrs["observation_id"] == "obs7"


def test_old_boris_layout_with_metadata_rows_above_the_header(tmp_path):
    columns = ["Time", "Media file path", "Total length", "FPS", "Subject", "Behavior", "Comment", "Status"]
    rows = [
        {"Time": f"{t:.3f}", "FPS": "30.000", "Total length": "10.000", "Subject": s, "Behavior": b, "Status": k}
        for s, b, k, t, _ in EVENTS
    ]
    preamble = [["Observation id", "old1"], ["Observation date", "2019-01-01"], ["Time offset (s)", "0.000"], []]
    path = write_table(tmp_path / "old.tsv", columns, rows, delimiter="\t", preamble=preamble)
    assert detect_labels_format(path) == "boris"
    ds = read_boris(path)
    assert present_frames(ds, "groom") == list(range(270, 300))
    assert ds.attrs["observation_id"] == "old1"


def test_subjects_are_separate_label_sets(tmp_path):
    events = [*EVENTS, ("rat2", "attack", "START", 5.0, 150), ("rat2", "attack", "STOP", 6.0, 180)]
    path = write_boris8(tmp_path, events)
    with pytest.raises(InputFileError, match="pass subject="):
        read_boris(path)
    with pytest.raises(InputFileError, match="no subject 'rat3'"):
        read_boris(path, subject="rat3")
    rat2 = read_boris(path, subject="rat2")
    assert present_frames(rat2, "attack") == list(range(150, 180))
    assert list(rat2["behavior"].values) == ["attack"]
    assert rat2.attrs["subject"] == "rat2"


def test_n_frames_and_declared_behaviors(tmp_path):
    ds = read_boris(write_boris8(tmp_path), n_frames=400, behaviors=["attack", "sniff", "groom", "rear"])
    assert ds.sizes["time"] == 400
    assert (ds["label"].sel(behavior="rear").values == 0).all()
    assert (ds["label"].values[300:] == 0).all()


def test_fps_option_overrides_a_different_fps_column_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="overrides the FPS column"):
        ds = read_boris(write_boris8(tmp_path, image_index=False), fps=25.0)
    assert ds.attrs["fps"] == 25.0
    assert present_frames(ds, "sniff") == [38]


@pytest.mark.parametrize(
    ("events", "problem"),
    [
        (EVENTS[:1], "START of attack at 1.000 s has no matching STOP"),
        ([("rat1", "attack", "STOP", 1.0, 30)], "STOP of attack at 1.000 s without a START"),
        (
            [("rat1", "attack", "START", 1.0, 30), ("rat1", "attack", "START", 2.0, 60)],
            "START of attack at 2.000 s while the START at 1.000 s is open",
        ),
        ([("rat1", "attack", "BEGIN", 1.0, 30)], "'BEGIN' is not START, STOP or POINT"),
    ],
)
def test_unpaired_or_unknown_events_raise(tmp_path, events, problem):
    with pytest.raises(InputFileError, match=problem):
        read_boris(write_boris8(tmp_path, events))


def test_unknown_fps_without_frame_index_raises(tmp_path):
    with pytest.raises(InputFileError, match="pass fps="):
        read_boris(write_boris8(tmp_path, fps="NA", image_index=False))


def test_events_beyond_n_frames_raise(tmp_path):
    with pytest.raises(InputFileError, match="session has 200 frames"):
        read_boris(write_boris8(tmp_path), n_frames=200)


def test_several_observations_in_one_file_raise(tmp_path):
    rows = boris8_rows(EVENTS)
    rows[-1]["Observation id"] = "obs2"
    with pytest.raises(InputFileError, match="several observations"):
        read_boris(write_table(tmp_path / "two.csv", BORIS8_COLUMNS, rows))


def test_non_numeric_time_raises_with_the_line(tmp_path):
    rows = boris8_rows(EVENTS, image_index=False)
    rows[2]["Time"] = "two"
    with pytest.raises(InputFileError, match="line 4: Time 'two' is not a time in seconds"):
        read_boris(write_table(tmp_path / "bad.csv", BORIS8_COLUMNS, rows))


SUBJECT_B_EVENTS = [
    *[("A", "sniff", kind, time, round(time * 30)) for kind, time in [("START", 1.0), ("STOP", 2.0)] * 2],
    ("B", "sniff", "START", 5.0, 150),
    ("B", "sniff", "START", 6.0, 180),
    ("B", "sniff", "STOP", 7.0, 210),
]


@pytest.mark.parametrize(
    ("preamble", "line"),
    [((), 7), ((["Observation id", "obs1"], ["Time offset (s)", "0.000"], []), 10)],
)
def test_messages_give_the_file_line_of_the_event_after_selecting_a_subject(tmp_path, preamble, line):
    path = write_table(tmp_path / "ab.csv", BORIS8_COLUMNS, boris8_rows(SUBJECT_B_EVENTS), preamble=preamble)
    with pytest.raises(InputFileError, match=rf"line {line}: START of sniff at 6.000 s while the START at 5.000 s"):
        read_labels(path, subject="B")


def test_messages_count_blank_lines_among_the_events(tmp_path):
    events = [("A", "sniff", "START", 1.0, 30), ("A", "sniff", "STOP", 2.0, 60), ("A", "sniff", "STOP", 3.0, 90)]
    path = write_boris8(tmp_path, events)
    rows = path.read_text().splitlines()
    path.write_text("\n".join([*rows[:2], "", *rows[2:]]) + "\n")
    with pytest.raises(InputFileError, match=r"line 5: STOP of sniff at 3.000 s without a START"):
        read_labels(path)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "empty"),
        ("frame,attack\n0,1\n", "not a BORIS tabular events export"),
        (",".join(BORIS8_COLUMNS) + "\n", "holds no events"),
    ],
)
def test_empty_or_mislabelled_files_raise(tmp_path, content, problem):
    path = tmp_path / "events.csv"
    path.write_text(content)
    with pytest.raises(InputFileError, match=problem):
        read_labels(path, format="boris")


def test_boris8_layout_with_observation_duration_and_modifier_columns(tmp_path):
    """Columns in the order BORIS 8's export_tabular_events writes them, with overlapping modified states."""
    columns = [*BORIS8_COLUMNS[:3], "Observation duration", *BORIS8_COLUMNS[3:11]]
    columns += ["Behavioral category", "Modifier #1", *BORIS8_COLUMNS[11:]]
    events = [
        ("rat1", "attack", "bite", "START", 1.0, 30),
        ("rat1", "attack", "kick", "START", 1.5, 45),
        ("rat1", "attack", "bite", "STOP", 2.0, 60),
        ("rat1", "attack", "kick", "STOP", 2.5, 75),
    ]
    rows = boris8_rows([(s, b, k, t, i) for s, b, _, k, t, i in events])
    for row, (*_, modifier, _, _, _) in zip(rows, events, strict=True):
        row.update({"Observation duration": "10.000", "Modifier #1": modifier})
    ds = read_boris(write_table(tmp_path / "modifiers.csv", columns, rows))
    assert present_frames(ds, "attack") == list(range(30, 75))
    assert list(ds["behavior"].values) == ["attack"]


def test_times_written_as_hours_minutes_seconds(tmp_path):
    rows = boris8_rows(EVENTS, image_index=False)
    for row in rows:
        seconds = float(row["Time"])
        row["Time"] = f"0:{int(seconds // 60):02d}:{seconds % 60:06.3f}"
    ds = read_boris(write_table(tmp_path / "clock.csv", BORIS8_COLUMNS, rows))
    assert present_frames(ds, "groom") == list(range(270, 300))


def test_an_export_without_a_media_duration_ends_at_its_last_event_with_a_warning(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "Observation id,Media file(s),FPS,Subject,Behavior,Behavioral category,Behavior type,Time\n"
        "o1,v.mp4,10,resident,attack,,START,1.0\n"
        "o1,v.mp4,10,resident,attack,,STOP,2.0\n"
    )
    with pytest.warns(
        UserWarning, match=r"states no media duration, so the labels end with the last event \(frame 19\)"
    ):
        labels = read_labels(path, annotator="ann")
    assert labels.sizes["time"] == 20
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert read_labels(path, annotator="ann", n_frames=50).sizes["time"] == 50
    assert not [w for w in caught if "media duration" in str(w.message)]
