"""CSV files parsed piece by piece give the same table as one whole-file parse, whatever the piece size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from etholake.io import _csv_pieces, read_pose
from etholake.io._csv_pieces import read_csv_pieces

NAMES = ["label", "x", "y"]
CONVERT = pacsv.ConvertOptions(column_types={"label": pa.string(), "x": pa.float64(), "y": pa.float64()})


def write_csv(path: Path, n_rows: int, *, newline: str = "\n", final_newline: bool = True, long_row: int = -1) -> None:
    """Two header rows, then rows of a string label (long for row ``long_row``) and two numbers."""
    rows = ["scorer,name,name", "coords,x,y"]
    for i in range(n_rows):
        label = f"labeled-data/video{i % 7}/img{i:05d}.png" + ("z" * 300 if i == long_row else "")
        rows.append(f"{label},{i * 0.5},{'' if i % 11 == 0 else -i}")
    path.write_text(newline.join(rows) + (newline if final_newline else ""), newline="")


def whole_table(path: Path) -> pa.Table:
    read_options = pacsv.ReadOptions(skip_rows=2, column_names=NAMES)
    return pacsv.read_csv(path, read_options=read_options, convert_options=CONVERT)


def pieced_table(path: Path, piece_bytes: int) -> tuple[pa.Table, int]:
    tables = list(
        read_csv_pieces(path, skip_rows=2, column_names=NAMES, convert_options=CONVERT, piece_bytes=piece_bytes)
    )
    return pa.concat_tables(tables), len(tables)


@pytest.mark.parametrize("piece_bytes", [8, 100, 1000, 1 << 20])
@pytest.mark.parametrize(("newline", "final_newline"), [("\n", True), ("\r\n", True), ("\n", False), ("\r\n", False)])
def test_every_piece_size_gives_the_whole_file(tmp_path: Path, piece_bytes: int, newline: str, final_newline: bool):
    path = tmp_path / "table.csv"
    write_csv(path, 500, newline=newline, final_newline=final_newline, long_row=250)
    pieced, n_pieces = pieced_table(path, piece_bytes)
    assert pieced.equals(whole_table(path))
    assert pieced.num_rows == 500
    if piece_bytes == 1000:
        assert n_pieces > 20


def test_labels_of_earlier_pieces_survive_the_reused_buffer(tmp_path: Path):
    path = tmp_path / "table.csv"
    write_csv(path, 2000)
    tables = read_csv_pieces(path, skip_rows=2, column_names=NAMES, convert_options=CONVERT, piece_bytes=4096)
    labels = [label for table in tables for label in table.column("label").to_pylist()]
    assert labels == [f"labeled-data/video{i % 7}/img{i:05d}.png" for i in range(2000)]


def test_a_file_of_header_rows_only_gives_no_rows(tmp_path: Path):
    path = tmp_path / "table.csv"
    write_csv(path, 0)
    pieced, _ = pieced_table(path, 8)
    assert pieced.num_rows == 0


def test_a_short_last_row_is_the_parsers_error(tmp_path: Path):
    path = tmp_path / "table.csv"
    write_csv(path, 300)
    path.write_text(path.read_text() + "labeled-data/cut", newline="")
    with pytest.raises(pa.ArrowInvalid, match="Expected 3 columns, got 1: labeled-data/cut"):
        pieced_table(path, 1000)


@pytest.mark.parametrize(
    "relative",
    [
        "rat_dyad/pose/1DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv",
        "pose/dlc_multi_labels_montblanc_CollectedData_Daniel.csv",
        "pose/lp_aind_mouseface_bottom.predictions.csv",
    ],
)
def test_real_pose_files_read_the_same_in_small_pieces(relative: str, monkeypatch: pytest.MonkeyPatch, shared_data):
    path = shared_data(relative)
    whole = read_pose(path)
    monkeypatch.setattr(_csv_pieces, "PIECE_BYTES", 1024)
    pieced = read_pose(path)
    assert pieced.identical(whole)
    np.testing.assert_array_equal(pieced["position"].values, whole["position"].values)
    assert path.stat().st_size > 20 * 1024
