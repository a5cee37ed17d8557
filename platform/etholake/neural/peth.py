"""Peri-event time histograms of units and event-triggered averages of traces."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from etholake.neural.containers import Units


def peth(
    units: Units,
    event_times: np.ndarray,
    *,
    window: tuple[float, float] = (-1.0, 1.0),
    bin_size: float = 0.05,
    event_name: str = "event",
    recording_range: tuple[float, float] | None = None,
) -> xr.Dataset:
    """Spike counts of every unit around every event, and their mean rate, SEM and n.

    Parameters
    ----------
    units
        Units on the same clock as the events.
    event_times
        Event times (s), e.g. bout onsets or offsets on the neural clock.
    window
        Start and stop of the window relative to each event (s).
    bin_size
        Bin width (s); the window must hold a whole number of bins.
    event_name
        Stored in ``attrs["event"]``.
    recording_range
        When given, events whose window leaves this (start, stop) range are left out.

    Raises
    ------
    ValueError
        When the window does not hold a whole number of bins (the last bin would
        run past the window, and past ``recording_range``).

    Returns
    -------
    xarray.Dataset
        ``counts`` (unit, event, time) int32 per-event binned counts (Zarr-ready);
        ``rate_mean`` and ``rate_sem`` (unit, time) in Hz; ``n_events``. ``time`` holds
        the bin centres relative to the event, ``event_time`` the event times.
    """
    bins = (window[1] - window[0]) / bin_size
    n_bins = int(_whole_steps(bins, np.floor))
    if n_bins < 1 or n_bins != _whole_steps(bins, np.ceil):
        raise ValueError(
            f"a window of {window[1] - window[0]:g} s does not hold a whole number of {bin_size:g} s bins: "
            "change the window or the bin size"
        )
    events = np.asarray(event_times, dtype=np.float64)
    events = events[np.isfinite(events)]
    if recording_range is not None:
        events = events[(events + window[0] >= recording_range[0]) & (events + window[1] <= recording_range[1])]
    edges = window[0] + np.arange(n_bins + 1) * bin_size
    queries = (events[:, None] + edges[None, :]).ravel()
    counts = np.empty((units.n_units, events.size, edges.size - 1), dtype=np.int32)
    for position in range(units.n_units):
        positions = np.searchsorted(units.spike_train(position), queries).reshape(events.size, edges.size)
        counts[position] = np.diff(positions, axis=1)
    rates = counts / bin_size
    n_events = events.size
    sem = rates.std(axis=1, ddof=1) / np.sqrt(n_events) if n_events > 1 else np.full(rates.shape[::2], np.nan)
    return xr.Dataset(
        {
            "counts": (("unit", "event", "time"), counts),
            "rate_mean": (
                ("unit", "time"),
                rates.mean(axis=1) if n_events else np.full((units.n_units, edges.size - 1), np.nan),
            ),
            "rate_sem": (("unit", "time"), sem),
            "n_events": ((), n_events),
        },
        coords={
            "unit": units.unit_ids,
            "event": np.arange(n_events),
            "event_time": ("event", events),
            "time": (edges[:-1] + edges[1:]) / 2,
        },
        attrs={"event": event_name, "window": list(window), "bin_size": bin_size, "clock": units.clock},
    )


def event_triggered_average(
    traces: xr.DataArray,
    event_times: np.ndarray,
    *,
    window: tuple[float, float] = (-1.0, 2.0),
    step: float | None = None,
    event_name: str = "event",
) -> xr.Dataset:
    """Trace segments around events (linear interpolation), with their mean, SEM and n.

    Parameters
    ----------
    traces
        (time, channel) traces (calcium, LFP) on the same clock as the events.
    event_times
        Event times (s).
    window
        Window relative to each event (s). Lags are the whole multiples of ``step`` in it,
        endpoints included: an endpoint within 1e-6 of a step of a multiple is that multiple.
    step
        Lag spacing (s); defaults to the trace's sampling interval.

    Returns
    -------
    xarray.Dataset
        ``segments`` (channel, event, lag), NaN where the window leaves the recording;
        ``mean``, ``sem`` and ``n`` (channel, lag) over events.
    """
    times = traces["time"].to_numpy().astype(np.float64)
    values = traces.transpose("time", "channel").to_numpy().astype(np.float64)
    step = step or float(np.median(np.diff(times)))
    lags = _lag_grid(window, step)
    events = np.asarray(event_times, dtype=np.float64)
    queries = events[:, None] + lags[None, :]
    right = np.clip(np.searchsorted(times, queries), 1, times.size - 1)
    left = right - 1
    fraction = ((queries - times[left]) / (times[right] - times[left]))[..., None]
    segments = values[left] * (1 - fraction) + values[right] * fraction
    outside = (queries < times[0]) | (queries > times[-1])
    segments[outside] = np.nan
    segments = np.moveaxis(segments, 2, 0)
    n = np.sum(np.isfinite(segments), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(segments, axis=1) / n
        squares = np.nansum((segments - mean[:, None, :]) ** 2, axis=1)
        sem = np.where(n > 1, np.sqrt(squares / np.maximum(n - 1, 1)) / np.sqrt(n), np.nan)
    return xr.Dataset(
        {
            "segments": (("channel", "event", "lag"), segments),
            "mean": (("channel", "lag"), mean),
            "sem": (("channel", "lag"), sem),
            "n": (("channel", "lag"), n),
        },
        coords={
            "channel": traces["channel"].to_numpy(),
            "event": np.arange(events.size),
            "event_time": ("event", events),
            "lag": lags,
        },
        attrs={"event": event_name, "window": list(window), "step": step, "clock": traces.attrs.get("clock", "")},
    )


def _lag_grid(window: tuple[float, float], step: float) -> np.ndarray:
    first = _whole_steps(window[0] / step, np.ceil)
    last = _whole_steps(window[1] / step, np.floor)
    return np.arange(first, last + 1) * step


def _whole_steps(steps: float, rounding: Callable[[float], float]) -> float:
    """``steps`` rounded to the nearest whole number when within 1e-6 of it, else by ``rounding``."""
    nearest = np.round(steps)
    return nearest if abs(steps - nearest) <= 1e-6 else rounding(steps)
