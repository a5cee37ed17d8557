"""Rolling-window statistics that give bitwise-identical results however a session is chunked.

Windows are declared in milliseconds and converted with the session's frame rate: with
n = round(D * fps / 1000) frames (halves rounded up, at least 1), a causal window covers
the n frames ending at t and a centred window covers t - h .. t + h with h = n // 2
(n frames when n is odd, n + 1 when it is even).

* ``min``, ``max``: a sparse table of NaN-skipping extrema over runs of 2**k frames,
  shared by all windows (about log2 of the longest window array passes); ``median``:
  bottleneck's ``move_median`` (O(n log w)). Their value depends only on the frames
  inside the window, so a halo of the window length suffices.
* ``mean``, ``std``, ``integral``: O(n) cumulative sums. A running sum's rounding depends
  on where it started, so every sum is *anchored* on a fixed grid of absolute frame
  numbers: frames [bB, (b+1)B) use one cumulative sum started at frame bB - L - 1 (B the
  anchor block, L the longest look-back). The result at frame t then depends only on t
  and the data, never on chunk boundaries. Sums run in float64 on values shifted by the
  row's first finite value, so ``std`` stays accurate on large offsets.
* ``change``: value at the window's end minus value at its start.
* ``integral`` is the window mean times the window's duration in s (its frames / fps): the frame-rate-free
  version of SimBA's rolling ``Sum`` (SimBA sums per-frame values, so its sums scale
  with fps).

Missing frames are skipped; a window with fewer valid frames than its ``min_count``
gives NaN. Frames outside the session count as missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bottleneck as bn
import numpy as np

CUMULATIVE_STATS = ("mean", "std", "integral")
ORDER_STATS = ("min", "max", "median")
EXTREMA = {"min": np.fmin, "max": np.fmax}
ROWS_PER_PASS = 8


def causal_frames(window_ms: float, fps: float) -> int:
    """Frames in a causal window of ``window_ms``: the nearest whole number, at least one."""
    return max(1, int(np.floor(window_ms * fps / 1000.0 + 0.5)))


def half_window(window_ms: float, fps: float) -> int:
    """Frames on each side of a centred window of ``window_ms`` (its length is 2 x this + 1)."""
    return causal_frames(window_ms, fps) // 2


@dataclass(frozen=True)
class Window:
    """One window: ``lo`` frames before and ``hi`` frames after the current one."""

    window_ms: float
    lo: int
    hi: int
    min_count: int
    duration_s: float

    @classmethod
    def from_ms(cls, window_ms: float, fps: float, alignment: str, min_coverage: float) -> Window:
        if alignment == "causal":
            lo, hi = causal_frames(window_ms, fps) - 1, 0
        else:
            lo = hi = half_window(window_ms, fps)
        length = lo + hi + 1
        return cls(window_ms, lo, hi, max(1, int(np.ceil(min_coverage * length - 1e-9))), length / fps)

    @property
    def length(self) -> int:
        return self.lo + self.hi + 1


def centred_median(values: np.ndarray, window: int) -> np.ndarray:
    """Median over a centred window of ``window`` (odd) frames along the last axis, NaN-skipping."""
    half = window // 2
    if half == 0:
        return values
    padded = np.concatenate([values, np.full((*values.shape[:-1], half), np.nan, dtype=values.dtype)], axis=-1)
    moved = bn.move_median(padded, min(window, padded.shape[-1]), min_count=1, axis=-1)
    return moved[..., half:]


def anchor_block(windows: list[Window]) -> int:
    """Anchor grid spacing for cumulative sums: a power of two >= 4 x the longest window."""
    longest = max((w.length for w in windows), default=1)
    return int(max(128, 2 ** int(np.ceil(np.log2(4 * longest)))))


def rolling(
    values: np.ndarray,
    *,
    segment_start: int,
    core: tuple[int, int],
    windows: list[Window],
    stats: list[str],
    block: int,
    out: dict[tuple[str, int], np.ndarray],
) -> None:
    """Write rolling statistics of ``values`` (feature, frame) for the frames of ``core`` into ``out``.

    Parameters
    ----------
    values
        Features over a segment of the session, float32; frame 0 is ``segment_start``.
    segment_start
        Absolute frame index of the segment's first frame.
    core
        Absolute [start, stop) frames to return; the segment must extend at least
        ``block + max lo + 1`` frames before and ``max hi`` frames after them (or reach
        the session's edge).
    windows, stats
        What to compute.
    block
        Anchor grid spacing (:func:`anchor_block`), the same for every chunk of a session.
    out
        ``(stat, window index) -> (feature, core frame)`` float32 arrays to fill.
    """
    cumulative = [s for s in stats if s in CUMULATIVE_STATS]
    if cumulative:
        _in_row_passes(
            _cumulative, values, cumulative, out, segment_start=segment_start, core=core, windows=windows, block=block
        )
    order = [s for s in stats if s in ORDER_STATS]
    if not order and "change" not in stats:
        return
    look_back, look_ahead = max(w.lo for w in windows), max(w.hi for w in windows)
    padded = np.full((values.shape[0], look_back + values.shape[1] + look_ahead), np.nan, np.float32)
    padded[:, look_back : look_back + values.shape[1]] = values
    starts = [look_back + core[0] - segment_start - w.lo for w in windows]
    n_core = core[1] - core[0]
    extrema = [s for s in order if s in EXTREMA]
    if extrema:
        _in_row_passes(_extrema, padded, extrema, out, starts=starts, n_core=n_core, windows=windows)
    for index, (window, start) in enumerate(zip(windows, starts)):
        end = start + window.length - 1
        if "median" in order:
            median = bn.move_median(padded, window.length, min_count=window.min_count, axis=1)
            out[("median", index)][:] = median[:, end : end + n_core]
        if "change" in stats:
            np.subtract(padded[:, end : end + n_core], padded[:, start : start + n_core], out=out[("change", index)])


def _in_row_passes(
    kernel: Callable[..., None],
    values: np.ndarray,
    stats: list[str],
    out: dict[tuple[str, int], np.ndarray],
    **context: Any,
) -> None:
    """Run ``kernel`` on :data:`ROWS_PER_PASS` features at a time, so its temporaries stay in cache."""
    for first in range(0, values.shape[0], ROWS_PER_PASS):
        part = {key: array[first : first + ROWS_PER_PASS] for key, array in out.items() if key[0] in stats}
        kernel(values[first : first + ROWS_PER_PASS], stats, part, **context)


def _extrema(
    padded: np.ndarray,
    stats: list[str],
    out: dict[tuple[str, int], np.ndarray],
    *,
    starts: list[int],
    n_core: int,
    windows: list[Window],
) -> None:
    """Window minima and maxima from a sparse table shared by all windows.

    Level k holds the extremum of the 2**k frames starting at each frame (NaN-skipping);
    a window of L frames is the extremum of two overlapping level-k runs, 2**k <= L <
    2**(k+1). Exact, so any chunking gives the same values; about log2(longest window)
    array passes for every window together.
    """
    counts = np.zeros((padded.shape[0], padded.shape[1] + 1), np.int32)
    np.cumsum(np.isfinite(padded), axis=1, out=counts[:, 1:])
    levels = {stat: padded for stat in stats}
    span = 1
    for index in sorted(range(len(windows)), key=lambda i: windows[i].length):
        window, start = windows[index], starts[index]
        while 2 * span <= window.length:
            for stat in stats:
                level = levels[stat]
                levels[stat] = EXTREMA[stat](level[:, :-span], level[:, span:])
            span *= 2
        tail = start + window.length - span
        scarce = counts[:, start + window.length : start + window.length + n_core] - counts[:, start : start + n_core]
        scarce = scarce < window.min_count
        for stat in stats:
            level, result = levels[stat], out[(stat, index)]
            EXTREMA[stat](level[:, start : start + n_core], level[:, tail : tail + n_core], out=result)
            result[scarce] = np.nan


def _cumulative(
    values: np.ndarray,
    stats: list[str],
    out: dict[tuple[str, int], np.ndarray],
    *,
    segment_start: int,
    core: tuple[int, int],
    windows: list[Window],
    block: int,
) -> None:
    look_back = max(w.lo for w in windows)
    look_ahead = max(w.hi for w in windows)
    first_block, last_block = core[0] // block, (core[1] - 1) // block
    n_blocks = last_block - first_block + 1
    row_length = block + look_back + look_ahead + 1
    origin = first_block * block - look_back - 1
    span = n_blocks * block + look_back + look_ahead + 1
    extended = np.full((values.shape[0], span), np.nan, dtype=np.float32)
    low, high = max(origin, segment_start), min(origin + span, segment_start + values.shape[1])
    extended[:, low - origin : high - origin] = values[:, low - segment_start : high - segment_start]
    valid = np.isfinite(extended)
    dense = bool(valid.all())
    extended[~valid] = 0.0
    rows = _rows(extended, n_blocks, row_length, block)
    reference = None
    if "std" in stats:
        row_valid = _rows(valid, n_blocks, row_length, block)
        first_valid = np.argmax(row_valid, axis=2)[..., None]
        reference = np.take_along_axis(rows, first_valid, axis=2).astype(np.float64)
        shifted = np.where(row_valid, rows - reference, 0.0)
        sums = np.cumsum(shifted, axis=2)
        squares = np.cumsum(shifted * shifted, axis=2)
        reference = _flatten(np.broadcast_to(reference, (*reference.shape[:2], block)), core, first_block * block)
    else:
        sums = np.cumsum(rows, axis=2, dtype=np.float64)
    counts = None if dense else np.cumsum(_rows(valid, n_blocks, row_length, block), axis=2, dtype=np.int32)
    shape = (values.shape[0], core[1] - core[0])
    for index, window in enumerate(windows):
        upper = slice(look_back + 1 + window.hi, look_back + 1 + window.hi + block)
        lower = slice(look_back - window.lo, look_back - window.lo + block)
        total = _flatten(sums[..., upper] - sums[..., lower], core, first_block * block)
        if counts is None:
            count, scarce = float(window.length), None
        else:
            count = _flatten(counts[..., upper] - counts[..., lower], core, first_block * block)
            scarce = count < window.min_count if window.min_count > 1 else None
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = out.get(("mean", index), np.empty(shape, np.float32))
            if reference is None:
                np.divide(total, count, out=mean, casting="unsafe")
            else:
                mean_shift = total / count
                np.add(mean_shift, reference, out=mean, casting="unsafe")
                variance = _flatten(squares[..., upper] - squares[..., lower], core, first_block * block) / count
                variance -= mean_shift * mean_shift
                std = out[("std", index)]
                np.sqrt(np.maximum(variance, 0.0), out=std, casting="unsafe")
                if scarce is not None:
                    std[scarce] = np.nan
            if scarce is not None:
                mean[scarce] = np.nan
            if "integral" in stats:
                np.multiply(mean, np.float32(window.duration_s), out=out[("integral", index)])


def _rows(extended: np.ndarray, n_blocks: int, row_length: int, block: int) -> np.ndarray:
    """Overlapping rows (feature, anchor block, row_length) of ``extended``, as a read-only view."""
    feature_stride, frame_stride = extended.strides
    return np.lib.stride_tricks.as_strided(
        extended,
        shape=(extended.shape[0], n_blocks, row_length),
        strides=(feature_stride, block * frame_stride, frame_stride),
        writeable=False,
    )


def _flatten(array: np.ndarray, core: tuple[int, int], first_frame: int) -> np.ndarray:
    """(feature, anchor block, frame in block) -> (feature, core frame)."""
    return array.reshape(array.shape[0], -1)[:, core[0] - first_frame : core[1] - first_frame]
