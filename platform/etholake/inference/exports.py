"""Tables other tools read: SimBA's machine results and descriptive statistics, BORIS events.

* :func:`simba_machine_results`: one row per frame, SimBA's pose columns
  (``<bodypart>_<animal number>_x/_y/_p``) then ``Probability_<behavior>`` and
  ``<behavior>`` (0/1), as SimBA's ``csv/machine_results`` files.
* :func:`simba_data_summary`: SimBA's "descriptive statistics" (event count,
  first occurrence, mean/median event duration and interval, total duration
  in s and % of session), one row per video.
* :func:`simba_detailed_bouts`: SimBA's detailed bout table.
* :func:`boris_events`: a BORIS 8 tabular events export (START/STOP rows), which
  BORIS and etholake's own BORIS reader import.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr


def simba_machine_results(pose: xr.Dataset, annotations: xr.Dataset) -> pd.DataFrame:
    """SimBA ``machine_results`` table of one session (pose on the annotations' frames)."""
    frames = annotations["frame"].values
    pose = pose.set_xindex("frame").sel(frame=frames) if "frame" in pose.coords else pose
    columns: dict[str, np.ndarray] = {}
    individuals = [str(i) for i in pose["individual"].values]
    for number, individual in enumerate(individuals, start=1):
        for keypoint in [str(k) for k in pose["keypoint"].values]:
            position = pose["position"].sel(keypoint=keypoint, individual=individual).values
            columns[f"{keypoint}_{number}_x"] = position[:, 0]
            columns[f"{keypoint}_{number}_y"] = position[:, 1]
            columns[f"{keypoint}_{number}_p"] = pose["confidence"].sel(keypoint=keypoint, individual=individual).values
    for behavior in [str(b) for b in annotations["behavior"].values]:
        probability = annotations["probability"].sel(behavior=behavior).values
        columns[f"Probability_{behavior}"] = np.round(probability.astype(np.float64), 6)
        columns[behavior] = annotations["predicted"].sel(behavior=behavior).values.astype(np.int8)
    return pd.DataFrame(columns, index=pd.Index(frames, name=""))


def simba_data_summary(
    bouts: pd.DataFrame, behaviors: list[str], video: str, session_duration_s: float
) -> pd.DataFrame:
    """SimBA's descriptive statistics of one video (one row)."""
    row: dict[str, object] = {"VIDEO": video}
    for behavior in behaviors:
        own = bouts[bouts["behavior"] == behavior].sort_values("start_time")
        durations = own["duration"].to_numpy(dtype=float)
        intervals = own["start_time"].to_numpy(dtype=float)[1:] - own["stop_time"].to_numpy(dtype=float)[:-1]
        row[f"{behavior} - Event count"] = float(durations.size)
        row[f"{behavior} - First occurrence (s)"] = float(own["start_time"].iloc[0]) if durations.size else np.nan
        row[f"{behavior} - Mean event duration (s)"] = float(durations.mean()) if durations.size else 0.0
        row[f"{behavior} - Mean event interval (s)"] = float(intervals.mean()) if intervals.size else np.nan
        row[f"{behavior} - Median event duration (s)"] = float(np.median(durations)) if durations.size else 0.0
        row[f"{behavior} - Median event interval (s)"] = float(np.median(intervals)) if intervals.size else np.nan
        total = float(durations.sum())
        row[f"{behavior} - Total event duration (% of session)"] = 100 * total / session_duration_s
        row[f"{behavior} - Total event duration (s)"] = total
    return pd.DataFrame([row]).round(3)


BOUT_TIME_COLUMNS = ("start_time", "stop_time", "duration")


def bouts_table(bouts: pd.DataFrame) -> pd.DataFrame:
    """etholake's bouts table as written to CSV: times and durations rounded to the nanosecond.

    Times are frame times plus one frame duration; their differences carry float
    noise (``1.7999999999999998`` for 54 frames at 30 fps) that the nanosecond drops.
    """
    return bouts.round(dict.fromkeys(BOUT_TIME_COLUMNS, 9))


def simba_detailed_bouts(bouts: pd.DataFrame, video: str) -> pd.DataFrame:
    """SimBA's detailed bout table (``End_frame`` inclusive, as SimBA writes it; times to the nanosecond)."""
    ordered = bouts_table(bouts).sort_values(["behavior", "start_frame"])
    return pd.DataFrame(
        {
            "Video": video,
            "Event": ordered["behavior"].to_numpy(),
            "Start_time": ordered["start_time"].to_numpy(),
            "End Time": ordered["stop_time"].to_numpy(),
            "Start_frame": ordered["start_frame"].to_numpy(),
            "End_frame": ordered["stop_frame"].to_numpy(),
            "Bout_time": ordered["duration"].to_numpy(),
        }
    )


def boris_events(
    bouts: pd.DataFrame,
    *,
    observation: str,
    media_file: str,
    fps: float,
    media_duration_s: float,
    subject: str = "",
    description: str = "etholake machine annotations",
) -> pd.DataFrame:
    """A BORIS 8 tabular events export of the bouts: a START and a STOP row per bout, in time order."""
    ordered = bouts.sort_values(["start_time", "behavior"])
    n = len(ordered)
    stop_frame = ordered["stop_frame"].to_numpy() + 1
    events = pd.DataFrame(
        {
            "Time": np.concatenate([ordered["start_time"].to_numpy(), ordered["stop_time"].to_numpy()]),
            "Behavior": np.concatenate([ordered["behavior"].to_numpy()] * 2),
            "Behavior type": ["START"] * n + ["STOP"] * n,
            "Image index": np.concatenate([ordered["start_frame"].to_numpy(), stop_frame]),
        }
    ).sort_values(["Time", "Behavior type"], kind="stable")
    return pd.DataFrame(
        {
            "Observation id": observation,
            "Observation date": "",
            "Description": description,
            "Observation type": "Media file(s)",
            "Source": f"player #1:{media_file}",
            "Time offset (s)": 0.0,
            "Media duration (s)": round(media_duration_s, 3),
            "FPS": fps,
            "Subject": subject,
            "Behavior": events["Behavior"].to_numpy(),
            "Behavioral category": "",
            "Behavior type": events["Behavior type"].to_numpy(),
            "Time": np.round(events["Time"].to_numpy(dtype=float), 3),
            "Media file name": media_file,
            "Image index": events["Image index"].to_numpy(),
            "Image file path": "",
            "Comment": "",
        }
    )
