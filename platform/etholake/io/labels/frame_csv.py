"""Generic per-frame label CSV (format name ``frame_csv``).

Layout: a ``frame`` column (0-based video frame) then one column per
behavior::

    frame,attack,sniff
    0,0,1
    1,1,
    2,-1,0

Comma- or tab-separated (a first line with more tabs than commas). Cells:
``1`` present, ``0`` absent, empty or ``-1`` not scored. Frames missing
from the file are not scored (-1), and so are frames after the last row up to
``n_frames``. A frame listed twice with the same values is read once (with a
warning); with different values it is an error. A behavior declared with
``behaviors=`` that has no column is 0 (absent) on every frame the file scored
(a 0 or 1 in any column) and -1 elsewhere, with a warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import (
    read_header_rows,
    require_readable_file,
    require_whole_last_line,
    text_delimiter,
    warn_fixup,
    wrap_errors,
)
from etholake.io.labels._frames import (
    build_labels,
    data_lines,
    resolve_behaviors,
    session_length,
    with_declared_behaviors,
)
from etholake.schema.labels import NOT_SCORED

FORMAT = "frame_csv"
FRAME_COLUMN = "frame"


def looks_like_frame_csv(header: Sequence[str]) -> bool:
    """Whether a header row starts with the ``frame`` column and names at least one behavior."""
    return len(header) >= 2 and header[0].strip().lower() == FRAME_COLUMN


def read_frame_csv(
    path: str | Path,
    *,
    fps: float | None = None,
    annotator: str | None = None,
    label_set: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    clip: bool = False,
) -> xr.Dataset:
    """Read a per-frame label CSV.

    Parameters
    ----------
    path
        The CSV file.
    fps
        Video frame rate, for the ``time`` coordinate.
    annotator
        Who scored the video (``"unknown"`` if not given).
    label_set
        Name of the label set; defaults to ``"frame_csv"``.
    n_frames
        Session length in frames; frames after the last row are -1.
    behaviors
        The full ethogram: a behavior without a column is 0 on the frames the
        file scored, -1 elsewhere.
    clip
        Drop rows beyond ``n_frames`` with a warning instead of raising.

    Returns
    -------
    xarray.Dataset
        Canonical labels, one row per video frame from 0.
    """
    path = require_readable_file(path)
    delimiter = text_delimiter(path)
    rows = read_header_rows(path, 1, delimiter)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if not looks_like_frame_csv(header):
        raise InputFileError(
            path, f"not a per-frame label CSV: the header must be 'frame,<behavior>,...', found {header[:4]}"
        )
    found = header[1:]
    if len(set(found)) != len(found) or "" in found:
        raise InputFileError(path, f"behavior columns must be named and unique, found {found}")
    require_whole_last_line(path, len(header), delimiter)
    with wrap_errors(path, "cannot read the per-frame label table"):
        table = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False)
    frames = pd.to_numeric(table.iloc[:, 0].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad_frame = np.flatnonzero(~np.isfinite(frames) | (frames < 0) | (frames != np.round(frames)))
    if bad_frame.size:
        raise InputFileError(
            path,
            f"line {data_lines(path, 1, delimiter)[bad_frame[0]]}: frame {table.iloc[bad_frame[0], 0]!r} "
            "is not a non-negative integer",
        )
    frames = frames.astype(np.int64)
    cells = table.iloc[:, 1:].apply(lambda column: column.str.strip())
    values = cells.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    invalid = (cells.to_numpy() != "") & ~np.isin(values, (1, 0, -1))
    if invalid.any():
        row, column = np.argwhere(invalid)[0]
        raise InputFileError(
            path,
            f"line {data_lines(path, 1, delimiter)[row]}: {found[column]} is {cells.iloc[row, column]!r}, "
            "expected 1, 0, -1 or empty",
        )
    label_rows = np.where(np.isfinite(values), values, NOT_SCORED).astype(np.int8)

    order = np.argsort(frames, kind="stable")
    frames, label_rows = frames[order], label_rows[order]
    repeated = np.flatnonzero(np.diff(frames) == 0) + 1
    if repeated.size:
        differs = np.any(label_rows[repeated] != label_rows[repeated - 1], axis=1)
        if differs.any():
            raise InputFileError(path, f"frame {frames[repeated[differs][0]]} is listed twice with different labels")
        warn_fixup(path, f"{repeated.size} repeated frame row(s) with identical labels read once")

    columns = resolve_behaviors(path, found, behaviors)
    length = session_length(path, int(frames[-1]) + 1 if frames.size else 0, n_frames, clip)
    keep = frames < length
    found_label = np.full((length, len(found)), NOT_SCORED, dtype=np.int8)
    found_label[frames[keep]] = label_rows[keep]
    return build_labels(
        path,
        with_declared_behaviors(path, found_label, found, columns),
        behaviors=columns,
        source_format=FORMAT,
        annotator=annotator,
        label_set=label_set or FORMAT,
        fps=fps,
    )
