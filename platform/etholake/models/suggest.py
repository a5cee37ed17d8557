"""Active learning: which stretches of video are most worth labelling next.

Each session is cut into consecutive segments of ``segment_frames`` frames. A segment's score is
the mean over its frames of

* closeness to the threshold, ``1 - |p - threshold| / max(threshold, 1 - threshold)`` (1 at the
  threshold, 0 at a certain 0 or 1), plus
* disagreement between cross-validation fold models, twice the standard deviation of their
  probabilities (when given).

Segments containing already-labelled frames, or with no finite probability, are skipped. Picks are
spread across sessions: every session's best segment first, then every session's second best, and so on.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import ExportError
from etholake.output_files import output_path, write_table

TASK_COLUMNS = (
    "session",
    "video",
    "behavior",
    "start_frame",
    "stop_frame",
    "start_time",
    "stop_time",
    "score",
    "mean_probability",
    "disagreement",
    "reason",
)

BORIS_COLUMNS = (
    "Observation id",
    "Media file",
    "FPS",
    "Subject",
    "Behavior",
    "Behavioral category",
    "Behavior type",
    "Start (s)",
    "Stop (s)",
    "Duration (s)",
    "Comment start",
    "Comment stop",
)


def _segment_means(values: np.ndarray, segment_frames: int) -> np.ndarray:
    """Mean of the finite values in each consecutive segment (NaN where none)."""
    n_segments = int(np.ceil(values.size / segment_frames))
    padded = np.full(n_segments * segment_frames, np.nan)
    padded[: values.size] = values
    blocks = padded.reshape(n_segments, segment_frames)
    finite = np.isfinite(blocks)
    counts = finite.sum(axis=1)
    sums = np.where(finite, blocks, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _session_segments(
    session: str,
    probability: np.ndarray,
    *,
    threshold: float,
    fold_probability: np.ndarray | None,
    labelled: np.ndarray | None,
    frames: np.ndarray,
    fps: float | None,
    segment_frames: int,
) -> pd.DataFrame:
    closeness = 1.0 - np.abs(probability - threshold) / max(threshold, 1.0 - threshold)
    disagreement = (
        2.0 * np.nanstd(fold_probability, axis=0)
        if fold_probability is not None and fold_probability.shape[0] > 1
        else np.zeros_like(probability)
    )
    disagreement = np.where(np.isfinite(probability), disagreement, np.nan)
    mean_closeness = _segment_means(closeness, segment_frames)
    mean_disagreement = _segment_means(disagreement, segment_frames)
    starts = np.arange(mean_closeness.size) * segment_frames
    stops = np.minimum(starts + segment_frames, probability.size) - 1
    usable = np.isfinite(mean_closeness)
    if labelled is not None:
        labelled_count = np.concatenate(([0], np.cumsum(np.asarray(labelled, dtype=bool))))
        usable &= labelled_count[stops + 1] - labelled_count[starts] == 0
    score = mean_closeness + np.nan_to_num(mean_disagreement)
    frame_duration = 1.0 / fps if fps else np.nan
    table = pd.DataFrame(
        {
            "session": session,
            "start_frame": frames[starts],
            "stop_frame": frames[stops],
            "start_time": frames[starts] * frame_duration,
            "stop_time": (frames[stops] + 1) * frame_duration,
            "score": score,
            "mean_probability": _segment_means(probability, segment_frames),
            "disagreement": mean_disagreement,
            "reason": np.where(
                np.nan_to_num(mean_disagreement) > 1.0 - mean_closeness, "fold disagreement", "near threshold"
            ),
        }
    )[usable]
    table = table.sort_values("score", ascending=False, kind="stable")
    table["rank_in_session"] = np.arange(len(table))
    return table


def suggest_labels(
    probability: Mapping[str, np.ndarray],
    *,
    behavior: str,
    threshold: float,
    fold_probability: Mapping[str, np.ndarray] | None = None,
    labelled: Mapping[str, np.ndarray] | None = None,
    frames: Mapping[str, np.ndarray] | None = None,
    fps: Mapping[str, float] | float | None = None,
    videos: Mapping[str, str] | None = None,
    n_tasks: int = 20,
    segment_frames: int = 30,
) -> pd.DataFrame:
    """Pick the video segments most worth labelling next.

    Parameters
    ----------
    probability
        Per session, the model's per-frame probability (time,) of ``behavior``; NaN = no prediction.
    behavior
        The behavior concerned.
    threshold
        The model's decision threshold.
    fold_probability
        Per session, the (fold, time) probabilities of the cross-validation fold models.
    labelled
        Per session, a (time,) mask of frames already labelled; segments touching them are skipped.
    frames
        Per session, the video frame index of each row (default 0, 1, 2, ...).
    fps
        Frame rate (one for all sessions, or per session); without it the time columns are NaN.
    videos
        Per session, the video file to open (written into the task list).
    n_tasks
        Number of segments to return.
    segment_frames
        Length of a segment in frames.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TASK_COLUMNS`, best first within each round over the sessions;
        ``stop_frame`` is inclusive and ``stop_time`` the end of its frame. When no segment
        qualifies, the table is empty and a warning says how much is labelled already.
    """
    tables = []
    for session, values in probability.items():
        values = np.asarray(values, dtype=np.float64)
        session_fps = fps.get(session) if isinstance(fps, Mapping) else fps
        tables.append(
            _session_segments(
                session,
                values,
                threshold=threshold,
                fold_probability=None if fold_probability is None else np.asarray(fold_probability[session]),
                labelled=None if labelled is None else labelled.get(session),
                frames=np.arange(values.size) if frames is None else np.asarray(frames[session]),
                fps=session_fps,
                segment_frames=segment_frames,
            )
        )
    candidates = pd.concat(tables, ignore_index=True)
    if candidates.empty:
        _warn_nothing_to_suggest(probability, labelled or {}, behavior, segment_frames)
    chosen = candidates.sort_values(["rank_in_session", "score"], ascending=[True, False], kind="stable")
    chosen = chosen.head(n_tasks).reset_index(drop=True)
    chosen["behavior"] = behavior
    chosen["video"] = [(videos or {}).get(s, "") for s in chosen["session"]]
    return chosen[list(TASK_COLUMNS)]


def _warn_nothing_to_suggest(
    probability: Mapping[str, np.ndarray], labelled: Mapping[str, np.ndarray], behavior: str, segment_frames: int
) -> None:
    n_frames = sum(np.asarray(values).size for values in probability.values())
    n_labelled = sum(int(np.asarray(labelled[s], dtype=bool).sum()) for s in probability if s in labelled)
    warnings.warn(
        f"no segment to suggest for {behavior!r}: {n_labelled:,} of the {n_frames:,} frames of the "
        f"{len(probability)} session(s) are labelled, and every {segment_frames}-frame segment holds a labelled "
        "frame or no prediction; annotate sessions that have no labels yet to get suggestions",
        stacklevel=3,
    )


def write_task_list(tasks: pd.DataFrame, path: str | Path, kind: str = "csv") -> Path:
    """Write a labelling task list.

    Parameters
    ----------
    tasks
        Output of :func:`suggest_labels`.
    path
        File to write.
    kind
        ``"csv"`` (the task table as is) or ``"boris"``: one row per segment in the layout of
        BORIS's aggregated-events table (observation id, media file, behavior, start/stop in
        seconds), so the segments open as state events to review in BORIS. A ``.tsv`` file
        is tab-separated, any other comma-separated.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    if kind not in ("csv", "boris"):
        raise ExportError(f"task list kind must be 'csv' or 'boris', got {kind!r}")
    path = output_path(path)
    if kind == "csv":
        write_table(tasks, path)
        return path
    duration = tasks["stop_time"] - tasks["start_time"]
    fps = (tasks["stop_frame"] - tasks["start_frame"] + 1) / duration
    table = pd.DataFrame(
        {
            "Observation id": tasks["session"],
            "Media file": tasks["video"],
            "FPS": fps.round(3),
            "Subject": "",
            "Behavior": tasks["behavior"],
            "Behavioral category": "to label",
            "Behavior type": "STATE",
            "Start (s)": tasks["start_time"].round(3),
            "Stop (s)": tasks["stop_time"].round(3),
            "Duration (s)": duration.round(3),
            "Comment start": [f"{r}; score {s:.2f}" for r, s in zip(tasks["reason"], tasks["score"], strict=True)],
            "Comment stop": "",
        },
        columns=list(BORIS_COLUMNS),
    )
    write_table(table, path)
    return path
