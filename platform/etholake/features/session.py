"""Whole-session statistics: an explicit second pass over a features dataset.

SimBA adds each feature's deviation from the video's mean and its percentile rank within
the video. Both depend on the whole session, so they are not part of a feature set (whose
values at frame t depend only on frames near t, and are identical however the session is
chunked or cut); ask for them here, after :func:`~etholake.features.compute_features`.
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatch

import numpy as np
import xarray as xr
from scipy.stats import rankdata

from etholake.errors import SchemaError

SESSION_STATS = ("deviation", "percentile_rank")


def session_statistics(features: xr.Dataset, select: Sequence[str], stats: Sequence[str] = SESSION_STATS) -> xr.Dataset:
    """Deviation from the session mean and percentile rank of the selected features.

    Parameters
    ----------
    features
        A dataset from :func:`~etholake.features.compute_features` (numpy or dask).
    select
        fnmatch patterns over feature names.
    stats
        ``"deviation"`` (value minus the session's mean, same unit) and/or
        ``"percentile_rank"`` (fraction of the session's valid frames with a value at or
        below this one, ties averaged, in (0, 1]). Missing frames stay NaN.

    Returns
    -------
    xarray.Dataset
        A features dataset holding only the new features (``<name>.deviation``,
        ``<name>.percentile_rank``, family ``session``), with the input's attributes.
    """
    unknown = sorted(set(stats) - set(SESSION_STATS))
    if unknown:
        raise SchemaError(f"unknown session statistic(s) {', '.join(unknown)}; choose from {', '.join(SESSION_STATS)}")
    names = [str(n) for n in features["feature"].values if any(fnmatch(str(n), g) for g in select)]
    chosen = features["features"].sel(feature=names)
    parts = []
    if "deviation" in stats:
        deviation = (chosen - chosen.mean("time", skipna=True)).astype(np.float32)
        parts.append(_renamed(deviation, "deviation", chosen["feature_unit"].values))
    if "percentile_rank" in stats:
        whole = chosen.chunk({"time": -1, "feature": 1}) if chosen.chunks else chosen
        rank = xr.apply_ufunc(
            _percentile_rank,
            whole,
            input_core_dims=[["time"]],
            output_core_dims=[["time"]],
            dask="parallelized",
            output_dtypes=[np.float32],
        ).transpose("time", "feature")
        parts.append(_renamed(rank, "percentile_rank", np.full(len(names), "1", dtype=object)))
    combined = xr.concat(parts, dim="feature") if parts else chosen.isel(feature=[])
    return xr.Dataset({"features": combined}, attrs=dict(features.attrs))


def _renamed(values: xr.DataArray, stat: str, units: np.ndarray) -> xr.DataArray:
    names = np.array([f"{name}.{stat}" for name in values["feature"].values], dtype=object)
    return values.assign_coords(
        feature=names,
        feature_unit=("feature", np.asarray(units, dtype=object)),
        feature_family=("feature", np.full(names.size, "session", dtype=object)),
    )


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    valid = np.isfinite(values)
    ranks = rankdata(np.where(valid, values, np.inf), axis=-1, method="average")
    counts = valid.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, ranks / counts, np.nan).astype(np.float32)
