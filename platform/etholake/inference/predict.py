"""Batch prediction of one session: probabilities in time chunks, then bouts, as one annotations dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

ANNOTATIONS_SCHEMA = "etholake.annotations/1"
PREDICT_CHUNK = 1 << 16


def predict_probability(bundle, features: xr.Dataset, chunk: int = PREDICT_CHUNK) -> xr.DataArray:
    """Per-frame probabilities of every behavior, predicted ``chunk`` frames at a time.

    Parameters
    ----------
    bundle
        A :class:`etholake.models.bundle.ModelBundle` (it checks the feature names).
    features
        Features dataset, in memory or lazily opened from the lake.
    chunk
        Frames per prediction call: memory is bounded by the chunk, not the session.

    Returns
    -------
    xarray.DataArray
        float32 (time, behavior), NaN where no feature could be computed.
    """
    bundle.check_features(features)
    pieces = [
        bundle.predict_probability(features.isel(time=slice(start, start + chunk)).load())
        for start in range(0, max(features.sizes["time"], 1), chunk)
    ]
    probability = xr.concat(pieces, dim="time") if len(pieces) > 1 else pieces[0]
    probability.attrs["fps"] = _session_fps(bundle, features)
    return probability


def _session_fps(bundle, features: xr.Dataset) -> float | None:
    """The session's frame rate: the features' own, else their time steps', else the model's."""
    if features.attrs.get("fps"):
        return float(features.attrs["fps"])
    times = np.asarray(features["time"].values, dtype=float)
    steps = np.diff(times[np.isfinite(times)])
    return float(1.0 / np.median(steps)) if steps.size else bundle.fps


def lazy_probability(bundle, features: xr.Dataset) -> xr.DataArray:
    """Per-frame probabilities of every behavior as a dask-backed DataArray, one task per features chunk.

    Built on the features' own dask graph (``features`` must be dask-backed): computed
    together with the features' storage (:func:`etholake.lake.stage_dataset_computing`),
    each features chunk is computed once, stored and predicted, then released.
    """
    bundle.check_features(features)
    values = features["features"].data
    probability = values.map_blocks(
        bundle.predict_values,
        dtype=np.float32,
        chunks=(values.chunks[0], (len(bundle.behaviors),)),
        meta=np.empty((0, 0), np.float32),
    )
    coords = {name: coord for name, coord in features["features"].coords.items() if "feature" not in coord.dims}
    return xr.DataArray(
        probability,
        dims=("time", "behavior"),
        coords={**coords, "behavior": np.array(bundle.behaviors, dtype=object)},
        attrs={"fps": _session_fps(bundle, features)},
    )


def annotations_dataset(
    probability: xr.DataArray, predicted: xr.DataArray, *, model_name: str, model_version: int, model_sha256: str
) -> xr.Dataset:
    """The annotations asset: ``probability`` float32 and ``predicted`` bool, both (time, behavior)."""
    return xr.Dataset(
        {"probability": probability.astype(np.float32), "predicted": predicted.astype(bool)},
        attrs={
            "schema": ANNOTATIONS_SCHEMA,
            "model_name": model_name,
            "model_version": int(model_version),
            "model_sha256": model_sha256,
            "fps": probability.attrs.get("fps"),
        },
    )


def annotate_session(bundle, features: xr.Dataset, *, model_name: str, model_version: int, model_sha256: str):
    """Probabilities, post-processed predictions and bouts of one session.

    Returns
    -------
    (annotations, bouts)
        The annotations dataset and the bouts DataFrame (columns of
        :data:`etholake.inference.bouts.BOUT_COLUMNS`).
    """
    probability = predict_probability(bundle, features)
    return annotate_probability(
        bundle, probability, model_name=model_name, model_version=model_version, model_sha256=model_sha256
    )


def annotate_probability(
    bundle, probability: xr.DataArray, *, model_name: str, model_version: int, model_sha256: str
) -> tuple[xr.Dataset, pd.DataFrame]:
    """Post-process computed probabilities (time, behavior) into the annotations dataset and the bouts table.

    The model's bout settings (frames at the frame rate it was trained at) keep their
    lengths in seconds on a session filmed at another rate.
    """
    from etholake.inference.bouts import annotate

    fps = probability.attrs.get("fps")
    settings = bundle.settings
    if bundle.fps and fps:
        settings = {behavior: each.at_frame_rate(bundle.fps, fps) for behavior, each in settings.items()}
    predicted, bouts = annotate(probability, settings, fps=fps)
    dataset = annotations_dataset(
        probability, predicted, model_name=model_name, model_version=model_version, model_sha256=model_sha256
    )
    return dataset, pd.DataFrame(bouts)
