"""From per-frame probabilities to behavior bouts.

The steps, in order, all vectorized over frames (``np.diff`` on masks, cumulative sums):

1. optional smoothing: a centred moving average of the probability over ``smooth`` frames;
2. threshold: a frame is *on* where ``probability >= threshold``; with hysteresis (``low`` given)
   a bout is a run of frames with ``probability >= low`` that reaches ``threshold`` at least once;
3. gap filling: a gap between two bouts shorter than ``merge_gap`` frames is filled;
4. minimum bout: bouts shorter than ``min_bout`` frames are dropped.

NaN probabilities (frames the model could not score, such as frames with no pose) never start a
bout, never extend one and are never bridged by gap filling: a gap that contains a NaN frame stays
a gap. Smoothing averages only the finite values in each window and leaves NaN frames NaN.

Bouts are reported with an **inclusive** ``stop_frame`` (the last frame of the bout, as the
Caltech and BORIS tools count). ``start_time`` is the time of the first frame, ``stop_time`` the
end of the last frame (its time plus one frame duration), so ``duration = stop_time - start_time``
equals the number of frames divided by the frame rate.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import SchemaError

BOUT_COLUMNS = (
    "behavior",
    "start_frame",
    "stop_frame",
    "start_time",
    "stop_time",
    "duration",
    "mean_probability",
    "max_probability",
)


@dataclass(frozen=True)
class BoutSettings:
    """Post-processing of one behavior's probabilities (all lengths in frames).

    Attributes
    ----------
    threshold
        Probability at or above which a frame is on (the high threshold under hysteresis).
    low
        Low hysteresis threshold, or None for a single threshold.
    merge_gap
        Gaps shorter than this many frames are filled; 0 fills none.
    min_bout
        Bouts shorter than this many frames are dropped; 1 keeps all.
    smooth
        Width in frames of the centred moving average applied first; 1 means no smoothing.
    """

    threshold: float = 0.5
    low: float | None = None
    merge_gap: int = 0
    min_bout: int = 1
    smooth: int = 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {self.threshold}")
        if self.low is not None and not 0.0 <= self.low <= self.threshold:
            raise ValueError(f"low threshold must lie in [0, threshold={self.threshold}], got {self.low}")
        for name in ("merge_gap", "min_bout", "smooth"):
            value = getattr(self, name)
            if int(value) != value or value < (0 if name == "merge_gap" else 1):
                raise ValueError(f"{name} must be a whole number of frames >= {0 if name == 'merge_gap' else 1}")

    def to_dict(self) -> dict:
        """Return the settings as a JSON-ready dict."""
        return asdict(self)

    def at_frame_rate(self, from_fps: float, to_fps: float) -> BoutSettings:
        """The same settings for a video at ``to_fps``: lengths kept in seconds, not in frames.

        ``merge_gap`` and ``min_bout`` ("shorter than n frames") become the frame counts of
        the same durations (:func:`seconds_to_frames`); ``smooth`` the nearest width.
        """
        if from_fps == to_fps:
            return self
        return replace(
            self,
            merge_gap=seconds_to_frames(self.merge_gap / from_fps, to_fps),
            min_bout=max(1, seconds_to_frames(self.min_bout / from_fps, to_fps)),
            smooth=max(1, round(self.smooth * to_fps / from_fps)),
        )


def seconds_to_frames(seconds: float, fps: float) -> int:
    """Return the frame count equivalent of "shorter than ``seconds``".

    A run of ``n`` frames lasts ``n / fps`` seconds, so it is shorter than ``seconds`` exactly when
    ``n < ceil(seconds * fps)``.
    """
    if fps is None or not fps > 0:
        raise ValueError(f"a length in seconds needs a positive fps, got {fps!r}")
    return math.ceil(seconds * fps - 1e-9)


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the first and last (inclusive) index of every run of True in a 1-D mask."""
    padded = np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0]))
    edges = np.diff(padded)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1


def mask_from_runs(starts: np.ndarray, stops: np.ndarray, n_frames: int) -> np.ndarray:
    """Return a boolean mask of ``n_frames`` that is True on ``[starts[i], stops[i]]``."""
    edges = np.zeros(n_frames + 1, dtype=np.int64)
    np.add.at(edges, np.asarray(starts, dtype=np.int64), 1)
    np.add.at(edges, np.asarray(stops, dtype=np.int64) + 1, -1)
    return np.cumsum(edges[:-1]) > 0


def smooth_probability(probability: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` frames of the finite values; NaN frames stay NaN."""
    probability = np.asarray(probability, dtype=np.float64)
    if window <= 1:
        return probability
    finite = np.isfinite(probability)
    sums = np.concatenate(([0.0], np.cumsum(np.where(finite, probability, 0.0))))
    counts = np.concatenate(([0], np.cumsum(finite)))
    half = window // 2
    index = np.arange(probability.size)
    lo = np.clip(index - half, 0, probability.size)
    hi = np.clip(index - half + window, 0, probability.size)
    n = counts[hi] - counts[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        smoothed = (sums[hi] - sums[lo]) / n
    return np.where(finite, smoothed, np.nan)


def threshold_mask(probability: np.ndarray, threshold: float, low: float | None = None) -> np.ndarray:
    """Frames that are on: ``probability >= threshold``, or hysteresis runs when ``low`` is given."""
    probability = np.asarray(probability, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        high = probability >= threshold
        if low is None:
            return high
        candidate = probability >= low
    starts, stops = runs(candidate)
    high_count = np.concatenate(([0], np.cumsum(high)))
    keep = high_count[stops + 1] - high_count[starts] > 0
    return mask_from_runs(starts[keep], stops[keep], probability.size)


def fill_gaps(mask: np.ndarray, merge_gap: int, blocked: np.ndarray | None = None) -> np.ndarray:
    """Fill gaps between runs shorter than ``merge_gap`` frames unless they hold a ``blocked`` frame."""
    mask = np.asarray(mask, dtype=bool)
    if merge_gap <= 0:
        return mask.copy()
    starts, stops = runs(mask)
    gap_starts, gap_stops = stops[:-1] + 1, starts[1:] - 1
    fill = (gap_stops - gap_starts + 1) < merge_gap
    if blocked is not None:
        blocked_count = np.concatenate(([0], np.cumsum(np.asarray(blocked, dtype=bool))))
        fill &= blocked_count[gap_stops + 1] - blocked_count[gap_starts] == 0
    return mask | mask_from_runs(gap_starts[fill], gap_stops[fill], mask.size)


def drop_short(mask: np.ndarray, min_bout: int) -> np.ndarray:
    """Remove runs shorter than ``min_bout`` frames."""
    mask = np.asarray(mask, dtype=bool)
    if min_bout <= 1:
        return mask.copy()
    starts, stops = runs(mask)
    keep = stops - starts + 1 >= min_bout
    return mask_from_runs(starts[keep], stops[keep], mask.size)


def postprocess(probability: np.ndarray, settings: BoutSettings) -> np.ndarray:
    """Apply smoothing, threshold, gap filling and minimum bout; return the per-frame prediction."""
    probability = np.asarray(probability, dtype=np.float64)
    if probability.ndim != 1:
        raise SchemaError(f"probability must be 1-D (time,), got shape {probability.shape}")
    smoothed = smooth_probability(probability, settings.smooth)
    mask = threshold_mask(smoothed, settings.threshold, settings.low)
    mask = fill_gaps(mask, settings.merge_gap, blocked=~np.isfinite(probability))
    return drop_short(mask, settings.min_bout)


def bouts_from_mask(
    mask: np.ndarray,
    probability: np.ndarray | None = None,
    *,
    behavior: str = "",
    frames: np.ndarray | None = None,
    times: np.ndarray | None = None,
    fps: float | None = None,
) -> pd.DataFrame:
    """Tabulate the runs of a per-frame prediction as bouts.

    Parameters
    ----------
    mask
        Per-frame prediction (time,).
    probability
        Per-frame probability used for ``mean_probability`` / ``max_probability``; NaN columns without.
    behavior
        Name written in the ``behavior`` column.
    frames
        Video frame index of each row; defaults to 0, 1, 2, ...
    times
        Time (s) of each row; defaults to ``frames / fps``.
    fps
        Frame rate; sets the duration of the last frame of each bout. Without it (and without
        ``times``) the time columns are NaN.

    Returns
    -------
    pandas.DataFrame
        One row per bout with the columns of :data:`BOUT_COLUMNS`; ``stop_frame`` is inclusive.
    """
    mask = np.asarray(mask, dtype=bool)
    n = mask.size
    frames = np.arange(n, dtype=np.int64) if frames is None else np.asarray(frames, dtype=np.int64)
    if times is None:
        times = frames / float(fps) if fps else np.full(n, np.nan)
    times = np.asarray(times, dtype=np.float64)
    if frames.shape != (n,) or times.shape != (n,):
        raise SchemaError(f"frames and times must have one value per frame ({n})")
    frame_duration = 1.0 / float(fps) if fps else (float(np.median(np.diff(times))) if n > 1 else np.nan)
    starts, stops = runs(mask)
    if probability is None:
        mean_p = max_p = np.full(starts.size, np.nan)
    else:
        probability = np.asarray(probability, dtype=np.float64)
        boundaries = np.column_stack([starts, stops + 1]).ravel()
        padded = np.concatenate((probability, [np.nan]))
        sums = np.add.reduceat(padded, boundaries)[::2] if starts.size else np.empty(0)
        max_p = np.maximum.reduceat(padded, boundaries)[::2] if starts.size else np.empty(0)
        mean_p = sums / (stops - starts + 1)
    start_time = times[starts]
    stop_time = times[stops] + frame_duration
    return pd.DataFrame(
        {
            "behavior": pd.Series([behavior] * starts.size, dtype=object),
            "start_frame": frames[starts],
            "stop_frame": frames[stops],
            "start_time": start_time,
            "stop_time": stop_time,
            "duration": stop_time - start_time,
            "mean_probability": mean_p,
            "max_probability": max_p,
        },
        columns=list(BOUT_COLUMNS),
    )


def extract_bouts(
    probability: np.ndarray,
    *,
    behavior: str = "",
    threshold: float = 0.5,
    low: float | None = None,
    merge_gap: int = 0,
    min_bout: int = 1,
    smooth: int = 1,
    fps: float | None = None,
    merge_gap_seconds: float | None = None,
    min_bout_seconds: float | None = None,
    frames: np.ndarray | None = None,
    times: np.ndarray | None = None,
) -> pd.DataFrame:
    """Bouts of one behavior from its per-frame probabilities.

    Parameters
    ----------
    probability
        Per-frame probability (time,); NaN where the frame was not scored.
    behavior
        Name for the ``behavior`` column.
    threshold, low
        Threshold, and the optional low threshold of hysteresis.
    merge_gap, min_bout
        Gap filling and minimum bout length, in frames.
    smooth
        Moving-average width in frames applied before the threshold.
    fps
        Frame rate; needed for times and for lengths given in seconds.
    merge_gap_seconds, min_bout_seconds
        The same lengths in seconds; they override the frame counts.
    frames, times
        Video frame index and time of each row.

    Returns
    -------
    pandas.DataFrame
        One row per bout, columns :data:`BOUT_COLUMNS`, ``stop_frame`` inclusive.

    Examples
    --------
    >>> extract_bouts(np.array([0.1, 0.9, 0.8, 0.2, 0.9]), behavior="attack", min_bout=2, fps=30)[
    ...     ["start_frame", "stop_frame"]].values.tolist()
    [[1, 2]]
    """
    if merge_gap_seconds is not None:
        merge_gap = seconds_to_frames(merge_gap_seconds, fps)
    if min_bout_seconds is not None:
        min_bout = max(1, seconds_to_frames(min_bout_seconds, fps))
    settings = BoutSettings(threshold=threshold, low=low, merge_gap=merge_gap, min_bout=min_bout, smooth=smooth)
    mask = postprocess(probability, settings)
    return bouts_from_mask(mask, probability, behavior=behavior, frames=frames, times=times, fps=fps)


def annotate(
    probability: xr.DataArray, settings: dict[str, BoutSettings], fps: float | None = None
) -> tuple[xr.DataArray, pd.DataFrame]:
    """Post-process a (time, behavior) probability array.

    Parameters
    ----------
    probability
        DataArray (time, behavior) with a ``frame`` coordinate along time (and ``time`` in seconds).
    settings
        Post-processing per behavior; every behavior of ``probability`` needs an entry.
    fps
        Frame rate; defaults to ``probability.attrs["fps"]``.

    Returns
    -------
    predicted : xarray.DataArray
        Boolean (time, behavior) prediction after post-processing.
    bouts : pandas.DataFrame
        The bouts of every behavior, columns :data:`BOUT_COLUMNS`.
    """
    if probability.dims != ("time", "behavior"):
        raise SchemaError(f"probability must have dims ('time', 'behavior'), got {probability.dims}")
    behaviors = [str(b) for b in probability["behavior"].values]
    missing = sorted(set(behaviors) - set(settings))
    if missing:
        raise SchemaError(f"no bout settings for behavior(s) {', '.join(missing)}")
    fps = fps if fps is not None else probability.attrs.get("fps")
    frames = probability["frame"].values if "frame" in probability.coords else None
    times = probability["time"].values if "time" in probability.coords else None
    if times is not None and not np.all(np.isfinite(times)):
        times = None
    values = np.asarray(probability.values, dtype=np.float64)
    masks, tables = [], []
    for column, behavior in enumerate(behaviors):
        mask = postprocess(values[:, column], settings[behavior])
        masks.append(mask)
        tables.append(bouts_from_mask(mask, values[:, column], behavior=behavior, frames=frames, times=times, fps=fps))
    predicted = xr.DataArray(
        np.column_stack(masks) if masks else np.zeros((values.shape[0], 0), dtype=bool),
        dims=("time", "behavior"),
        coords=probability.coords,
    )
    bouts = pd.concat(tables, ignore_index=True) if tables else bouts_from_mask(np.zeros(0, dtype=bool))
    return predicted, bouts
