"""Reading camera frame timestamps (hardware and software clocks) and frame counters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import InputFileError
from etholake.neural.fixups import warn_fixup

CAMERA_CYCLE_SECONDS = 128.0


def decode_camera_cycle_timestamps(values: np.ndarray) -> np.ndarray:
    """Seconds from FLIR/PointGrey embedded 32-bit cycle timestamps, unwrapped every 128 s.

    The word packs seconds (7 bits), cycle count (13 bits, 8,000 per second) and cycle
    offset (12 bits, 3,072 per cycle).
    """
    values = np.asarray(values, dtype=np.int64)
    seconds = (values >> 25) & 0x7F
    cycles = (values >> 12) & 0x1FFF
    offset = values & 0xFFF
    wrapped = seconds + (cycles + offset / 3072.0) / 8000.0
    wraps = np.concatenate([[0], np.cumsum(np.diff(wrapped) < 0)])
    return wrapped + wraps * CAMERA_CYCLE_SECONDS


def read_bonsai_camera_timestamps(path: str | Path) -> pd.DataFrame:
    """Read an IBL/Bonsai ``*.timestamps.ssv``: one frame a row, software ISO time and camera word.

    Returns
    -------
    pandas.DataFrame
        ``frame`` (row index), ``software_time`` (s since the first frame, acquisition-PC clock)
        and ``hardware_time`` (s since the first frame, camera clock, unwrapped).
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, usecols=[0, 1], names=["iso", "camera"], dtype=str)
        stamps = pd.to_datetime(raw["iso"], format="ISO8601", utc=True)
        camera = raw["camera"].astype(np.int64).to_numpy()
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(
            path, f"not a Bonsai timestamps file: ISO datetime and camera word per row ({exc})"
        ) from exc
    nanoseconds = stamps.astype("int64").to_numpy()
    software = (nanoseconds - nanoseconds[0]) / 1e9
    hardware = decode_camera_cycle_timestamps(camera)
    return pd.DataFrame(
        {"frame": np.arange(len(raw)), "software_time": software, "hardware_time": hardware - hardware[0]}
    )


def read_frame_times(path: str | Path, column: str | None = None) -> np.ndarray:
    """Read per-frame timestamps (s) from a CSV column or a 1-D ``.npy``/raw float64 ``.bin`` file.

    Frame times are not sorted here (their order is the frame order); backward steps are
    reported with a warning.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            values = np.load(path, allow_pickle=False)
        elif suffix == ".bin":
            values = np.fromfile(path, dtype=np.float64)
        else:
            frame = pd.read_csv(path, sep=None, engine="python")
            column = column or next((c for c in ("time", "timestamp", "frame_time") if c in frame.columns), None)
            if column is None or column not in frame.columns:
                raise InputFileError(path, f"name the frame-time column (columns: {list(frame.columns)})")
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy()
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(path, f"cannot read frame times ({exc})") from exc
    values = np.asarray(values, dtype=np.float64).ravel()
    if np.any(np.diff(values) <= 0):
        warn_fixup(f"{path}: {int(np.sum(np.diff(values) <= 0))} frame times do not increase; kept in frame order")
    return values


def read_frame_counter(path: str | Path) -> np.ndarray:
    """Read an embedded hardware frame counter (raw float64 ``.bin`` as IBL writes, or ``.npy``) as int64."""
    values = read_frame_times(path) if Path(path).suffix.lower() != ".csv" else read_frame_times(path, "frame")
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
        raise InputFileError(path, "frame counter values must be finite integers")
    return values.astype(np.int64)
