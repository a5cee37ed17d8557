"""SimBA ``targets_inserted`` CSV files (format name ``simba_targets``).

SimBA writes one row per video frame: an unnamed first column with the frame
index, the pose columns (``<bodypart>_<animal>_x``, ``_y``, ``_p``), the
extracted features, then one column per classifier ("target") holding 1 where
the behavior was annotated present and 0 where absent.

The behavior columns are, in this order of precedence:

- the ``behaviors=`` given (SimBA's project_config.ini ``target_name_<n>``);
- when the file sits in SimBA's project layout,
  ``<project>/csv/targets_inserted/<video>.csv`` next to
  ``<project>/project_config.ini``, that ini's ``[SML settings]``
  ``target_name_1`` .. ``target_name_<no_targets>``;
- else, with a warning naming them, the trailing run of columns written as
  integers 0/1. Features are written as floats, except SimBA's
  ``Low_prob_detections_*`` counts, which are never taken as behaviors.

A declared behavior (``behaviors=`` or the project config) without a column
is 0 (absent) on every frame the file scored (a 0 or 1 in any target column)
and -1 elsewhere, with a warning; a list naming no column at all is refused.
A frame missing from the file, or an empty cell, is -1 (not scored); frames
after the last row up to ``n_frames`` too.
"""

from __future__ import annotations

import configparser
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
    warn_fixup,
    wrap_errors,
)
from etholake.io.labels._frames import build_labels, session_length, with_declared_behaviors
from etholake.schema.labels import NOT_SCORED

FORMAT = "simba_targets"
POSE_SUFFIXES = ("_x", "_y", "_p")
FEATURE_PREFIXES = ("Low_prob_detections_",)
PROJECT_CONFIG = "project_config.ini"
TARGET_SECTION = "SML settings"
_SEARCHED_TRAILING_COLUMNS = 32


def looks_like_simba_targets(header: Sequence[str]) -> bool:
    """Whether a header row has SimBA's unnamed index column and ``_x``/``_y``/``_p`` pose triples."""
    if not header or header[0].strip():
        return False
    names = set(header[1:])
    return any(name.endswith("_x") and name[:-2] + "_y" in names and name[:-2] + "_p" in names for name in names)


def _is_pose_column(name: str) -> bool:
    return name.endswith(POSE_SUFFIXES)


def _is_binary_target(name: str, column: pd.Series) -> bool:
    return (
        not name.startswith(FEATURE_PREFIXES)
        and pd.api.types.is_integer_dtype(column.dtype)
        and bool(column.isin((0, 1)).all())
    )


def _trailing_binary_columns(path: Path, header: list[str]) -> list[str]:
    candidates = [name for name in header[-_SEARCHED_TRAILING_COLUMNS:] if name and not _is_pose_column(name)]
    with wrap_errors(path, "cannot read the SimBA table"):
        tail = pd.read_csv(path, usecols=candidates)
    found: list[str] = []
    for name in reversed(candidates):
        if not _is_binary_target(name, tail[name]):
            break
        found.insert(0, name)
    if not found:
        raise InputFileError(path, "no behavior columns (trailing integer 0/1 columns) found: pass behaviors=")
    if len(found) == len(candidates):
        raise InputFileError(path, f"the last {len(found)} columns are all 0/1: pass behaviors= to name the targets")
    warn_fixup(
        path,
        f"inferred {found} as the behavior columns (the trailing integer 0/1 columns); if that is wrong, "
        "pass behaviors= (SimBA's project_config.ini target_name_<n>)",
    )
    return found


def simba_project_config(path: Path) -> Path | None:
    """SimBA's ``project_config.ini`` when ``path`` is ``<project>/csv/targets_inserted/<video>.csv``, else None."""
    folder = path.resolve().parent
    config = folder.parent.parent / PROJECT_CONFIG
    if folder.name != "targets_inserted" or folder.parent.name != "csv" or not config.is_file():
        return None
    return config


def simba_project_targets(config: Path) -> list[str]:
    """Target names of a SimBA project: ``[SML settings]`` ``target_name_1`` .. ``target_name_<no_targets>``.

    Parameters
    ----------
    config
        The project's ``project_config.ini``.

    Returns
    -------
    list of str
        The names, in SimBA's order.

    Raises
    ------
    InputFileError
        Naming ``config``, when it cannot be parsed or does not list its targets.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(config, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as error:
        raise InputFileError(config, f"cannot read SimBA's project config: {error}") from error
    settings = parser[TARGET_SECTION] if parser.has_section(TARGET_SECTION) else {}
    count = settings.get("no_targets", "").strip()
    if not count:
        raise InputFileError(config, f"has no [{TARGET_SECTION}] no_targets: pass behaviors= to name the targets")
    if not count.isdigit() or int(count) == 0:
        raise InputFileError(
            config, f"[{TARGET_SECTION}] no_targets is {count!r}, not a whole number of targets of at least 1"
        )
    names = [settings.get(f"target_name_{n}", "").strip() for n in range(1, int(count) + 1)]
    unnamed = [n for n, name in enumerate(names, start=1) if not name]
    if unnamed:
        raise InputFileError(
            config, f"[{TARGET_SECTION}] has no target_name_{unnamed[0]} although no_targets is {count}"
        )
    return names


def _declared_targets(path: Path, header: list[str], names: list[str], source: str) -> list[str]:
    if not set(names) & set(header):
        raise InputFileError(
            path,
            f"none of the behaviors {names} ({source}) is a column of the file, so the list is wrong: give the "
            "names of its target columns (SimBA's project_config.ini target_name_<n>)",
        )
    return names


def _behavior_columns(path: Path, header: list[str], behaviors: Sequence[str] | None) -> list[str]:
    if behaviors is not None:
        return _declared_targets(path, header, list(behaviors), "given as behaviors=")
    config = simba_project_config(path)
    if config is not None:
        return _declared_targets(path, header, simba_project_targets(config), f"from {config}")
    return _trailing_binary_columns(path, header)


def read_simba_targets(
    path: str | Path,
    *,
    behaviors: Sequence[str] | None = None,
    fps: float | None = None,
    annotator: str | None = None,
    label_set: str | None = None,
    n_frames: int | None = None,
    clip: bool = False,
) -> xr.Dataset:
    """Read the behavior columns of a SimBA ``targets_inserted`` CSV.

    Parameters
    ----------
    path
        The ``targets_inserted`` CSV.
    behaviors
        Names of the target columns; when omitted, from the SimBA project's
        config or inferred (see module doc). A name without a column is 0 on
        the frames the file scored, -1 elsewhere.
    fps
        Video frame rate, for the ``time`` coordinate.
    annotator
        Who scored the video (``"unknown"`` if not given).
    label_set
        Name of the label set; defaults to ``"simba_targets"``.
    n_frames
        Session length in frames; frames after the last row are -1.
    clip
        Drop rows beyond ``n_frames`` with a warning instead of raising.

    Returns
    -------
    xarray.Dataset
        Canonical labels, one row per video frame from 0.
    """
    path = require_readable_file(path)
    rows = read_header_rows(path, 1)
    header = [cell.strip() for cell in rows[0]] if rows else []
    if not looks_like_simba_targets(header):
        raise InputFileError(
            path,
            "not a SimBA targets_inserted file: expected an unnamed first (frame) column and "
            "<bodypart>_x/_y/_p pose columns",
        )
    probabilities = [name for name in header if name.startswith("Probability_")]
    if probabilities:
        raise InputFileError(
            path,
            f"a SimBA machine results file (it has {', '.join(probabilities)}): its behavior columns are a "
            "classifier's predictions, not human labels; read the project's targets_inserted file instead",
        )
    require_whole_last_line(path, len(header))
    columns = _behavior_columns(path, header, behaviors)
    found = [name for name in columns if name in header]
    with wrap_errors(path, "cannot read the SimBA table"):
        table = pd.read_csv(path, usecols=[0, *(header.index(name) for name in found)], index_col=0)
    frames = pd.to_numeric(pd.Series(table.index), errors="coerce").to_numpy(dtype=np.float64)
    if not (np.all(np.isfinite(frames)) and np.all(frames == np.round(frames)) and np.all(frames >= 0)):
        raise InputFileError(path, "the first column must hold non-negative integer frame indices")
    frames = frames.astype(np.int64)
    if frames.size > 1 and np.any(np.diff(frames) <= 0):
        raise InputFileError(path, "frame indices in the first column must increase strictly")
    values = table[found].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isfinite(values) & ~np.isin(values, (0, 1))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise InputFileError(path, f"frame {frames[row]}: {found[column]} is {values[row, column]:g}, not 0 or 1")
    length = session_length(path, int(frames[-1]) + 1 if frames.size else 0, n_frames, clip)
    keep = frames < length
    found_label = np.full((length, len(found)), NOT_SCORED, dtype=np.int8)
    found_label[frames[keep]] = np.where(np.isfinite(values[keep]), values[keep], NOT_SCORED).astype(np.int8)
    return build_labels(
        path,
        with_declared_behaviors(path, found_label, found, columns),
        behaviors=columns,
        source_format=FORMAT,
        annotator=annotator,
        label_set=label_set or FORMAT,
        fps=fps,
    )
