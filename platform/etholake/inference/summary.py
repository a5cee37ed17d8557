"""Per-session behavior summaries from bouts (what the catalog stores for queries).

For each behavior: bout count, total and mean bout duration (s), percent of the
session, latency to the first bout (s from the first frame) and mean interval
between bouts (s from one bout's end to the next one's start).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

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
