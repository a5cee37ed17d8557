"""Dropped-frame repair from an embedded hardware frame counter."""

from __future__ import annotations

import numpy as np
import pandas as pd

from etholake.neural.fixups import warn_fixup


def repair_dropped_frames(
    frame_counter: np.ndarray,
    *,
    fps: float | None = None,
    hardware_times: np.ndarray | None = None,
    counter_bits: int | None = None,
) -> pd.DataFrame:
    """Place every recorded frame at its acquisition index and time, across dropped frames.

    A video file holds only the frames that reached the disk; the camera's frame counter
    keeps counting the dropped ones. Timing a video by ``frame / fps`` therefore slips by
    one period per dropped frame. This uses the counter to give each recorded frame its
    true position in the acquisition sequence.

    Parameters
    ----------
    frame_counter
        Counter value of each recorded frame (in file order).
    fps
        Acquisition frame rate, used for ``time`` when no hardware timestamps are given.
    hardware_times
        Camera-clock timestamp of each recorded frame; kept as ``time`` and checked against
        the counter (a gap in time must match the gap in counts).
    counter_bits
        Width of a counter that wraps (e.g. 16 or 32); None if it never wraps.

    Returns
    -------
    pandas.DataFrame
        One row per recorded frame: ``frame`` (index in the file), ``acquisition_index``
        (counter steps since the first recorded frame), ``dropped_before`` (frames lost
        just before this one) and ``time`` (s on the camera clock, first frame at its
        hardware time or 0).
    """
    counter = np.asarray(frame_counter, dtype=np.int64)
    steps = np.diff(counter)
    if counter_bits is not None:
        steps = np.mod(steps, 1 << counter_bits)
    if np.any(steps <= 0):
        bad = np.flatnonzero(steps <= 0)
        raise ValueError(
            f"frame counter does not increase at {bad.size} frames (first at frame {int(bad[0]) + 1}): "
            "a counter reset or repeated frame; give counter_bits for a wrapping counter"
        )
    acquisition_index = np.concatenate([[0], np.cumsum(steps)])
    dropped_before = np.concatenate([[0], steps - 1])
    n_dropped = int(dropped_before.sum())
    if n_dropped:
        warn_fixup(
            f"frame counter: {n_dropped} frames dropped in {int(np.sum(dropped_before > 0))} gaps "
            f"({n_dropped / (acquisition_index[-1] + 1):.2%} of acquired frames); recorded frames are "
            "re-timed by their acquisition index"
        )
    if hardware_times is not None:
        time = np.asarray(hardware_times, dtype=np.float64)
        if time.shape != counter.shape:
            raise ValueError(f"{time.size} hardware times for {counter.size} frame counter values")
        period = np.median(np.diff(time) / steps)
        slipped = np.abs(np.diff(time) / period - steps) > 0.5
        if slipped.any():
            warn_fixup(
                f"frame counter and hardware timestamps disagree at {int(slipped.sum())} frames "
                "(gap in time is not the gap in counts); kept the hardware timestamps"
            )
    elif fps:
        time = acquisition_index / float(fps)
    else:
        raise ValueError("give the frame rate or the hardware timestamps to time the frames")
    return pd.DataFrame(
        {
            "frame": np.arange(counter.size, dtype=np.int64),
            "acquisition_index": acquisition_index,
            "dropped_before": dropped_before,
            "time": time,
        }
    )
