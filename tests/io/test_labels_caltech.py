"""Caltech Behavior Annotator reader, on the 16 real rat-dyad annotation files and broken copies."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.errors import InputFileError
from etholake.io.labels import read_labels
from etholake.io.labels.caltech import read_caltech, read_caltech_streams

S1_ALL = ["aggression", "social", "nonsocial"]
S1_NO_AGGRESSION = ["social", "nonsocial"]
S2_ALL = ["freezing", "lateralthreat", "keepdown", "chase", "uprightposture", "bite", "clinch"]

# file number -> (annotated frames, S1 behaviors, S2 behaviors or None when the file has no S2)
FILES = {
    1: (14734, S1_ALL, S2_ALL),
    5: (13500, S1_ALL, ["freezing", "lateralthreat", "keepdown", "chase", "uprightposture", "clinch"]),
    9: (13362, S1_NO_AGGRESSION, None),
    13: (13195, S1_ALL, ["lateralthreat", "keepdown", "chase", "clinch"]),
    17: (13984, S1_NO_AGGRESSION, None),
    21: (14567, S1_NO_AGGRESSION, None),
    24: (13384, S1_ALL, S2_ALL),
    25: (14270, S1_ALL, ["lateralthreat", "keepdown", "chase", "uprightposture", "bite", "clinch"]),
    29: (13393, S1_NO_AGGRESSION, []),
    33: (14750, S1_NO_AGGRESSION, None),
    37: (14886, S1_ALL, ["lateralthreat", "keepdown", "clinch"]),
    41: (14880, S1_ALL, ["lateralthreat"]),
    45: (14826, S1_ALL, ["lateralthreat", "bite", "clinch"]),
    49: (14640, S1_NO_AGGRESSION, None),
    53: (14883, S1_ALL, ["lateralthreat", "keepdown", "uprightposture", "clinch"]),
    57: (14870, S1_ALL, ["lateralthreat", "bite", "clinch"]),
}


def annotation(shared_data, number: int):
    return shared_data(f"rat_dyad/labels/{number}_annot.txt")


@pytest.mark.parametrize("number", sorted(FILES))
def test_every_real_file_reads_with_its_frames_and_behaviors(shared_data, number):
    n_frames, s1, s2 = FILES[number]
    streams = read_caltech_streams(annotation(shared_data, number), fps=30)
    assert list(streams) == (["S1"] if s2 is None else ["S1", "S2"])
    for name, behaviors in (("S1", s1), ("S2", s2)):
        if behaviors is None:
            continue
        ds = streams[name]
        assert ds.sizes["time"] == n_frames
        assert list(ds["behavior"].values) == behaviors
        assert ds.attrs["label_set"] == name
        assert ds.attrs["source_format"] == "caltech"
        assert ds["label"].dtype == np.int8
        np.testing.assert_array_equal(ds["frame"].values, np.arange(n_frames))
        np.testing.assert_allclose(ds["time"].values[:2], [0.0, 1 / 30])
        # every frame is covered by a range, and a stream codes one behavior per frame
        assert (ds["label"].values >= 0).all()
        assert (ds["label"].values.sum(axis=1) <= 1).all()


@pytest.mark.parametrize("number", sorted(FILES))
def test_s1_codes_exactly_12000_frames_inside_base(shared_data, number):
    streams = read_caltech_streams(annotation(shared_data, number), window_stream="S1")
    s1 = streams["S1"]["label"].values
    scored = (s1 >= 0).all(axis=1)
    assert scored.sum() == 12000
    assert (s1[scored].sum(axis=1) == 1).all()
    if "S2" in streams and streams["S2"].sizes["behavior"]:
        np.testing.assert_array_equal((streams["S2"]["label"].values >= 0).all(axis=1), scored)


@pytest.mark.parametrize(
    ("number", "stream", "behavior", "first", "last"),
    [
        (1, "S1", "social", 536, 961),
        (1, "S1", "nonsocial", 962, 1017),
        (13, "S1", "nonsocial", 237, 273),
        (13, "S1", "social", 274, 491),
        (24, "S2", "clinch", 1382, 1385),
        (24, "S2", "clinch", 2454, 2463),
    ],
)
def test_hand_checked_ranges_map_annotation_frame_k_to_video_frame_k_minus_1(
    shared_data, number, stream, behavior, first, last
):
    ds = read_caltech(annotation(shared_data, number), stream=stream)
    column = ds["label"].sel(behavior=behavior).values
    assert (column[first - 1 : last] == 1).all()
    assert column[first - 2] == 0
    assert column[last] == 0


def test_background_frames_are_absent_by_default_and_not_scored_on_request(shared_data):
    path = annotation(shared_data, 13)
    assert (read_caltech(path, stream="S1")["label"].values[:236] == 0).all()
    not_scored = read_caltech(path, stream="S1", background="not_scored")["label"].values
    assert (not_scored[:236] == -1).all()
    assert (not_scored[236:273] >= 0).all()


def test_stream_without_behaviors_gets_declared_columns(shared_data):
    ds = read_caltech(annotation(shared_data, 29), stream="S2", behaviors=["clinch", "bite"])
    assert list(ds["behavior"].values) == ["clinch", "bite"]
    assert (ds["label"].values == 0).all()


def test_declared_behaviors_must_include_those_in_the_file(shared_data):
    with pytest.raises(InputFileError, match="not among the declared behaviors"):
        read_caltech(annotation(shared_data, 1), stream="S1", behaviors=["social"])


def test_n_frames_longer_than_the_annotation_pads_with_not_scored(shared_data):
    ds = read_caltech(annotation(shared_data, 9), n_frames=13400)
    assert ds.sizes["time"] == 13400
    assert (ds["label"].values[13362:] == -1).all()
    assert (ds["label"].values[:13362] >= 0).all()


@pytest.mark.parametrize(("number", "pose_rows"), [(13, 13186), (25, 14256)])
def test_annotations_beyond_the_pose_rows_raise_or_clip(shared_data, number, pose_rows):
    path = annotation(shared_data, number)
    with pytest.raises(InputFileError, match=f"session has {pose_rows} frames"):
        read_caltech(path, stream="S1", n_frames=pose_rows)
    with pytest.warns(UserWarning, match="dropped"):
        ds = read_caltech(path, stream="S1", n_frames=pose_rows, clip=True)
    assert ds.sizes["time"] == pose_rows


def test_read_labels_detects_caltech_and_needs_a_stream_when_there_are_several(shared_data):
    path = annotation(shared_data, 1)
    with pytest.raises(InputFileError, match="holds streams S1, S2"):
        read_labels(path)
    with pytest.raises(InputFileError, match="no stream 'S3'"):
        read_labels(path, stream="S3")
    ds = read_labels(path, stream="S2", annotator="expert", fps=30)
    assert ds.attrs["annotator"] == "expert"
    assert ds.attrs["source_sha256"] and ds.attrs["fps"] == 30.0
    assert read_labels(annotation(shared_data, 9)).attrs["label_set"] == "S1"


HEADER = (
    "Caltech Behavior Annotator - Annotation File\r\n\r\n"
    "Configuration file:\r\nbase\tz\r\nattack\ta\r\nsniff\ts\r\n\r\n"
)


def write_caltech(tmp_path, rows: list[tuple[int, int, str]]):
    body = "S1:\tstart\tend\ttype\r\n-----------------------------\r\n"
    body += "".join(f"   \t{start}\t{end}\t{name}\r\n" for start, end, name in rows)
    path = tmp_path / "annot.txt"
    path.write_bytes((HEADER + body + "  \r\n").encode())
    return path


def test_gaps_between_ranges_are_not_scored(tmp_path):
    ds = read_caltech(write_caltech(tmp_path, [(1, 3, "attack"), (6, 8, "sniff")]))
    np.testing.assert_array_equal(
        ds["label"].values,
        [[1, 0], [1, 0], [1, 0], [-1, -1], [-1, -1], [0, 1], [0, 1], [0, 1]],
    )


def test_overlapping_ranges_of_the_same_behavior_are_merged_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="merged"):
        ds = read_caltech(write_caltech(tmp_path, [(1, 5, "attack"), (4, 6, "attack")]))
    assert (ds["label"].sel(behavior="attack").values == 1).all()


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ([(1, 5, "attack"), (4, 8, "sniff")], "contradictory overlapping ranges 1-5 \\(attack"),
        ([(5, 3, "attack")], "invalid range 5-3"),
        ([(0, 3, "attack")], "invalid range 0-3"),
        ([(1, 3, "bite")], "not in the configuration"),
    ],
)
def test_bad_ranges_raise_one_clear_error(tmp_path, rows, problem):
    path = write_caltech(tmp_path, rows)
    with pytest.raises(InputFileError, match=problem) as error:
        read_caltech(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"frame,attack\n0,1\n", "not a Caltech Behavior Annotator file"),
        (HEADER.encode(), "no annotation stream"),
        ((HEADER + "S1:\tstart\tend\ttype\r\n   \t1\tx\tattack\r\n").encode(), "line 9: cannot parse"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
    ],
)
def test_broken_files_raise_input_file_error(tmp_path, content, problem):
    path = tmp_path / "annot.txt"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=problem):
        read_caltech(path)


def _without_ranges(text: str) -> str:
    return text[: text.index("S1:")] + "S1:\tstart\tend\ttype\r\n" + "-" * 29 + "\r\n"


def _cut_inside_s2(text: str) -> str:
    return text[: text.index("\r\n", text.index("S2:") + 400) + 2]


def _cut_before_the_last_numbers(text: str) -> str:
    return text[: text.rindex("   \t") + 4]


def test_a_real_file_cut_before_the_numbers_of_its_last_line_raises_one_clear_error(shared_data, tmp_path):
    path = tmp_path / "5_annot.txt"
    path.write_bytes(
        _cut_before_the_last_numbers(shared_data("rat_dyad/labels/5_annot.txt").read_bytes().decode()).encode()
    )
    with pytest.raises(InputFileError, match="the last line stops before its range") as error:
        read_caltech(path, stream="S1")
    assert str(error.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("cut", "problem"),
    [
        (_without_ranges, "stream S1 lists no ranges"),
        (_cut_inside_s2, r"stream S2 ends at frame \d+, before frame 13500"),
    ],
)
def test_a_real_file_whose_streams_end_apart_warns_that_it_may_be_cut_short(shared_data, tmp_path, cut, problem):
    path = tmp_path / "5_annot.txt"
    path.write_bytes(cut(shared_data("rat_dyad/labels/5_annot.txt").read_bytes().decode()).encode())
    with pytest.warns(UserWarning, match=rf"^{path}: {problem}; .* so the file may be cut short"):
        read_caltech_streams(path)


def test_a_file_ending_in_a_blank_line_without_a_line_break_is_complete(tmp_path):
    path = write_caltech(tmp_path, [(1, 3, "attack")])
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    assert read_caltech(path)["label"].sizes["time"] == 3
