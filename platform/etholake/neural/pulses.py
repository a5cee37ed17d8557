"""Reading TTL / sync pulse times and behavioral event times on one clock.

Sources: an NWB ``TimeSeries`` of event timestamps (``BehavioralEvents``, TTL series),
an NWB ``EventsTable`` (ndx-events / NWB core events, column ``timestamp``), a sampled
digital line stored as an NWB ``TimeSeries`` (edges extracted), a CSV column or a 1-D
``.npy`` array. Every reader returns sorted float64 seconds; unsorted or non-finite
input is repaired with a :class:`~etholake.neural.fixups.NeuralInputWarning`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import InputFileError
from etholake.neural.edges import extract_edges
from etholake.neural.fixups import sorted_event_times
from etholake.neural.nwb_files import find_nwb_object, open_nwb


def read_pulses(
    path: str | Path,
    name: str | None = None,
    *,
    polarity: str = "rising",
    select: tuple[str, object] | None = None,
) -> np.ndarray:
    """Read pulse or event times (s) from NWB, CSV or NPY.

    Parameters
    ----------
    path
        ``.nwb``, ``.csv`` or ``.npy`` file.
    name
        NWB: name or path of the series/table (``"lick_left_times"``,
        ``"acquisition/ttl"``); CSV: the column (default: ``time``, ``timestamp``
        or ``times``, else the only numeric column). Unused for NPY.
    polarity
        NWB series whose data mark edges with signs (+1 rising, -1 falling, or 1/0):
        ``"rising"`` keeps positive marks, ``"falling"`` the others, ``"both"`` all.
    select
        For tables: ``(column, value)`` keeping only matching rows (e.g. one TTL line).

    Returns
    -------
    numpy.ndarray
        Sorted event times in seconds on the clock of the file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".nwb":
        if name is None:
            raise InputFileError(path, "name the pulse series or events table to read")
        times = _read_nwb_events(path, name, polarity=polarity, select=select)
    elif suffix in (".csv", ".tsv"):
        times = _read_csv_events(path, name, select=select)
    elif suffix == ".npy":
        times = _read_npy_events(path)
    else:
        raise InputFileError(path, f"unknown pulse file type {suffix!r} (use .nwb, .csv or .npy)")
    return sorted_event_times(times, f"{path}{':' + name if name else ''}")


def read_nwb_event_series(path: str | Path, container: str) -> dict[str, np.ndarray]:
    """Read every event series of an NWB container (e.g. ``BehavioralEvents`` ``"lick_times"``).

    Returns
    -------
    dict
        Series name -> sorted event times (s).
    """
    with open_nwb(path) as nwbfile:
        obj = find_nwb_object(nwbfile, container, path)
        series = getattr(obj, "time_series", None)
        if not series:
            raise InputFileError(path, f"{container!r} is a {type(obj).__name__}, not a container of event series")
        raw = {key: _series_times(ts, path) for key, ts in series.items()}
    return {key: sorted_event_times(times, f"{path}:{container}/{key}") for key, times in raw.items()}


def read_nwb_digital_line(
    path: str | Path,
    name: str,
    *,
    threshold: float | None = None,
    polarity: str = "rising",
    debounce: float = 0.0,
    bit: int | None = None,
) -> np.ndarray:
    """Edge times of a sampled digital line stored as an NWB ``TimeSeries``.

    See :func:`etholake.neural.edges.extract_edges` for the parameters.
    """
    with open_nwb(path) as nwbfile:
        ts = find_nwb_object(nwbfile, name, path)
        if not hasattr(ts, "data") or not hasattr(ts, "rate"):
            raise InputFileError(path, f"{name!r} is a {type(ts).__name__}, not a TimeSeries")
        signal = np.asarray(ts.data[:])
        if signal.ndim != 1:
            raise InputFileError(path, f"{name!r} has shape {signal.shape}; a digital line is 1-D")
        if ts.timestamps is not None:
            sample_times = np.asarray(ts.timestamps[:], dtype=np.float64)
        else:
            sample_times = (ts.starting_time or 0.0) + np.arange(signal.size) / float(ts.rate)
    return extract_edges(signal, times=sample_times, threshold=threshold, polarity=polarity, debounce=debounce, bit=bit)


def _read_nwb_events(path: Path, name: str, *, polarity: str, select: tuple[str, object] | None) -> np.ndarray:
    with open_nwb(path) as nwbfile:
        obj = find_nwb_object(nwbfile, name, path)
        if hasattr(obj, "colnames"):
            frame = obj.to_dataframe()
            column = next((c for c in ("timestamp", "start_time", "time") if c in frame.columns), None)
            if column is None:
                raise InputFileError(path, f"table {name!r} has no timestamp column (columns: {list(frame.columns)})")
            if select is not None:
                frame = frame[frame[select[0]] == select[1]]
            return frame[column].to_numpy(dtype=np.float64)
        if not hasattr(obj, "data"):
            raise InputFileError(path, f"{name!r} is a {type(obj).__name__}, not an event series or table")
        times = _series_times(obj, path)
        marks = np.asarray(obj.data[:])
        if polarity != "both" and marks.ndim == 1 and marks.size == times.size and marks.dtype.kind in "iuf":
            signed = np.any(marks < 0) or (np.any(marks == 0) and np.any(marks > 0))
            if signed:
                times = times[marks > 0] if polarity == "rising" else times[marks <= 0]
        return times


def _series_times(ts, path: Path) -> np.ndarray:
    if ts.timestamps is not None:
        return np.asarray(ts.timestamps[:], dtype=np.float64)
    n_samples = len(ts.data)
    return (ts.starting_time or 0.0) + np.arange(n_samples) / float(ts.rate)


def _read_csv_events(path: Path, column: str | None, *, select: tuple[str, object] | None) -> np.ndarray:
    try:
        frame = pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(path, f"cannot read as CSV ({exc})") from exc
    if select is not None:
        if select[0] not in frame.columns:
            raise InputFileError(path, f"no column {select[0]!r} to select rows by")
        frame = frame[frame[select[0]] == select[1]]
    if column is None:
        column = next((c for c in ("time", "timestamp", "times", "t") if c in frame.columns), None)
    if column is None:
        numeric = frame.select_dtypes("number").columns
        if len(numeric) != 1:
            raise InputFileError(path, f"name the time column; numeric columns: {list(numeric)}")
        column = numeric[0]
    if column not in frame.columns:
        raise InputFileError(path, f"no column {column!r} (columns: {list(frame.columns)})")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
    return values


def _read_npy_events(path: Path) -> np.ndarray:
    try:
        values = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InputFileError(path, f"not a readable .npy array ({exc})") from exc
    if values.ndim != 1 or values.dtype.kind not in "iuf":
        raise InputFileError(path, f"expected a 1-D numeric array of times, got {values.dtype} {values.shape}")
    return values.astype(np.float64)
