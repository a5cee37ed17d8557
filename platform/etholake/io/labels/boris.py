"""BORIS tabular events exports, CSV or TSV (format name ``boris``).

Two layouts are read, matched by column name (never by position):

- BORIS 8 (``Observations > Export events > Tabular events``): one header row,
  ``Observation id, Observation date, Description, [Observation duration,]
  Observation type, Source, Time offset (s), Media duration (s), FPS,
  [independent variables,] Subject, Behavior, Behavioral category,
  [Modifier #1, ...,] Behavior type, Time, Media file name, Image index,
  Image file path, Comment``. ``Behavior type`` is START, STOP or POINT;
  ``Image index`` is the 0-based video frame of the event (mpv's frame number).
- BORIS 7 and earlier: the same events with a ``Status`` column instead of
  ``Behavior type``, ``Media file``/``Media file path`` and ``Total length``,
  optionally after a block of ``key,value`` metadata rows (the header row is
  the first that names ``Behavior``, ``Time`` and the status column).

Frames and intervals:

- an event's frame is its ``Image index`` when every selected event has one,
  else ``round((Time - Time offset) * fps)``; BORIS writes times with 3
  decimals, so rounding (not truncation) recovers the frame exactly up to
  500 fps;
- a state event (START ... STOP, paired in time order per behavior and
  modifiers) covers frames ``[start, stop)``, at least the start frame; a
  POINT event covers its one frame;
- the observation is scored throughout: frames outside every event are 0
  (absent), up to ``n_frames``, or the media duration times fps, or the last
  event. No frame is -1.

``fps`` comes from the ``FPS`` column (BORIS rounds it to 3 decimals) unless
given. Several subjects in one file are several label sets: pick one with
``subject=`` (kept as the ``subject`` attribute). One observation per file.
Modifiers are not kept as separate behaviors.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import require_readable_file, require_whole_last_line, warn_fixup, wrap_errors
from etholake.io.labels._frames import (
    build_labels,
    clip_intervals,
    data_lines,
    label_values,
    paint_intervals,
    resolve_behaviors,
    session_length,
)

FORMAT = "boris"
STATUS_COLUMNS = ("Behavior type", "Status")
DURATION_COLUMNS = ("Media duration (s)", "Total length")
NO_FOCAL_SUBJECT = "No focal subject"
EVENT_KINDS = ("START", "STOP", "POINT")
_HEADER_SEARCH_ROWS = 200


def _delimiter(path: Path, first_line: str) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    return "\t" if first_line.count("\t") > first_line.count(",") else ","


def find_header(path: str | Path, text: str) -> tuple[int, str, dict[str, str]] | None:
    """Locate the events header of a BORIS export.

    Returns
    -------
    tuple or None
        (row index of the header, delimiter, ``key -> value`` of the metadata
        rows above it), or None if no row names ``Behavior``, ``Time`` and a
        status column.
    """
    lines = text.splitlines()
    if not lines:
        return None
    delimiter = _delimiter(Path(path), lines[0])
    rows = csv.reader(lines[:_HEADER_SEARCH_ROWS], delimiter=delimiter)
    metadata: dict[str, str] = {}
    for index, row in enumerate(rows):
        cells = {cell.strip() for cell in row}
        if {"Behavior", "Time"} <= cells and cells & set(STATUS_COLUMNS):
            return index, delimiter, metadata
        if len(row) >= 2:
            metadata[row[0].strip()] = row[1].strip()
    return None


def _read_table(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """The events table, indexed by the file line of each event, and the metadata rows above its header."""
    text = path.read_text(encoding="utf-8-sig")
    found = find_header(path, text)
    if found is None:
        raise InputFileError(
            path,
            "not a BORIS tabular events export: no header row naming 'Behavior', 'Time' and "
            "'Behavior type' (BORIS 8) or 'Status' (BORIS 7)",
        )
    header_row, delimiter, metadata = found
    header = next(csv.reader([text.splitlines()[header_row]], delimiter=delimiter))
    require_whole_last_line(path, len(header), delimiter)
    with wrap_errors(path, "cannot read the BORIS events table"):
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            skiprows=header_row,
            dtype=str,
            keep_default_na=False,
        )
        table.index = data_lines(path, header_row + 1, delimiter)
    table.columns = [str(column).strip() for column in table.columns]
    if table.empty:
        raise InputFileError(path, "the BORIS export holds no events")
    return table, metadata


def _seconds(path: Path, table: pd.DataFrame) -> np.ndarray:
    """Event times in seconds, written as seconds (``62.5``) or, with BORIS's hh:mm:ss setting, ``0:01:02.500``."""
    text = table["Time"].str.strip()
    parts = text.str.split(":", expand=True).reindex(columns=range(3))
    parts = parts.apply(lambda column: pd.to_numeric(column, errors="coerce")).to_numpy(dtype=np.float64)
    n_parts = text.str.count(":").to_numpy() + 1
    clock = np.nan_to_num(parts[:, 0]) * 3600 + np.nan_to_num(parts[:, 1]) * 60 + parts[:, 2]
    values = np.where(n_parts == 1, parts[:, 0], np.where(n_parts == 3, clock, np.nan))
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise InputFileError(path, f"line {table.index[bad[0]]}: Time {text.iloc[bad[0]]!r} is not a time in seconds")
    return values


def _single_value(path: Path, table: pd.DataFrame, column: str, what: str) -> str | None:
    if column not in table.columns:
        return None
    values = sorted(set(table[column].str.strip()))
    if len(values) > 1:
        raise InputFileError(path, f"holds several {what} ({', '.join(values[:5])}); export one per file")
    return values[0]


def _as_float(text: str | None) -> float | None:
    try:
        value = float(text) if text not in (None, "", "NA") else None
    except ValueError:
        return None
    return value if value is not None and np.isfinite(value) and value > 0 else None


def _resolve_fps(path: Path, table: pd.DataFrame, fps: float | None) -> float | None:
    file_fps = _as_float(_single_value(path, table, "FPS", "FPS values (several media files?)"))
    if fps is None:
        return file_fps
    if file_fps is not None and abs(file_fps - fps) > 1e-3 * max(1.0, fps):
        warn_fixup(path, f"fps={fps} given overrides the FPS column ({file_fps})")
    return float(fps)


def _select_subject(path: Path, table: pd.DataFrame, subject: str | None) -> tuple[pd.DataFrame, str]:
    if "Subject" not in table.columns:
        if subject is not None:
            raise InputFileError(path, f"has no Subject column to select subject {subject!r} from")
        return table, ""
    names = table["Subject"].str.strip().replace("", NO_FOCAL_SUBJECT)
    subjects = list(dict.fromkeys(names))
    if subject is None:
        if len(subjects) > 1:
            raise InputFileError(path, f"holds subjects {subjects}: pass subject= to read one of them")
        return table, subjects[0]
    if subject not in subjects:
        raise InputFileError(path, f"has no subject {subject!r} (subjects: {subjects})")
    return table[(names == subject).to_numpy()], subject


def _event_frames(path: Path, table: pd.DataFrame, times: np.ndarray, fps: float | None, offset: float) -> np.ndarray:
    if "Image index" in table.columns:
        index = pd.to_numeric(table["Image index"].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        if np.all(np.isfinite(index)) and np.all(index >= 0) and np.all(index == np.round(index)):
            return index.astype(np.int64)
    if fps is None:
        raise InputFileError(path, "events have no frame index and the FPS is unknown: pass fps=")
    frames = np.round((times - offset) * fps).astype(np.int64)
    negative = np.flatnonzero(frames < 0)
    if negative.size:
        raise InputFileError(path, f"line {table.index[negative[0]]}: event before the start of the media")
    return frames


def _pair_states(
    path: Path, keys: np.ndarray, kinds: np.ndarray, frames: np.ndarray, times: np.ndarray, lines: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair START/STOP events per key in time order; return (key row, start frame, stop frame) of each bout."""
    state = kinds != "POINT"
    key_names, key_codes = np.unique(keys, return_inverse=True)
    order = np.lexsort((lines, times, key_codes))
    order = order[state[order]]
    rows, starts, stops = [], [], []
    for code in np.unique(key_codes[order]):
        key = key_names[code]
        events = order[key_codes[order] == code]
        expected = np.where(np.arange(events.size) % 2 == 0, "START", "STOP")
        wrong = np.flatnonzero(kinds[events] != expected)
        if wrong.size:
            event = events[wrong[0]]
            if kinds[event] == "START":
                opened = events[wrong[0] - 1]
                problem = f"START of {key} at {times[event]:.3f} s while the START at {times[opened]:.3f} s is open"
            else:
                problem = f"STOP of {key} at {times[event]:.3f} s without a START"
            raise InputFileError(path, f"line {lines[event]}: {problem}")
        if events.size % 2:
            event = events[-1]
            raise InputFileError(
                path, f"line {lines[event]}: START of {key} at {times[event]:.3f} s has no matching STOP"
            )
        rows.append(events[0::2])
        starts.append(frames[events[0::2]])
        stops.append(np.maximum(frames[events[1::2]], frames[events[0::2]] + 1))
    empty = np.zeros(0, dtype=np.int64)
    return (
        np.concatenate(rows) if rows else empty,
        np.concatenate(starts) if starts else empty,
        np.concatenate(stops) if stops else empty,
    )


def _offset(path: Path, column_value: str | None, metadata: dict[str, str]) -> float:
    text = column_value or metadata.get("Time offset (s)") or ""
    if text in ("", "NA"):
        return 0.0
    try:
        return float(text)
    except ValueError as error:
        raise InputFileError(path, f"Time offset (s) {text!r} is not a number") from error


def _intervals(
    path: Path,
    table: pd.DataFrame,
    names: np.ndarray,
    kinds: np.ndarray,
    frames: np.ndarray,
    times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(event row, start frame, stop frame) of every bout and point event; states pair per behavior and modifiers."""
    modifier_columns = [column for column in table.columns if column.startswith("Modifier")]
    keys = names
    if modifier_columns:
        modifiers = table[modifier_columns].agg("|".join, axis=1).str.strip("|").to_numpy(dtype=object)
        keys = np.where(modifiers != "", names + " (" + modifiers + ")", names)
    lines = table.index.to_numpy()
    bout_rows, bout_starts, bout_stops = _pair_states(path, keys, kinds, frames, times, lines)
    points = np.flatnonzero(kinds == "POINT")
    return (
        np.concatenate([bout_rows, points]),
        np.concatenate([bout_starts, frames[points]]),
        np.concatenate([bout_stops, frames[points] + 1]),
    )


def read_boris(
    path: str | Path,
    *,
    fps: float | None = None,
    subject: str | None = None,
    annotator: str | None = None,
    label_set: str | None = None,
    n_frames: int | None = None,
    behaviors: Sequence[str] | None = None,
    clip: bool = False,
) -> xr.Dataset:
    """Read a BORIS tabular events export (CSV or TSV, BORIS 7 or 8) as per-frame labels.

    Parameters
    ----------
    path
        The exported ``.csv`` or ``.tsv`` file.
    fps
        Video frame rate; defaults to the file's ``FPS`` column.
    subject
        Subject whose events to read; required when the file has several.
    annotator
        Who scored the video (``"unknown"`` if not given).
    label_set
        Name of the label set; defaults to ``"boris"``.
    n_frames
        Session length in frames; defaults to the media duration times fps.
    behaviors
        The full ethogram: behaviors never coded get an all-0 column.
    clip
        Drop events beyond ``n_frames`` with a warning instead of raising.

    Returns
    -------
    xarray.Dataset
        Canonical labels, with ``subject`` and ``observation_id`` attributes.

    Raises
    ------
    InputFileError
        Not a BORIS export, unparseable times, unmatched START or STOP, several
        observations or (without ``subject=``) several subjects, unknown fps.
    """
    path = require_readable_file(path)
    with wrap_errors(path, "cannot read the BORIS export"):
        table, metadata = _read_table(path)
    status = next(column for column in STATUS_COLUMNS if column in table.columns)
    table, subject_name = _select_subject(path, table, subject)
    observation = _single_value(path, table, "Observation id", "observations") or metadata.get("Observation id", "")
    kinds = table[status].str.strip().str.upper().to_numpy(dtype=object)
    unknown = np.flatnonzero(~np.isin(kinds, EVENT_KINDS))
    if unknown.size:
        raise InputFileError(
            path, f"line {table.index[unknown[0]]}: {status} {kinds[unknown[0]]!r} is not START, STOP or POINT"
        )
    times = _seconds(path, table)
    fps = _resolve_fps(path, table, fps)
    offset = _offset(path, _single_value(path, table, "Time offset (s)", "time offsets"), metadata)
    frames = _event_frames(path, table, times, fps, offset)

    names = table["Behavior"].str.strip().to_numpy(dtype=object)
    rows, starts, stops = _intervals(path, table, names, kinds, frames, times)

    duration_column = next((column for column in DURATION_COLUMNS if column in table.columns), None)
    duration = _as_float(_single_value(path, table, duration_column, "media durations")) if duration_column else None
    if n_frames is None and duration is not None and fps is not None:
        n_frames = round(duration * fps)
    needed = int(stops.max()) if stops.size else 0
    if n_frames is None:
        missing = "media duration" if duration is None else "fps to count its media duration in frames"
        warn_fixup(
            path,
            f"states no {missing}, so the labels end with the last event (frame {needed - 1}); "
            "pass n_frames= for the whole session",
        )
    length = session_length(path, needed, n_frames, clip)
    starts, stops, rows = clip_intervals(starts, stops, length, rows)

    found = list(dict.fromkeys(names))
    columns = resolve_behaviors(path, found, behaviors)
    index = {name: i for i, name in enumerate(columns)}
    behavior_index = np.array([index[name] for name in names[rows]], dtype=np.intp)
    present = paint_intervals(length, len(columns), behavior_index, starts, stops)
    return build_labels(
        path,
        label_values(present, np.ones(length, dtype=bool)),
        behaviors=columns,
        source_format=FORMAT,
        annotator=annotator,
        label_set=label_set or FORMAT,
        fps=fps,
        extra_attrs={"subject": subject_name, "observation_id": observation},
    )
