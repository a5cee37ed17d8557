"""Interval (bout) label CSV (format name ``interval_csv``).

Two layouts, one bout per row, the ``annotator`` column optional, comma- or
tab-separated (a first line with more tabs than commas)::

    behavior,start_frame,stop_frame,annotator
    attack,120,185,alice

    behavior,start_s,stop_s,annotator
    attack,4.0,6.2,alice

- Frames are 0-based video frames and ``stop_frame`` is inclusive: the bout
  above covers frames 120..185.
- Seconds need ``fps=`` and are half-open: a bout covers the frames
  ``round(start_s * fps)`` up to, not including, ``round(stop_s * fps)``
  (at least its first frame).
- The whole session is scored: frames outside every bout are 0 (absent), up
  to ``n_frames`` (or the last bout's end when not given: pass ``n_frames``
  so the absent frames after the last bout are kept).
- An ``annotator`` column with several names holds several label sets: pick
  one with ``annotator=``. Overlapping bouts of the same behavior are merged
  with a warning; bouts of different behaviors may overlap.
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
    clip_intervals,
    data_lines,
    label_values,
    paint_intervals,
    resolve_behaviors,
    session_length,
)

FORMAT = "interval_csv"
FRAME_COLUMNS = ("behavior", "start_frame", "stop_frame")
SECOND_COLUMNS = ("behavior", "start_s", "stop_s")
ANNOTATOR_COLUMN = "annotator"


def interval_layout(header: Sequence[str]) -> str | None:
    """``"frames"`` or ``"seconds"`` if ``header`` is an interval CSV header, else None."""
    names = [cell.strip().lower() for cell in header]
    for layout, required in (("frames", FRAME_COLUMNS), ("seconds", SECOND_COLUMNS)):
        if names[:3] == list(required) and names[3:] in ([], [ANNOTATOR_COLUMN]):
            return layout
    return None


def _select_annotator(path: Path, table: pd.DataFrame, annotator: str | None) -> tuple[pd.DataFrame, str | None]:
    if ANNOTATOR_COLUMN not in table.columns:
        return table, annotator
    names = table[ANNOTATOR_COLUMN].str.strip()
    annotators = list(dict.fromkeys(names))
    if annotator is None:
        if len(annotators) > 1:
            raise InputFileError(path, f"holds bouts of annotators {annotators}: pass annotator= to read one")
        return table, annotators[0] if annotators else None
    if annotator not in annotators:
        raise InputFileError(path, f"has no bouts of annotator {annotator!r} (annotators: {annotators})")
    return table[(names == annotator).to_numpy()], annotator


def _bounds(path: Path, table: pd.DataFrame, columns: tuple[str, str]) -> np.ndarray:
    values = table[list(columns)].apply(lambda column: pd.to_numeric(column.str.strip(), errors="coerce"))
    values = values.to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.all(np.isfinite(values) & (values >= 0), axis=1))
    if bad.size:
        raise InputFileError(
            path, f"line {table.index[bad[0]]}: {columns[0]}/{columns[1]} must be non-negative numbers"
        )
    reversed_rows = np.flatnonzero(values[:, 1] < values[:, 0])
    if reversed_rows.size:
        raise InputFileError(path, f"line {table.index[reversed_rows[0]]}: {columns[1]} is before {columns[0]}")
    return values


def _warn_same_behavior_overlaps(path: Path, names: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> None:
    if names.size < 2:
        return
    group = np.unique(names, return_inverse=True)[1]
    order = np.lexsort((starts, group))
    group, starts, stops = group[order], starts[order], stops[order]
    offset = group * (int(stops.max()) + 1)
    running_stop = np.maximum.accumulate(offset + stops) - offset
    overlaps = int(np.count_nonzero((group[1:] == group[:-1]) & (starts[1:] < running_stop[:-1])))
    if overlaps:
        warn_fixup(path, f"{overlaps} overlapping bout(s) of the same behavior merged")


def read_interval_csv(
    path: str | Path,
    *,
    fps: float | None = None,
    annotator: str | None = None,
    label_set: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    clip: bool = False,
) -> xr.Dataset:
    """Read an interval (bout) label CSV.

    Parameters
    ----------
    path
        The CSV file.
    fps
        Video frame rate: the ``time`` coordinate, and needed for seconds.
    annotator
        Annotator whose bouts to read (required when the file names several);
        without an ``annotator`` column, who scored the video.
    label_set
        Name of the label set; defaults to ``"interval_csv"``.
    n_frames
        Session length in frames (frames after the last bout are 0).
    behaviors
        The full ethogram: behaviors without bouts get an all-0 column.
    clip
        Drop bouts beyond ``n_frames`` with a warning instead of raising.

    Returns
    -------
    xarray.Dataset
        Canonical labels, one row per video frame from 0.
    """
    path = require_readable_file(path)
    delimiter = text_delimiter(path)
    rows = read_header_rows(path, 1, delimiter)
    layout = interval_layout(rows[0]) if rows else None
    if layout is None:
        raise InputFileError(
            path,
            "not an interval CSV: the header must be 'behavior,start_frame,stop_frame[,annotator]' or "
            f"'behavior,start_s,stop_s[,annotator]', found {rows[0][:4] if rows else []}",
        )
    require_whole_last_line(path, len(rows[0]), delimiter)
    with wrap_errors(path, "cannot read the interval table"):
        table = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False)
        table.index = data_lines(path, 1, delimiter)
    table.columns = [str(column).strip().lower() for column in table.columns]
    table, annotator = _select_annotator(path, table, annotator)
    names = table["behavior"].str.strip().to_numpy(dtype=object)
    unnamed = np.flatnonzero(names == "")
    if unnamed.size:
        raise InputFileError(path, f"line {table.index[unnamed[0]]}: empty behavior name")
    if layout == "frames":
        bounds = _bounds(path, table, ("start_frame", "stop_frame"))
        if np.any(bounds != np.round(bounds)):
            raise InputFileError(path, "start_frame and stop_frame must be integers")
        starts, stops = bounds[:, 0].astype(np.int64), bounds[:, 1].astype(np.int64) + 1
    else:
        if fps is None:
            raise InputFileError(path, "bouts are in seconds (start_s, stop_s): pass fps= to convert them to frames")
        bounds = _bounds(path, table, ("start_s", "stop_s"))
        starts = np.round(bounds[:, 0] * fps).astype(np.int64)
        stops = np.maximum(np.round(bounds[:, 1] * fps).astype(np.int64), starts + 1)
    if names.size == 0 and n_frames is None:
        raise InputFileError(path, "holds no bouts: pass n_frames= (and behaviors=) to read it as all absent")
    _warn_same_behavior_overlaps(path, names, starts, stops)

    length = session_length(path, int(stops.max()) if stops.size else 0, n_frames, clip)
    starts, stops, names = clip_intervals(starts, stops, length, names)
    columns = resolve_behaviors(path, list(dict.fromkeys(names)), behaviors)
    index = {name: i for i, name in enumerate(columns)}
    behavior_index = np.array([index[name] for name in names], dtype=np.intp)
    present = paint_intervals(length, len(columns), behavior_index, starts, stops)
    return build_labels(
        path,
        label_values(present, np.ones(length, dtype=bool)),
        behaviors=columns,
        source_format=FORMAT,
        annotator=annotator,
        label_set=label_set or FORMAT,
        fps=fps,
        extra_attrs={"interval_layout": layout},
    )
