"""Per-session behavior summaries from bouts (what the catalog stores for queries).

For each behavior: bout count, total and mean bout duration (s), percent of the
session, latency to the first bout (s from the first frame) and mean interval
between bouts (s from one bout's end to the next one's start).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from etholake.inference.bouts import bouts_from_mask
from etholake.schema.labels import PRESENT

SUMMARY_COLUMNS = (
    "behavior",
    "bout_count",
    "total_duration_s",
    "mean_duration_s",
    "percent_of_session",
    "latency_s",
    "mean_interval_s",
    "session_duration_s",
)


def behavior_summary(
    bouts: pd.DataFrame, behaviors: Sequence[str], *, session_start_s: float, session_duration_s: float
) -> pd.DataFrame:
    """Summarise bouts per behavior; behaviors with no bout get a zero row.

    Parameters
    ----------
    bouts
        Columns behavior, start_time, stop_time, duration (s).
    behaviors
        Every behavior the model scores (so absent ones are reported as 0 bouts).
    session_start_s
        Time of the first frame (latency is measured from it).
    session_duration_s
        Length of the session in seconds.

    Returns
    -------
    pandas.DataFrame
        One row per behavior, columns :data:`SUMMARY_COLUMNS`.
    """
    rows = []
    for behavior in behaviors:
        own = bouts[bouts["behavior"] == behavior].sort_values("start_time")
        durations = own["duration"].to_numpy(dtype=float)
        starts = own["start_time"].to_numpy(dtype=float)
        stops = own["stop_time"].to_numpy(dtype=float)
        intervals = starts[1:] - stops[:-1]
        rows.append(
            {
                "behavior": behavior,
                "bout_count": int(durations.size),
                "total_duration_s": float(durations.sum()),
                "mean_duration_s": float(durations.mean()) if durations.size else np.nan,
                "percent_of_session": 100.0 * float(durations.sum()) / session_duration_s
                if session_duration_s
                else 0.0,
                "latency_s": float(starts[0] - session_start_s) if starts.size else np.nan,
                "mean_interval_s": float(intervals.mean()) if intervals.size else np.nan,
                "session_duration_s": float(session_duration_s),
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def labels_summary(labels: xr.Dataset) -> pd.DataFrame | None:
    """Summarise one human label set like machine bouts: a bout is a run of frames labelled present.

    Frames labelled absent or not scored end a bout. The session is the span of
    the labelled frames.

    Parameters
    ----------
    labels
        A canonical labels dataset (``label`` (time, behavior) of 1 / 0 / -1).

    Returns
    -------
    pandas.DataFrame or None
        One row per behavior, columns :data:`SUMMARY_COLUMNS`; None when the
        label set has no frame rate (durations in seconds cannot be known), no
        behavior or no frame.
    """
    fps = labels.attrs.get("fps")
    times = np.asarray(labels["time"].values, dtype=np.float64)
    behaviors = [str(b) for b in labels["behavior"].values]
    if not fps or not behaviors or times.size == 0 or not np.isfinite(times).all():
        return None
    frames = np.asarray(labels["frame"].values, dtype=np.int64)
    present = np.asarray(labels["label"].transpose("time", "behavior").values) == PRESENT
    bouts = pd.concat(
        [
            bouts_from_mask(present[:, column], behavior=behavior, frames=frames, times=times, fps=float(fps))
            for column, behavior in enumerate(behaviors)
        ],
        ignore_index=True,
    )
    return behavior_summary(
        bouts,
        behaviors,
        session_start_s=float(times[0]),
        session_duration_s=float(times[-1] - times[0] + 1.0 / float(fps)),
    )
