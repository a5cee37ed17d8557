"""DeepLabCut pose files: ``.h5`` (pandas HDF5, any key) and ``.csv`` (3 or 4 header rows).

Both layouts hold one column per (scorer, [individual,] bodypart, coordinate)
and one row per video frame (predictions) or per labelled image (training
labels, whose row index is an image path, possibly split over three index
columns). Rows of labelled-frame files keep their image in the ``image_path``
coordinate and take ``frame`` from the number in the image name; they are not
treated as consecutive frames.

Values are copied in row blocks straight into float32 arrays: ``.h5`` files
through h5py (no pandas MultiIndex frame, no unpickling), ``.csv`` files
in pieces parsed by pyarrow on every core (``_csv_pieces``) after the header
rows are parsed.
DeepLabCut's likelihood is a probability (0-1); points written as ``0,0,0``
or left empty are missing (NaN).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._csv_pieces import read_csv_pieces
from etholake.io._files import open_hdf5, read_header_rows, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import ColumnLayout, build_pose, layout_from_columns, mask_zero_points
from etholake.io._pandas_hdf import PandasFrame, UnsafePickleError, pandas_keys, read_pandas_frame

SINGLE_INDIVIDUAL = "individual_0"
PREFERRED_KEYS = ("df_with_missing", "tracks", "predictions", "df", "keypoints", "poses")
HEADER_NAMES = ("scorer", "individuals", "bodyparts", "coords")
H5_BLOCK_BYTES = 1 << 22
_SUFFIXED = re.compile(r"^(.*)\.(\d+)$")
_TRAILING_NUMBER = re.compile(r"(\d+)\D*$")
_FRAME_NUMBER = re.compile(r"\d+")
MAX_FRAME_NUMBER = 2**31 - 1
"""Largest plausible frame number (8 months of video at 100 fps): a larger one, or a negative one, is corruption."""


@dataclass
class PoseTable:
    """A DeepLabCut-style table decoded into pose arrays, before it becomes a dataset."""

    layout: ColumnLayout
    position: np.ndarray
    confidence: np.ndarray
    row_labels: np.ndarray | list[str]
    scorer: str


def read_dlc_h5(path: str | Path, *, fps: float | None = None, key: str | None = None) -> xr.Dataset:
    """Read a DeepLabCut ``.h5`` pose file.

    Parameters
    ----------
    path
        Local file (pandas HDF5 needs random access: copy remote objects down first).
    fps
        Frame rate of the video; DeepLabCut files do not state it.
    key
        pandas key of the table; by default the only one, or the first of
        ``df_with_missing``, ``tracks``, ``predictions``, ``df``, ... when several.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"probability"``).
    """
    table = read_dlc_h5_table(path, key=key)
    return table_to_pose(path, table, fps=fps, source_software="DeepLabCut")


def read_dlc_csv(path: str | Path, *, fps: float | None = None) -> xr.Dataset:
    """Read a DeepLabCut ``.csv`` pose file (3 header rows, or 4 for multi-animal projects).

    Parameters
    ----------
    path
        The CSV file.
    fps
        Frame rate of the video; DeepLabCut files do not state it.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"probability"``).
    """
    table = read_dlc_csv_table(path)
    return table_to_pose(path, table, fps=fps, source_software="DeepLabCut")


def read_dlc_h5_table(path: str | Path, *, key: str | None = None) -> PoseTable:
    """Decode the DeepLabCut table of an ``.h5`` file into pose arrays."""
    path = require_readable_file(path)
    with open_hdf5(path, chunk_cache_bytes=0) as handle, wrap_errors(path, "cannot read the DeepLabCut table"):
        frame = _pandas_frame(path, handle, key)
        scorer, triples = _triples_from_labels(path, frame.columns)
        layout = layout_from_columns(path, triples)
        position, confidence = layout.allocate(frame.n_rows)
        labels = []
        for block in frame.iter_blocks(H5_BLOCK_BYTES):
            layout.fill(position, confidence, block.start, block.values)
            labels.append(block.index)
    return PoseTable(layout, position, confidence, _join_row_labels(labels), scorer)


def read_dlc_csv_table(path: str | Path, *, skip_coords: Collection[str] = ()) -> PoseTable:
    """Decode a DeepLabCut-style CSV (header rows ``scorer``, [``individuals``,] ``bodyparts``, ``coords``).

    Columns whose coordinate label is in ``skip_coords`` (e.g. LightningPose's
    ``set``) are left out with a warning.
    """
    path = require_readable_file(path)
    header = read_header_rows(path, len(HEADER_NAMES) + 1)
    n_header = _count_header_rows(path, header, HEADER_NAMES)
    rows = header[:n_header]
    n_index = _count_index_columns(rows[-1])
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise InputFileError(path, f"header rows have different numbers of cells: {sorted(widths)}")
    labels = list(zip(*(_strip_duplicate_suffixes(path, row[n_index:]) for row in rows)))
    kept = [i for i, label in enumerate(labels) if label[-1].strip().lower() not in skip_coords]
    if len(kept) < len(labels):
        skipped = sorted({labels[i][-1] for i in range(len(labels)) if i not in set(kept)})
        warn_fixup(path, f"left out {len(labels) - len(kept)} non-coordinate column(s) labelled {skipped}")
    scorer, triples = _triples_from_labels(path, [labels[i] for i in kept])
    layout = layout_from_columns(path, triples)
    with wrap_errors(path, "cannot parse the CSV values"):
        position, confidence, row_labels = read_csv_values(
            path,
            layout,
            n_header=n_header,
            n_index=n_index,
            data_columns=[n_index + i for i in kept],
            n_columns=len(rows[-1]),
        )
    return PoseTable(layout, position, confidence, row_labels, scorer)


def count_dlc_h5_frames(path: str | Path, *, key: str | None = None) -> int:
    """Frames a DeepLabCut ``.h5`` file covers, from its row index alone (values are not read).

    The last frame number + 1, or the number of rows for a labelled-frame
    file (image paths as the index): what :func:`read_dlc_h5` gives as
    ``frame[-1] + 1`` or the length of ``time``.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the DeepLabCut row index"):
        frame = _pandas_frame(path, handle, key)
        if frame.n_rows == 0:
            return 0
        index = frame.fixed_index if frame.fixed_index is not None else frame.group["table"].fields("index")[:]
    return _extent(path, index, frame.n_rows)


def _pandas_frame(path: Path, handle: h5py.File, key: str | None) -> PandasFrame:
    """The DeepLabCut table's pandas frame (described, not read) under ``key`` or the preferred key."""
    keys = pandas_keys(handle)
    if not keys:
        raise InputFileError(path, "holds no pandas DataFrame, so it is not a DeepLabCut .h5 file")
    key = _choose_key(path, keys, key)
    try:
        return read_pandas_frame(handle[key])
    except UnsafePickleError as error:
        raise InputFileError(path, f"refusing to read key '{key}': {error}") from error


def count_dlc_csv_frames(path: str | Path) -> int:
    """Frames a DeepLabCut-style ``.csv`` covers, from its index column alone (values are not converted).

    See :func:`count_dlc_h5_frames`.
    """
    path = require_readable_file(path)
    header = read_header_rows(path, len(HEADER_NAMES) + 1)
    n_header = _count_header_rows(path, header, HEADER_NAMES)
    n_index = _count_index_columns(header[n_header - 1])
    names = [f"column_{i}" for i in range(len(header[n_header - 1]))]
    with wrap_errors(path, "cannot parse the CSV index"):
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=n_header, column_names=names),
            convert_options=pacsv.ConvertOptions(
                include_columns=names[: max(n_index, 1)], column_types={names[0]: pa.string()}
            ),
        )
    if n_index != 1:
        return table.num_rows
    labels = _row_labels([table.column(0)])
    return _extent(path, labels, table.num_rows)


def _extent(path: Path, index: np.ndarray | Sequence, n_rows: int) -> int:
    """Last frame number + 1 of an integer row index; the number of rows for any other index."""
    if isinstance(index, np.ndarray) and index.dtype.kind in "iu" and index.size:
        _check_frame_numbers(path, index)
        return int(index.max()) + 1
    return n_rows


def _check_frame_numbers(path: str | Path, frames: np.ndarray) -> None:
    """Refuse a frame index holding a number no video has (a corrupted index)."""
    if frames.size == 0:
        return
    lowest, highest = int(frames.min()), int(frames.max())
    if lowest < 0 or highest > MAX_FRAME_NUMBER:
        implausible = lowest if lowest < 0 else highest
        raise InputFileError(
            path, f"the frame index holds frame number {implausible}, which no video has: the file looks corrupted"
        )


def read_csv_values(
    path: Path,
    layout: ColumnLayout,
    *,
    n_header: int,
    n_index: int,
    data_columns: Sequence[int],
    n_columns: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | list[str]]:
    """Read the data rows of a CSV into pose arrays, piece by piece (:func:`read_csv_pieces`).

    Parameters
    ----------
    path
        The CSV file.
    layout
        Where each of ``data_columns`` goes (in that order).
    n_header
        Header rows to skip.
    n_index
        Leading columns that hold the row label (0: rows are numbered 0, 1, ...).
    data_columns
        CSV column positions of the values, in layout order; other columns are not parsed.
    n_columns
        Number of columns of every row.

    Returns
    -------
    position, confidence, row_labels
        Row labels are int64 frame numbers when every label is an integer, else
        the labels as strings (index columns joined with ``/``).
    """
    index_names = [f"index_{i}" for i in range(n_index)]
    value_names = [f"column_{i}" for i in data_columns]
    all_names = index_names + [f"column_{i}" for i in range(n_index, n_columns)]
    types = {name: pa.string() for name in index_names} | {name: pa.float64() for name in value_names}
    tables = read_csv_pieces(
        path,
        skip_rows=n_header,
        column_names=all_names,
        convert_options=pacsv.ConvertOptions(
            column_types=types, include_columns=index_names + value_names, strings_can_be_null=False
        ),
    )
    positions, confidences = [], []
    index_parts: list[list[pa.Array]] = [[] for _ in range(n_index)]
    for table in tables:
        if table.num_rows == 0:
            continue
        block = np.column_stack([table.column(name).to_numpy() for name in value_names])
        position, confidence = layout.allocate(table.num_rows)
        layout.fill(position, confidence, 0, block)
        positions.append(position)
        confidences.append(confidence)
        for part, name in enumerate(index_names):
            index_parts[part].extend(table.column(name).chunks)
    if not positions:
        raise InputFileError(path, "has header rows but no data rows")
    position, confidence = _concatenate(positions), _concatenate(confidences)
    if n_index == 0:
        return position, confidence, np.arange(position.shape[0], dtype=np.int64)
    labels = [pa.chunked_array(parts, type=pa.string()) for parts in index_parts]
    return position, confidence, _row_labels(labels)


def table_to_pose(
    path: str | Path,
    table: PoseTable,
    *,
    fps: float | None,
    source_software: str,
    confidence_kind: str = "probability",
) -> xr.Dataset:
    """Turn a decoded table into a canonical pose dataset (frames, labelled images, zero fix-up)."""
    position, confidence = table.position, table.confidence
    frames, image_paths = None, None
    if isinstance(table.row_labels, np.ndarray):
        frames = table.row_labels
        _check_frame_numbers(path, frames)
        order = _frame_order(path, frames)
        if order is not None:
            position, confidence, frames = position[order], confidence[order], frames[order]
    else:
        image_paths = table.row_labels
        _refuse_mixed_row_index(path, image_paths)
        frames = _frames_from_image_names(image_paths)
    has_confidence = table.layout.has_confidence
    mask_zero_points(path, position, confidence if has_confidence else None)
    return build_pose(
        path,
        position,
        confidence if has_confidence else None,
        keypoints=table.layout.keypoints,
        individuals=table.layout.individuals,
        space=table.layout.space,
        source_software=source_software,
        confidence_kind=confidence_kind if has_confidence else "none",
        fps=fps,
        frames=frames,
        image_paths=image_paths,
        extra_attrs={"scorer": table.scorer, "labelled_frames": image_paths is not None},
    )


def _choose_key(path: Path, keys: list[str], key: str | None) -> str:
    if key is not None:
        if key.strip("/") not in keys:
            raise InputFileError(path, f"has no pandas key '{key}' (keys: {', '.join(keys)})")
        return key.strip("/")
    if len(keys) == 1:
        return keys[0]
    chosen = next((k for k in PREFERRED_KEYS if k in keys), keys[0])
    warn_fixup(path, f"holds several pandas tables ({', '.join(keys)}); reading '{chosen}' (pass key= to choose)")
    return chosen


def _triples_from_labels(path: Path, columns: Sequence[tuple[str, ...]]) -> tuple[str, list[tuple[str, str, str]]]:
    if not columns:
        raise InputFileError(path, "the table has no data columns")
    n_levels = len(columns[0])
    if n_levels == 3:
        triples = [(SINGLE_INDIVIDUAL, str(bp), str(coord)) for _, bp, coord in columns]
    elif n_levels == 4:
        triples = [(str(ind), str(bp), str(coord)) for _, ind, bp, coord in columns]
    else:
        raise InputFileError(
            path,
            f"column labels have {n_levels} level(s); DeepLabCut uses 3 (scorer, bodyparts, coords) "
            "or 4 (scorer, individuals, bodyparts, coords)",
        )
    return str(columns[0][0]), triples


def _count_header_rows(path: Path, header: list[list[str]], expected: Sequence[str]) -> int:
    if not header or not header[0]:
        raise InputFileError(path, "has no header row")
    first = [row[0].strip().lower() if row else "" for row in header]
    if first[0] != expected[0]:
        raise InputFileError(
            path, f"first header cell is {header[0][0]!r}, expected {expected[0]!r} (not a DeepLabCut-style pose CSV)"
        )
    n_header = 1
    while n_header < len(first) and first[n_header] in expected[1:]:
        n_header += 1
    names = first[:n_header]
    if names[-1] != expected[-1] or n_header < 3:
        raise InputFileError(
            path,
            f"header rows are {names}; expected scorer, [individuals,] bodyparts, coords",
        )
    if len(header) == n_header:
        raise InputFileError(path, "has header rows but no data rows")
    return n_header


def _count_index_columns(coords_row: list[str]) -> int:
    n_index = 1
    while n_index < len(coords_row) and not coords_row[n_index].strip():
        n_index += 1
    return n_index


def _strip_duplicate_suffixes(path: Path, cells: list[str]) -> list[str]:
    """Undo pandas' ``name.1``, ``name.2`` renaming of repeated header cells."""
    plain = {cell for cell in cells if not _SUFFIXED.match(cell)}
    fixed = []
    for cell in cells:
        match = _SUFFIXED.match(cell)
        fixed.append(match.group(1) if match and match.group(1) in plain else cell)
    if fixed != cells:
        warn_fixup(path, "header cells carried duplicate suffixes (.1, .2, ...); they were removed")
    return fixed


def _concatenate(chunks: list[np.ndarray]) -> np.ndarray:
    """Concatenate row chunks, releasing each as soon as it is copied (keeps the peak near one copy)."""
    out = np.empty((sum(len(c) for c in chunks), *chunks[0].shape[1:]), dtype=chunks[0].dtype)
    start = 0
    while chunks:
        chunk = chunks.pop(0)
        out[start : start + len(chunk)] = chunk
        start += len(chunk)
    return out


def _join_row_labels(blocks: list[np.ndarray | list[tuple[str, ...]]]) -> np.ndarray | list[str]:
    """Frame numbers of every row block as one array, or string labels joined with ``/``."""
    if all(isinstance(block, np.ndarray) for block in blocks):
        return np.concatenate(blocks) if blocks else np.empty(0, dtype=np.int64)
    return ["/".join(label) for block in blocks for label in block]


def _row_labels(labels: list[pa.ChunkedArray]) -> np.ndarray | list[str]:
    if len(labels) == 1:
        try:
            return pc.cast(labels[0], pa.int64()).to_numpy()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    parts = [column.to_pylist() for column in labels]
    return ["/".join(piece for piece in row if piece) for row in zip(*parts)]


def _frame_order(path: str | Path, frames: np.ndarray) -> np.ndarray | None:
    """Return the sorting order of ``frames`` if they are not strictly increasing (None if they are)."""
    if frames.size < 2 or np.all(np.diff(frames) > 0):
        return None
    order = np.argsort(frames, kind="stable")
    if np.any(np.diff(frames[order]) == 0):
        raise InputFileError(path, "the frame index repeats frame numbers")
    warn_fixup(path, "rows were not in frame order; they were sorted by frame index")
    return order


def _refuse_mixed_row_index(path: str | Path, row_labels: Sequence[str]) -> None:
    """Refuse a row index of frame numbers with a few other cells (a damaged file), rather than read image paths."""
    numbers = [bool(_FRAME_NUMBER.fullmatch(str(label).strip())) for label in row_labels]
    if any(numbers) and not all(numbers):
        row = numbers.index(False)
        raise InputFileError(
            path,
            f"the row index holds frame numbers except in data row {row + 1}, which holds "
            f"{str(row_labels[row])!r}: the file looks damaged",
        )


def _frames_from_image_names(image_paths: list[str]) -> np.ndarray:
    """Frame number of each labelled image from the last number in its file name (img0047.png -> 47)."""
    matches = [_TRAILING_NUMBER.search(Path(p).name) for p in image_paths]
    if all(matches):
        return np.array([int(m.group(1)) for m in matches], dtype=np.int64)
    return np.arange(len(image_paths), dtype=np.int64)
