"""File layouts: each writer's output has the layout of the real tool's files in ../shared/data."""

from __future__ import annotations

import csv

import h5py
import numpy as np
import pandas as pd
import pytest

from etholake.sim.body import INDIVIDUALS, KEYPOINTS, SKELETON
from etholake.sim.label_writers import (
    BORIS_COLUMNS,
    write_boris_csv,
    write_caltech_txt,
    write_frame_csv,
)
from etholake.sim.pose_writers import dlc_dataframe, write_dlc_csv, write_dlc_h5, write_sleap_analysis_h5

N_FRAMES = 50
STATES = np.repeat(np.array([0, 1, 0, 3, 3, 2, 4, 0], dtype=np.int8), [5, 3, 7, 10, 2, 8, 9, 6])


@pytest.fixture
def pose():
    rng = np.random.default_rng(0)
    position = rng.uniform(0, 160, size=(N_FRAMES, 2, len(KEYPOINTS), 2))
    confidence = rng.uniform(0.5, 1.0, size=(N_FRAMES, 2, len(KEYPOINTS)))
    position[3, 1, 2] = np.nan
    confidence[3, 1, 2] = np.nan
    return position, confidence


def _table(pose):
    position, confidence = pose
    return dlc_dataframe(
        position,
        confidence,
        scorer="DLC_dlcrnetms5_testJan1shuffle1_50000",
        individuals=INDIVIDUALS,
        keypoints=KEYPOINTS,
    )


def test_dlc_h5_layout_matches_deeplabcut(tmp_path, pose, shared_data):
    path = write_dlc_h5(tmp_path / "sDLC_el.h5", _table(pose))
    with (
        pd.HDFStore(path, "r") as store,
        pd.HDFStore(shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5"), "r") as real,
    ):
        assert store.keys() == ["/df_with_missing"]
        assert store.get_storer("df_with_missing").is_table == real.get_storer("df_with_missing").is_table
    table = pd.read_hdf(path, "df_with_missing")
    multi = pd.read_hdf(shared_data("pose/dlc_multi_deepof_madlc.predictions.h5"))
    assert table.columns.names == multi.columns.names
    assert list(table.columns.get_level_values("coords")[:3]) == list(multi.columns.get_level_values("coords")[:3])
    assert table.shape == (N_FRAMES, 2 * len(KEYPOINTS) * 3)
    np.testing.assert_array_equal(table.index, np.arange(N_FRAMES))
    assert np.isnan(table.loc[3, ("DLC_dlcrnetms5_testJan1shuffle1_50000", "intruder", KEYPOINTS[2], "x")])


def test_dlc_csv_has_four_header_rows_like_the_rat_files(tmp_path, pose, shared_data):
    path = write_dlc_csv(tmp_path / "sDLC_el.csv", _table(pose))
    ours = path.read_text().splitlines()
    real = next(shared_data("rat_dyad/pose").glob("*.csv")).read_text().splitlines()
    assert [line.split(",")[0] for line in ours[:5]] == [line.split(",")[0] for line in real[:5]]
    assert ours[1].split(",")[1:4] == ["resident"] * 3
    assert ours[3].split(",")[1:4] == real[3].split(",")[1:4]
    assert len(ours) == 4 + N_FRAMES


def test_sleap_analysis_h5_layout_matches_sleap(tmp_path, pose, shared_data):
    position, confidence = pose
    path = write_sleap_analysis_h5(
        tmp_path / "s.analysis.h5",
        position,
        confidence * 1.1,
        np.nanmean(confidence, axis=2),
        np.full((N_FRAMES, 2), 0.9),
        track_names=INDIVIDUALS,
        node_names=KEYPOINTS,
        edges=SKELETON,
        video_path="s.mp4",
        labels_path="s.slp",
        provenance={"sleap_version": "1.3.4"},
    )
    real_path = shared_data("pose/sleap_anipose_minimal_top_proofread.analysis.h5")
    with h5py.File(path) as ours, h5py.File(real_path) as real:
        assert set(ours) == set(real)
        for name in real:
            assert ours[name].dtype.kind == real[name].dtype.kind, name
            assert ours[name].ndim == real[name].ndim, name
            assert (ours[name].compression is None) == (real[name].compression is None), name
        assert ours["tracks"].shape == (2, 2, len(KEYPOINTS), N_FRAMES)
        assert ours["track_occupancy"].shape == (N_FRAMES, 2)
        assert ours["point_scores"].shape == (2, len(KEYPOINTS), N_FRAMES)
        assert [n.decode() for n in ours["node_names"][()]] == list(KEYPOINTS)
        np.testing.assert_allclose(ours["tracks"][0, :, 0, 7], position[7, 0, 0])
        assert np.isnan(ours["tracks"][1, 0, 2, 3])
        assert not dict(ours.attrs)


def test_caltech_txt_matches_the_rat_annotations(tmp_path, shared_data):
    path = write_caltech_txt(tmp_path / "s_annot.txt", STATES)
    ours = path.read_bytes().decode()
    real = shared_data("rat_dyad/labels/13_annot.txt").read_bytes().decode()
    assert ours.count("\r\n") == ours.count("\n")
    ours_lines, real_lines = ours.split("\r\n"), real.split("\r\n")
    assert ours_lines[:3] == real_lines[:3]
    stream = ours_lines.index("S1:\tstart\tend\ttype")
    assert stream == real_lines.index("S1:\tstart\tend\ttype") - 6
    assert ours_lines[stream + 1] == real_lines[real_lines.index("S1:\tstart\tend\ttype") + 1]
    assert ours.endswith("  \r\n") and real.endswith("  \r\n")
    rows = [line.split("\t") for line in ours_lines[stream + 2 : -2]]
    assert all(row[0] == "   " for row in rows)
    starts, ends = np.array([int(r[1]) for r in rows]), np.array([int(r[2]) for r in rows])
    assert starts[0] == 1 and ends[-1] == N_FRAMES
    np.testing.assert_array_equal(starts[1:], ends[:-1] + 1)
    assert rows[0][3] == "base" and rows[1][3] == "attack"


def test_boris_export_rows(tmp_path):
    from datetime import datetime

    path = write_boris_csv(
        tmp_path / "s.csv",
        STATES,
        fps=25.0,
        observation_id="s_a1",
        observation_date=datetime(2025, 1, 6, 9, 30),
        media_file="s.mp4",
    )
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == BORIS_COLUMNS
    assert path.read_bytes().count(b"\r\n") == len(rows)
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [row["Behavior type"] for row in body[:2]] == ["START", "STOP"]
    assert body[0]["Behavior"] == "attack" and body[0]["Image index"] == "5" and body[0]["Time"] == "0.200"
    assert body[1]["Image index"] == "8"
    assert all(row["FPS"] == "25.000" and row["Media duration (s)"] == "2.000" for row in body)
    assert len(body) == 2 * 4


def test_frame_csv(tmp_path):
    path = write_frame_csv(tmp_path / "s.csv", STATES)
    table = pd.read_csv(path)
    assert list(table.columns) == ["frame", "attack", "chase", "sniff", "mount"]
    np.testing.assert_array_equal(table["frame"], np.arange(N_FRAMES))
    assert table.iloc[5:8]["attack"].tolist() == [1, 1, 1]
    assert table[["attack", "chase", "sniff", "mount"]].to_numpy().sum(axis=1).max() == 1
