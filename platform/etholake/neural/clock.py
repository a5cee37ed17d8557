"""Clock maps between two recording clocks, fitted from sync pulses seen on both.

A :class:`ClockMap` maps times on a source clock (video, behavior rig) to a target
clock (neural DAQ): ``target = slope * source + offset``, plus an optional smooth
residual correction inside the pulse range. Outside the range of matched pulses the
linear part is extrapolated (never clamped) and such times are flagged.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np

from etholake.errors import EtholakeError
from etholake.neural.fixups import NeuralInputWarning, sorted_event_times
from etholake.neural.matching import coarse_lag, match_one_to_one
from etholake.neural.robust_fit import robust_line

CLOCK_MAP_SCHEMA = "etholake.clock_map/1"
DEFAULT_TOLERANCES = (0.1, 0.03, 0.01, 0.003)


MAX_PULSE_SPAN_S = 48 * 3600.0
"""Longest span of a pulse train :func:`fit_clock` accepts: longer ones are in other units, or hold a corrupt time."""
MAX_LAG_PEAK_RATIO = 0.8
"""Highest second cross-correlation peak, relative to the lag's, for which the coarse lag counts as unambiguous."""


class ClockQualityWarning(UserWarning):
    """A fitted clock map failed a QC check (matched share, drift)."""


class ClockFitError(EtholakeError):
    """The pulses cannot give a trustworthy clock map."""


@dataclass(frozen=True)
class ClockMap:
    """Map from source-clock to target-clock times.

    Attributes
    ----------
    slope, offset
        ``target = slope * source + offset`` (before the residual correction).
    residual_sd
        SD (s) of the matched pulses' residuals after the full map.
    matched_fraction
        Matched pulses / pulses of the denser train inside the common span (a pulse missing on
        either line, or a spurious one, lowers it); for paired pulses, the pairs with both
        times finite / all pairs.
    source_range
        First and last matched source pulse; times outside are extrapolated.
    qc
        Counts, thresholds, checks and ``passed`` (see :func:`fit_clock`).
    residual_knots
        ``(knot source times, correction)`` of the smooth residual, or None.
    """

    slope: float
    offset: float
    residual_sd: float
    matched_fraction: float
    source_range: tuple[float, float]
    qc: dict = field(default_factory=dict)
    model: str = "linear"
    source_clock: str = "video"
    target_clock: str = "neural"
    residual_knots: tuple[tuple[float, ...], tuple[float, ...]] | None = None

    @property
    def drift_ppm(self) -> float:
        """Rate difference of the clocks in parts per million (target seconds per source second - 1)."""
        return (self.slope - 1.0) * 1e6

    def __call__(self, times: np.ndarray | float) -> np.ndarray:
        """Map source-clock times (s) to the target clock."""
        times = np.asarray(times, dtype=np.float64)
        mapped = self.slope * times + self.offset
        if self.residual_knots is not None:
            knots, correction = (np.asarray(v, dtype=np.float64) for v in self.residual_knots)
            mapped = mapped + np.interp(times, knots, correction)
        return mapped

    def inverse(self, times: np.ndarray | float) -> np.ndarray:
        """Map target-clock times back to the source clock (linear part, then one correction step)."""
        times = np.asarray(times, dtype=np.float64)
        source = (times - self.offset) / self.slope
        if self.residual_knots is not None:
            source = source - (self(source) - times) / self.slope
        return source

    def extrapolated(self, times: np.ndarray | float) -> np.ndarray:
        """True where a source time lies outside the matched pulses (its mapping is extrapolated)."""
        times = np.asarray(times, dtype=np.float64)
        return (times < self.source_range[0]) | (times > self.source_range[1])

    def with_frame_qc(self, frame_times: np.ndarray) -> ClockMap:
        """Copy with ``qc["extrapolated_frames"]`` and the farthest extrapolation (s) for these frames."""
        frame_times = np.asarray(frame_times, dtype=np.float64)
        outside = self.extrapolated(frame_times)
        distance = np.maximum(self.source_range[0] - frame_times, frame_times - self.source_range[1])
        qc = dict(self.qc)
        qc["n_frames"] = int(frame_times.size)
        qc["extrapolated_frames"] = int(outside.sum())
        qc["max_extrapolation_s"] = float(distance[outside].max()) if outside.any() else 0.0
        return replace(self, qc=qc)

    def to_dict(self) -> dict:
        """JSON-serialisable description (plain floats, lists and strings)."""
        return {
            "schema": CLOCK_MAP_SCHEMA,
            "slope": float(self.slope),
            "offset": float(self.offset),
            "drift_ppm": float(self.drift_ppm),
            "residual_sd": float(self.residual_sd),
            "matched_fraction": float(self.matched_fraction),
            "source_range": [float(v) for v in self.source_range],
            "model": self.model,
            "source_clock": self.source_clock,
            "target_clock": self.target_clock,
            "residual_knots": None
            if self.residual_knots is None
            else [[float(v) for v in self.residual_knots[0]], [float(v) for v in self.residual_knots[1]]],
            "qc": _plain(self.qc),
        }

    @classmethod
    def from_dict(cls, record: dict) -> ClockMap:
        """Rebuild a map written by :meth:`to_dict`."""
        if record.get("schema") != CLOCK_MAP_SCHEMA:
            raise ValueError(f"not a clock map record (schema {record.get('schema')!r}, expected {CLOCK_MAP_SCHEMA})")
        knots = record.get("residual_knots")
        return cls(
            slope=float(record["slope"]),
            offset=float(record["offset"]),
            residual_sd=float(record["residual_sd"]),
            matched_fraction=float(record["matched_fraction"]),
            source_range=tuple(record["source_range"]),
            qc=dict(record.get("qc", {})),
            model=record.get("model", "linear"),
            source_clock=record.get("source_clock", "video"),
            target_clock=record.get("target_clock", "neural"),
            residual_knots=None if knots is None else (tuple(knots[0]), tuple(knots[1])),
        )


def fit_clock(
    source_pulses: np.ndarray,
    target_pulses: np.ndarray,
    *,
    paired: bool = False,
    model: str = "linear",
    method: str = "huber",
    bin_size: float = 0.01,
    coarse_window: float = 120.0,
    max_lag: float | None = None,
    tolerances: tuple[float, ...] = DEFAULT_TOLERANCES,
    smooth_residual: float | None = None,
    min_matched_fraction: float = 0.95,
    min_coverage: float = 0.5,
    max_drift_ppm: float = 200.0,
    max_offset_only_duration: float = 300.0,
    session_duration: float | None = None,
    force: bool = False,
    strict: bool = False,
    frame_times: np.ndarray | None = None,
    source_clock: str = "video",
    target_clock: str = "neural",
) -> ClockMap:
    """Fit the map from the source clock to the target clock from sync pulses seen on both.

    Steps: (1) coarse lag by cross-correlating the binned pulse trains; (2) one-to-one
    matching of predicted to observed target pulses under shrinking tolerances, refitting
    after each pass until the matched set stops growing; (3) a robust line fit; (4) an
    optional smooth residual (piecewise linear through per-knot medians); (5) QC.

    Parameters
    ----------
    source_pulses, target_pulses
        Pulse (edge) times in seconds on each clock; missing and spurious pulses are allowed.
    paired
        The two arrays are already paired element by element (e.g. each frame stamped on
        two clocks): skip lag estimation and matching.
    model
        ``"linear"`` (slope and offset) or ``"offset"`` (slope fixed at 1). An offset-only
        map for a session longer than ``max_offset_only_duration`` s is refused unless ``force``.
    method
        Line fit: ``"huber"``, ``"theil-sen"`` or ``"ols"``.
    bin_size, coarse_window, max_lag
        Cross-correlation bin (s), segment length (s) and largest lag allowed (s).
    tolerances
        Matching tolerances (s), largest first. Each is capped at a quarter of the 5th
        percentile inter-pulse interval and raised to 6 robust residual SDs of the
        previous pass, so jittery software pulses are not cut away.
    smooth_residual
        Knot spacing (s) of the residual correction; None for a purely linear map.
    min_matched_fraction, min_coverage, max_drift_ppm
        QC thresholds (``qc["checks"]``); a failure warns (:class:`ClockQualityWarning`)
        or, with ``strict``, raises :class:`ClockFitError`. ``min_coverage`` is the share
        of the shorter pulse train that must be matched: a lag that overlaps the trains
        only in part (periodic pulses match at many lags) fails it.
    session_duration
        Length of the session (s) for the offset-only rule; defaults to the pulse span.
    frame_times
        Source-clock frame times, to record how many frames the map extrapolates.
    source_clock, target_clock
        Names of the clocks.

    Returns
    -------
    ClockMap

    Examples
    --------
    >>> import numpy as np
    >>> video = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 600))
    >>> neural = 1.00005 * video + 12.5
    >>> clock_map = fit_clock(video, neural)
    >>> round(clock_map.drift_ppm), round(clock_map.offset, 3)
    (50, 12.5)
    """
    if model not in ("linear", "offset"):
        raise ValueError(f"model must be 'linear' or 'offset', got {model!r}")
    source = np.asarray(source_pulses, dtype=np.float64)
    target = np.asarray(target_pulses, dtype=np.float64)
    n_pairs = source.size
    if paired:
        if source.shape != target.shape:
            raise ClockFitError(f"paired pulses need equal lengths, got {source.size} and {target.size}")
        finite = np.isfinite(source) & np.isfinite(target)
        source, target = source[finite], target[finite]
    else:
        source = _without_repeats(sorted_event_times(source, "source pulses"), "source pulses")
        target = _without_repeats(sorted_event_times(target, "target pulses"), "target pulses")
    if source.size < 2 or target.size < 2:
        raise ClockFitError(f"need at least 2 pulses on each clock, got {source.size} and {target.size}")
    for what, times in (("source", source), ("target", target)):
        if times[-1] - times[0] > MAX_PULSE_SPAN_S:
            raise ClockFitError(
                f"the {what} pulses span {times[-1] - times[0]:,.0f} s (from {times[0]:g} to {times[-1]:g}), more than "
                f"{MAX_PULSE_SPAN_S / 3600:.0f} h: are they in seconds, and is no pulse time corrupted?"
            )
    duration = session_duration or float(max(source[-1] - source[0], target[-1] - target[0]))
    if model == "offset" and duration > max_offset_only_duration and not force:
        raise ClockFitError(
            f"an offset-only clock map for a {duration:.0f} s session is refused: a drift of 50 ppm alone "
            f"would misplace the end by {duration * 50e-3:.1f} ms. Fit a linear map, or pass force=True"
        )
    if paired:
        source_index = target_index = np.arange(source.size)
        slope, offset = _fit(source, target, model, method)
        lag, lag_score, final_tolerance = float(np.median(target - source)), 1.0, float("nan")
        lag_peak_ratio = 0.0
    else:
        lag, lag_score, lag_segment, lag_peak_ratio = coarse_lag(
            source, target, bin_size=bin_size, window=coarse_window, max_lag=max_lag
        )
        source_index, target_index, slope, offset, final_tolerance = _match_and_fit(
            source, target, lag, lag_segment, tolerances, model, method
        )
    matched_source, matched_target = source[source_index], target[target_index]
    knots = _smooth_residual(matched_source, matched_target - (slope * matched_source + offset), smooth_residual)
    clock_map = ClockMap(
        slope=slope,
        offset=offset,
        residual_sd=0.0,
        matched_fraction=0.0,
        source_range=(float(matched_source[0]), float(matched_source[-1])),
        model=model,
        source_clock=source_clock,
        target_clock=target_clock,
        residual_knots=knots,
    )
    residual = matched_target - clock_map(matched_source)
    if paired:
        matched_fraction = source.size / n_pairs
    else:
        mapped = clock_map(source)
        in_span_source = np.sum((mapped >= target[0] - final_tolerance) & (mapped <= target[-1] + final_tolerance))
        in_span_target = np.sum((target >= mapped[0] - final_tolerance) & (target <= mapped[-1] + final_tolerance))
        matched_fraction = source_index.size / max(1, in_span_source, in_span_target)
    qc = _quality(
        clock_map,
        residual,
        source,
        target,
        source_index.size,
        matched_fraction,
        min_matched_fraction=min_matched_fraction,
        min_coverage=min_coverage,
        max_drift_ppm=max_drift_ppm,
        lag_peak_ratio=lag_peak_ratio,
    )
    qc.update(
        coarse_lag=lag,
        coarse_lag_score=lag_score,
        final_tolerance=final_tolerance,
        paired=paired,
        method=method,
        duration=duration,
        forced=force,
    )
    clock_map = replace(clock_map, residual_sd=float(np.std(residual)), matched_fraction=float(matched_fraction), qc=qc)
    if frame_times is not None:
        clock_map = clock_map.with_frame_qc(frame_times)
    _report(clock_map, strict)
    return clock_map


def _without_repeats(times: np.ndarray, what: str) -> np.ndarray:
    """Sorted pulse times with each time once; a repeated time (a double edge) is dropped with a warning."""
    repeated = np.flatnonzero(np.diff(times) == 0) + 1
    if repeated.size:
        warnings.warn(
            f"{what}: {repeated.size} repeated time(s) dropped (first {times[repeated[0]]:.6f} s; a double edge?)",
            NeuralInputWarning,
            stacklevel=3,
        )
        times = np.delete(times, repeated)
    return times


def _fit(source: np.ndarray, target: np.ndarray, model: str, method: str) -> tuple[float, float]:
    if model == "offset" or source.size < 2:
        return 1.0, float(np.median(target - source))
    return robust_line(source, target, method)


def _match_and_fit(
    source: np.ndarray,
    target: np.ndarray,
    lag: float,
    lag_segment: tuple[float, float],
    tolerances: tuple[float, ...],
    model: str,
    method: str,
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    interval_floor = float(np.percentile(np.diff(target), 5)) / 4
    slope, offset = _grow_from_segment(
        source, target, lag, lag_segment, min(tolerances[0], interval_floor), model, method
    )
    source_index = target_index = np.zeros(0, dtype=np.int64)
    residual_scale = 0.0
    tolerance = float("nan")
    for requested in tolerances:
        tolerance = min(max(requested, 6 * residual_scale), interval_floor)
        previous = -1
        for _ in range(30):
            source_index, target_index = match_one_to_one(slope * source + offset, target, tolerance)
            if source_index.size < 2:
                raise ClockFitError(
                    f"only {source_index.size} pulses matched within {tolerance * 1e3:.1f} ms after the coarse "
                    f"lag of {lag:.3f} s: the pulse trains do not correspond"
                )
            slope, offset = _fit(source[source_index], target[target_index], model, method)
            if source_index.size == previous:
                break
            previous = source_index.size
        residual = target[target_index] - (slope * source[source_index] + offset)
        residual_scale = 1.4826 * float(np.median(np.abs(residual - np.median(residual))))
    return source_index, target_index, slope, offset, tolerance


def _grow_from_segment(
    source: np.ndarray,
    target: np.ndarray,
    lag: float,
    segment: tuple[float, float],
    tolerance: float,
    model: str,
    method: str,
) -> tuple[float, float]:
    """Slope and offset fitted on pulses matched from the coarse-lag segment outward.

    The lag holds near its segment only: over 3 h, 100 ppm of drift moves the far
    pulses by 1 s, where they meet wrong partners that outvote the right ones in
    a fit over the whole session. Matching instead the span around the segment,
    refitting and doubling the span keeps every prediction within ``tolerance``.
    """
    slope, offset = 1.0, lag
    start, stop = segment
    while True:
        inside = np.flatnonzero((source >= start) & (source <= stop))
        source_index, target_index = match_one_to_one(slope * source[inside] + offset, target, tolerance)
        if source_index.size >= 2:
            slope, offset = _fit(source[inside[source_index]], target[target_index], model, method)
        if start <= source[0] and stop >= source[-1]:
            return slope, offset
        half_span = (stop - start) / 2
        start, stop = start - half_span, stop + half_span


def _smooth_residual(
    source: np.ndarray, residual: np.ndarray, spacing: float | None
) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    if spacing is None or source[-1] - source[0] < 2 * spacing:
        return None
    n_knots = int(np.floor((source[-1] - source[0]) / spacing)) + 1
    knots = np.linspace(source[0], source[-1], n_knots)
    nearest_knot = np.clip(np.rint((source - source[0]) / (knots[1] - knots[0])).astype(np.int64), 0, n_knots - 1)
    order = np.argsort(nearest_knot, kind="stable")
    groups = np.split(residual[order], np.flatnonzero(np.diff(nearest_knot[order])) + 1)
    present = np.unique(nearest_knot)
    medians = np.array([np.median(g) for g in groups])
    correction = np.interp(knots, knots[present], medians)
    return tuple(knots.tolist()), tuple(correction.tolist())


def _quality(
    clock_map: ClockMap,
    residual: np.ndarray,
    source: np.ndarray,
    target: np.ndarray,
    n_matched: int,
    matched_fraction: float,
    *,
    min_matched_fraction: float,
    min_coverage: float,
    max_drift_ppm: float,
    lag_peak_ratio: float,
) -> dict:
    coverage = n_matched / min(source.size, target.size)
    checks = {
        "matched_fraction": bool(matched_fraction >= min_matched_fraction),
        "coverage": bool(coverage >= min_coverage),
        "drift": bool(abs(clock_map.drift_ppm) <= max_drift_ppm),
        "lag_unambiguous": bool(lag_peak_ratio <= MAX_LAG_PEAK_RATIO),
    }
    return {
        "n_source_pulses": int(source.size),
        "n_target_pulses": int(target.size),
        "n_matched": int(n_matched),
        "matched_fraction_of_source": n_matched / source.size,
        "matched_fraction_of_target": n_matched / target.size,
        "drift_ppm": clock_map.drift_ppm,
        "residual_sd_s": float(np.std(residual)),
        "residual_mad_sd_s": float(1.4826 * np.median(np.abs(residual - np.median(residual)))),
        "residual_max_abs_s": float(np.max(np.abs(residual))),
        "residual_p99_abs_s": float(np.percentile(np.abs(residual), 99)),
        "coverage": coverage,
        "min_matched_fraction": min_matched_fraction,
        "min_coverage": min_coverage,
        "max_drift_ppm": max_drift_ppm,
        "lag_peak_ratio": lag_peak_ratio,
        "checks": checks,
        "passed": all(checks.values()),
    }


def _report(clock_map: ClockMap, strict: bool) -> None:
    qc = clock_map.qc
    failed = [name for name, ok in qc["checks"].items() if not ok]
    if not failed:
        return
    ambiguity = (
        ""
        if qc["checks"]["lag_unambiguous"]
        else f"the coarse lag {qc['coarse_lag']:.4f} s is ambiguous (second cross-correlation peak at "
        f"{qc['lag_peak_ratio']:.0%} of the first): periodic pulses align at many lags; give max_lag below half "
        "the pulse period, pair the pulses, or record pulses at random intervals. "
    )
    message = (
        f"clock map {clock_map.source_clock}->{clock_map.target_clock} failed QC ({', '.join(failed)}): {ambiguity}"
        f"matched {clock_map.matched_fraction:.1%} of pulses (need {qc['min_matched_fraction']:.0%}), "
        f"{qc['coverage']:.1%} of the shorter pulse train (need {qc['min_coverage']:.0%}), "
        f"drift {clock_map.drift_ppm:.1f} ppm (limit {qc['max_drift_ppm']:.0f})"
    )
    if strict:
        raise ClockFitError(message)
    warnings.warn(message, ClockQualityWarning, stacklevel=3)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
