"""Shared steps of the label readers: painting intervals onto frames, session length, the dataset.

Every reader turns its file into intervals ``[start, stop)`` of 0-based video
frames per behavior, plus the frames the annotator scored. The label array is
always dense from frame 0 to the session length: frame ``f`` is row ``f``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError, SchemaError
from etholake.io._files import file_sha256, warn_fixup, wrap_errors
from etholake.schema.checks import described
from etholake.schema.labels import ABSENT, NOT_SCORED, PRESENT, make_labels_dataset

DEFAULT_ANNOTATOR = "unknown"


def data_lines(path: str | Path, header_line: int, delimiter: str) -> np.ndarray:
    """The file line on which each data row below the header starts, for messages that point into the file.

    Rows are counted as pandas reads them: blank (or whitespace-only) lines
    hold no row, and a quoted cell may span lines.

    Parameters
    ----------
    path
        A delimited text file.
    header_line
        1-based line of its header row.
    delimiter
        The cell delimiter.

    Returns
    -------
    numpy.ndarray
        1-based line numbers, one per data row.
    """
    lines = []
    with wrap_errors(path, "cannot read the table"), open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        start = 1
        for cells in reader:
            if start > header_line and (len(cells) > 1 or (cells and cells[0].strip())):
                lines.append(start)
            start = reader.line_num + 1
    return np.array(lines, dtype=np.int64)


def paint_intervals(
    n_frames: int,
    n_behaviors: int,
    behavior_index: np.ndarray,
    starts: np.ndarray,
    stops: np.ndarray,
) -> np.ndarray:
    """Return a (frame, behavior) bool array, True inside any interval ``[start, stop)`` of that behavior.

    Vectorised with a difference array: +1 at each start, -1 at each stop, then
    a cumulative sum along frames; overlapping intervals simply add up.
    """
    edges = np.zeros((n_frames + 1, n_behaviors), dtype=np.int32)
    np.add.at(edges, (np.asarray(starts, dtype=np.intp), behavior_index), 1)
    np.add.at(edges, (np.asarray(stops, dtype=np.intp), behavior_index), -1)
    return np.cumsum(edges[:-1], axis=0) > 0


def paint_scored(n_frames: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Return a bool array over frames, True inside any scored span ``[start, stop)``."""
    zeros = np.zeros(len(starts), dtype=np.intp)
    return paint_intervals(n_frames, 1, zeros, starts, stops)[:, 0]


def session_length(path: str | Path, needed: int, n_frames: int | None, clip: bool) -> int:
    """Number of frames of the label array.

    Parameters
    ----------
    path
        The label file (for messages).
    needed
        One past the last frame the file scores.
    n_frames
        The session length given by the caller, or None to end at ``needed``.
    clip
        If True, labels beyond ``n_frames`` are dropped with a warning instead
        of raising.

    Raises
    ------
    InputFileError
        If the file scores frames at or beyond ``n_frames`` and ``clip`` is False.
    """
    if n_frames is None:
        return needed
    if n_frames < 0:
        raise ValueError(f"n_frames must be >= 0, got {n_frames}")
    if needed > n_frames:
        problem = (
            f"labels run to frame {needed - 1} (0-based) but the session has {n_frames} frames (0..{n_frames - 1})"
        )
        if not clip:
            hint = "to drop the labels beyond the session, pass clip=True (in a manifest: options: {clip: true})"
            raise InputFileError(path, f"{problem}; {hint}")
        warn_fixup(path, problem + "; labels beyond the session were dropped (clip=True)")
    return n_frames


def clip_intervals(starts: np.ndarray, stops: np.ndarray, n_frames: int, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """Cut intervals to ``[0, n_frames)`` and drop those left empty; ``others`` are filtered alike."""
    starts = np.minimum(starts, n_frames)
    stops = np.minimum(stops, n_frames)
    keep = stops > starts
    return (starts[keep], stops[keep], *(other[keep] for other in others))


def resolve_behaviors(path: str | Path, found: Sequence[str], declared: Sequence[str] | None) -> list[str]:
    """Behavior names of the dataset: ``declared`` if given (each found one must be in it), else ``found``."""
    if declared is None:
        return list(found)
    declared = [str(name) for name in declared]
    unknown = [name for name in found if name not in declared]
    if unknown:
        raise InputFileError(path, f"behavior(s) {unknown} are not among the declared behaviors {declared}")
    return declared


def with_declared_behaviors(
    path: str | Path, found_label: np.ndarray, found: Sequence[str], columns: Sequence[str]
) -> np.ndarray:
    """The (frame, behavior) labels of ``columns`` from those of the file's own behavior columns ``found``.

    A behavior of ``columns`` the file has no column for is absent (0) on
    every frame the file scored (a 0 or 1 in any of its columns) and not
    scored (-1) elsewhere; a warning names such behaviors.

    Parameters
    ----------
    path
        The label file (for the warning).
    found_label
        (frame, behavior) int8 labels of the file's columns ``found``.
    found
        The file's behavior columns, all of them in ``columns``.
    columns
        The behaviors of the dataset.
    """
    columns = list(columns)
    label = np.full((found_label.shape[0], len(columns)), NOT_SCORED, dtype=np.int8)
    label[:, [columns.index(name) for name in found]] = found_label
    missing = [name for name in columns if name not in found]
    if missing:
        scored = np.any(found_label != NOT_SCORED, axis=1)
        label[np.ix_(scored, [columns.index(name) for name in missing])] = ABSENT
        warn_fixup(
            path,
            f"has no column for the declared behavior(s) {missing}: they are absent (0) on the frames the file "
            "scored and not scored (-1) elsewhere",
        )
    return label


def label_values(present: np.ndarray, scored: np.ndarray) -> np.ndarray:
    """Combine presence (frame, behavior) and scored frames (frame,) or (frame, behavior) into 1 / 0 / -1."""
    scored = scored if scored.ndim == 2 else scored[:, None]
    return np.where(scored, np.where(present, PRESENT, ABSENT), NOT_SCORED).astype(np.int8)


def build_labels(
    path: str | Path,
    label: np.ndarray,
    *,
    behaviors: Sequence[str],
    source_format: str,
    annotator: str | None,
    label_set: str,
    fps: float | None,
    extra_attrs: dict | None = None,
) -> xr.Dataset:
    """Wrap a (frame, behavior) label array as a canonical labels dataset with provenance attributes.

    Raises
    ------
    InputFileError
        Naming ``path``, when what the file holds breaks the labels model (a behavior name too long, say).
    """
    try:
        return make_labels_dataset(
            label,
            behaviors=list(behaviors),
            annotator=annotator or DEFAULT_ANNOTATOR,
            label_set=label_set,
            fps=fps,
            source_file=str(path),
            source_sha256=file_sha256(path),
            source_format=source_format,
            extra_attrs=extra_attrs,
        )
    except SchemaError as error:
        labels = described(xr.Dataset(attrs={"source_file": str(path)}), "labels")
        raise InputFileError(path, str(error).removeprefix(f"{labels}: ")) from error
