"""Readers of human behavior labels, one module per format, all returning the canonical labels model.

Formats (``format=`` names): ``caltech`` (Caltech Behavior Annotator .txt),
``boris`` (BORIS 7/8 tabular events, CSV/TSV), ``simba_targets`` (SimBA
targets_inserted CSV), ``frame_csv`` (a ``frame`` column and one 1/0/-1
column per behavior), ``interval_csv`` (one bout per row).

Every reader returns ``label`` (time, behavior) int8 with 1 present, 0 absent,
-1 not scored, dense over video frames 0..n-1, and takes the options ``fps=``,
``annotator=``, ``label_set=``, ``n_frames=``, ``behaviors=`` (the full
ethogram, adding columns for behaviors the file never names) and ``clip=``
(drop labels beyond ``n_frames`` with a warning instead of raising), plus
``stream=`` (caltech) and ``subject=`` (boris).

``n_frames`` is the session length. Frames the file does not reach are:

================  ==========================================================
caltech           -1: only frames inside a range were scored
boris             0: a BORIS observation scores the whole media
simba_targets     -1: SimBA writes one row per scored frame
frame_csv         -1: only listed frames were scored
interval_csv      0: the file lists the bouts of a fully scored session
================  ==========================================================

Labels beyond ``n_frames`` raise :class:`~etholake.errors.InputFileError`
unless ``clip=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import line_delimiter, require_readable_file
from etholake.io.labels.boris import find_header, read_boris
from etholake.io.labels.caltech import HEADER as CALTECH_HEADER
from etholake.io.labels.caltech import read_caltech, read_caltech_streams
from etholake.io.labels.frame_csv import looks_like_frame_csv, read_frame_csv
from etholake.io.labels.interval_csv import interval_layout, read_interval_csv
from etholake.io.labels.simba_targets import looks_like_simba_targets, read_simba_targets

READERS: dict[str, Callable[..., xr.Dataset]] = {
    "caltech": read_caltech,
    "boris": read_boris,
    "simba_targets": read_simba_targets,
    "frame_csv": read_frame_csv,
    "interval_csv": read_interval_csv,
}
_SNIFF_BYTES = 1 << 16

__all__ = [
    "READERS",
    "detect_labels_format",
    "read_boris",
    "read_caltech",
    "read_caltech_streams",
    "read_frame_csv",
    "read_interval_csv",
    "read_labels",
    "read_simba_targets",
]


def detect_labels_format(path: str | Path) -> str:
    """Name the label format of a file from its content (not its extension).

    Parameters
    ----------
    path
        A label file.

    Returns
    -------
    str
        One of ``caltech``, ``boris``, ``simba_targets``, ``frame_csv``,
        ``interval_csv``.

    Raises
    ------
    InputFileError
        If the file is missing, empty, binary or in none of these formats.
    """
    path = require_readable_file(path)
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if b"\0" in head:
        raise InputFileError(path, "binary content, not a text label file")
    text = head.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise InputFileError(path, "holds only blank lines")
    lines = text.splitlines()
    if lines[0].strip() == CALTECH_HEADER:
        return "caltech"
    if find_header(path, text) is not None:
        return "boris"
    header = [cell.strip().strip('"') for cell in lines[0].split(line_delimiter(lines[0]))]
    if interval_layout(header) is not None:
        return "interval_csv"
    if looks_like_frame_csv(header):
        return "frame_csv"
    if looks_like_simba_targets(header):
        return "simba_targets"
    raise InputFileError(
        path,
        f"unrecognised label format (first line {lines[0][:80]!r}); expected one of {', '.join(READERS)}",
    )


def read_labels(path: str | Path, format: str | None = None, **options) -> xr.Dataset:
    """Read a human label file as a canonical labels dataset.

    Parameters
    ----------
    path
        The label file.
    format
        One of :data:`READERS`; detected from the content when None.
    **options
        Passed to the format's reader (``fps``, ``annotator``, ``label_set``,
        ``n_frames``, ``behaviors``, ``clip``, ``stream`` (caltech),
        ``subject`` (boris)).

    Returns
    -------
    xarray.Dataset
        ``label`` (time, behavior) int8: 1 present, 0 absent, -1 not scored.

    Raises
    ------
    InputFileError
        If the file cannot be read as ``format``.
    ValueError
        If ``format`` is not a known format name.

    Examples
    --------
    >>> ds = read_labels("1_annot.txt", stream="S1", fps=30)  # doctest: +SKIP
    >>> ds.attrs["label_set"]  # doctest: +SKIP
    'S1'
    """
    if format is None:
        format = detect_labels_format(path)
    if format not in READERS:
        raise ValueError(f"unknown label format {format!r}; known: {', '.join(READERS)}")
    return READERS[format](path, **options)
