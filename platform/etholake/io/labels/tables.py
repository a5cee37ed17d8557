"""Human label sets as tables: runs of present and unscored frames, and the layouts other tools read.

- :func:`label_runs`: per behavior, the runs of frames labelled present and of
  frames not scored (what the NWB export writes);
- :func:`frame_csv_table`: the ``frame_csv`` layout, 1 / 0 / -1 per frame and
  behavior, which keeps everything;
- :func:`interval_csv_table`: the ``interval_csv`` layout, one row per bout of
  present frames (``stop_frame`` inclusive);
- :func:`boris_table`: BORIS tabular events, a START and a STOP per bout.

The interval and BORIS layouts have no "not scored": read back, the frames a
label set did not score are absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import SchemaError
from etholake.inference.bouts import runs
from etholake.schema.labels import NOT_SCORED, PRESENT, validate_labels

LABEL_STATES = {PRESENT: "present", NOT_SCORED: "not scored"}


def label_runs(labels: xr.Dataset) -> pd.DataFrame:
    """The runs of frames labelled present and of frames not scored in a human label set, per behavior.

    Parameters
    ----------
    labels
        A canonical labels dataset.

    Returns
    -------
    pandas.DataFrame
        Columns behavior, state (``present`` or ``not scored``), start_frame, stop_frame
        (inclusive), start_time, stop_time (end of the last frame; NaN without a frame
        rate), sorted by start frame.
    """
    validate_labels(labels)
    times = np.asarray(labels["time"].to_numpy(), dtype=np.float64)
    frames = np.asarray(labels["frame"].to_numpy(), dtype=np.int64)
    frame_duration = 1.0 / float(labels.attrs["fps"]) if labels.attrs.get("fps") else np.nan
    values = labels["label"].transpose("time", "behavior").to_numpy()
    found = []
    for column, behavior in enumerate(str(b) for b in labels["behavior"].to_numpy()):
        for value, state in LABEL_STATES.items():
            starts, stops = runs(values[:, column] == value)
            found.append(
                pd.DataFrame(
                    {
                        "behavior": behavior,
                        "state": state,
                        "start_frame": frames[starts],
                        "stop_frame": frames[stops],
                        "start_time": times[starts],
                        "stop_time": times[stops] + frame_duration,
                    }
                )
            )
    table = pd.concat(found, ignore_index=True)
    return table.sort_values(["start_frame", "behavior", "state"], kind="stable", ignore_index=True)


def frame_csv_table(labels: xr.Dataset) -> pd.DataFrame:
    """A label set in the ``frame_csv`` layout: a ``frame`` column, then 1 / 0 / -1 per behavior."""
    validate_labels(labels)
    values = labels["label"].transpose("time", "behavior").to_numpy()
    table = pd.DataFrame(values, columns=[str(b) for b in labels["behavior"].to_numpy()])
    table.insert(0, "frame", np.asarray(labels["frame"].to_numpy(), dtype=np.int64))
    return table


def interval_csv_table(labels: xr.Dataset) -> pd.DataFrame:
    """A label set's bouts in the ``interval_csv`` layout: behavior, start_frame, stop_frame (inclusive), annotator."""
    present = label_runs(labels).query("state == 'present'")
    return pd.DataFrame(
        {
            "behavior": present["behavior"].to_numpy(),
            "start_frame": present["start_frame"].to_numpy(),
            "stop_frame": present["stop_frame"].to_numpy(),
            "annotator": str(labels.attrs["annotator"]),
        }
    )


def boris_table(labels: xr.Dataset, *, observation: str, media_file: str) -> pd.DataFrame:
    """A label set's bouts as a BORIS tabular events export (a START and a STOP row per bout)."""
    from etholake.inference.exports import boris_events

    if not labels.attrs.get("fps"):
        raise SchemaError(
            f"label set {labels.attrs['annotator']}:{labels.attrs['label_set']} has no frame rate: "
            "BORIS events are in seconds"
        )
    present = label_runs(labels).query("state == 'present'")
    times = np.asarray(labels["time"].to_numpy(), dtype=np.float64)
    fps = float(labels.attrs["fps"])
    duration = float(times[-1] - times[0] + 1.0 / fps) if times.size else 0.0
    return boris_events(
        present,
        observation=observation,
        media_file=media_file,
        fps=fps,
        media_duration_s=duration,
        description=f"etholake human labels by {labels.attrs['annotator']} ({labels.attrs['label_set']})",
    )
