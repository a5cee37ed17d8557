"""SimBA input CSVs (``project_folder/csv/input_csv``): imported pose in a DeepLabCut-like layout.

SimBA's importers write either three header rows whose first two rows are
placeholders (``IMPORTED_POSE``, or ``DLC_multi``/``SLEAP_multi`` in older
releases) and whose ``coords`` row holds the real column names, or a single
header row of those names. Column names are ``<bodypart>_<animal>_<x|y|p>``
(``Nose_1_x``, ``Tail_base_2_p``); bodyparts ending in an animal number are
split into keypoint ``Nose`` and individual ``Animal_1``. SimBA fills
missing points with 0, which are read back as missing (NaN). The ``p``
column is the original tool's score: a probability for DeepLabCut imports
(the default ``confidence_kind``), an unbounded score for SLEAP imports.
"""

from __future__ import annotations

import re
from pathlib import Path

import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import read_header_rows, require_readable_file, wrap_errors
from etholake.io._layout import layout_from_columns
from etholake.io.dlc import PoseTable, read_csv_values, table_to_pose

PLACEHOLDER_LABELS = ("IMPORTED_POSE", "DLC_multi", "SLEAP_multi")
HEADER_NAMES = ("scorer", "bodypart", "bodyparts", "coords")
_COLUMN = re.compile(r"^(?P<bodypart>.+)_(?P<coord>[xyp])$")
_ANIMAL = re.compile(r"^(?P<keypoint>.+)_(?P<animal>\d+)$")
_COORD_NAMES = {"x": "x", "y": "y", "p": "likelihood"}


def read_simba_csv(path: str | Path, *, fps: float | None = None, confidence_kind: str = "probability") -> xr.Dataset:
    """Read a SimBA ``input_csv`` pose file.

    Parameters
    ----------
    path
        The CSV file.
    fps
        Frame rate (SimBA keeps it in ``logs/video_info.csv``, not in this file).
    confidence_kind
        What the ``p`` columns hold: ``"probability"`` (DeepLabCut imports) or
        ``"score"`` (SLEAP imports).

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset.
    """
    path = require_readable_file(path)
    header = read_header_rows(path, 4)
    n_header = simba_header_rows(header)
    if n_header is None:
        raise InputFileError(
            path,
            "header is neither SimBA's three rows (scorer/bodypart/coords) nor one row of <bodypart>_<x|y|p> names",
        )
    names_row = header[n_header - 1]
    n_index = 0 if _COLUMN.match(names_row[0]) else 1
    names = names_row[n_index:]
    parsed = [_COLUMN.match(name) for name in names]
    if not all(parsed):
        bad = [name for name, match in zip(names, parsed) if not match][:5]
        raise InputFileError(path, f"column name(s) {bad} do not end in _x, _y or _p")
    bodyparts = [match.group("bodypart") for match in parsed]
    animals = [_ANIMAL.match(bp) for bp in bodyparts]
    if all(animals):
        triples = [
            (f"Animal_{a.group('animal')}", a.group("keypoint"), _COORD_NAMES[m.group("coord")])
            for a, m in zip(animals, parsed)
        ]
    else:
        triples = [("Animal_1", bp, _COORD_NAMES[m.group("coord")]) for bp, m in zip(bodyparts, parsed)]
    layout = layout_from_columns(path, triples)
    with wrap_errors(path, "cannot parse the CSV values"):
        position, confidence, row_labels = read_csv_values(
            path,
            layout,
            n_header=n_header,
            n_index=n_index,
            data_columns=range(n_index, n_index + len(names)),
            n_columns=len(names_row),
        )
    table = PoseTable(layout, position, confidence, row_labels, scorer="SimBA")
    return table_to_pose(path, table, fps=fps, source_software="SimBA", confidence_kind=confidence_kind)


def simba_header_rows(header: list[list[str]]) -> int | None:
    """Return the number of header rows if ``header`` looks like a SimBA input CSV, else None."""
    if len(header) >= 4 and [row[0].strip().lower() if row else "" for row in header[:3]] in (
        ["scorer", "bodypart", "coords"],
        ["scorer", "bodyparts", "coords"],
    ):
        placeholders = {cell for row in header[:2] for cell in row[1:]}
        if placeholders <= set(PLACEHOLDER_LABELS) and all(_COLUMN.match(c) for c in header[2][1:]):
            return 3
    if len(header) >= 2 and header[0]:
        names = header[0][1:] if not _COLUMN.match(header[0][0]) else header[0]
        if names and all(_COLUMN.match(name) for name in names):
            return 1
    return None
