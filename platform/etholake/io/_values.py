"""Check pose values as read: infinite values are refused, probabilities outside 0-1 are not called probabilities.

Infinite values come from a corrupted file (random bytes in an HDF5 table, a
number beyond float32's range) and would otherwise enter the lake as valid points.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.schema.pose import POSE_DIMS

PROBABILITY_SLACK = 1e-6


def require_plausible_values(path: str | Path, ds: xr.Dataset) -> xr.Dataset:
    """Check the values of a pose dataset read from ``path``; return it, with its confidence kind corrected.

    Positions and confidences must be finite or NaN, else :class:`InputFileError`
    names the first infinite one. Confidences of kind ``"probability"`` outside
    [0, 1] (give or take :data:`PROBABILITY_SLACK`) are not probabilities: a
    warning names the first one and the kind becomes ``"score"`` (a SLEAP score
    written into a DeepLabCut likelihood column, or a damaged file).
    """
    for variable, dims in (("position", POSE_DIMS), ("confidence", POSE_DIMS[:1] + POSE_DIMS[2:])):
        values = ds[variable].values
        if np.isinf(values).any():
            bad = np.isinf(values)
            raise InputFileError(
                path,
                f"{variable} has {_count(bad, 'infinite value')} (first at {_where(ds, bad, dims)}): the file "
                "holds inf, or a number beyond float32's range (3.4e38); it looks corrupted",
            )
    confidence = ds["confidence"].values
    if ds.attrs.get("confidence_kind") != "probability":
        return ds
    bad = (confidence > 1 + PROBABILITY_SLACK) | (confidence < -PROBABILITY_SLACK)
    if bad.any():
        first = confidence[np.unravel_index(np.flatnonzero(bad)[0], bad.shape)]
        warnings.warn(
            f"{path}: {_count(bad, 'confidence value')} outside [0, 1] (first {first:g} at "
            f"{_where(ds, bad, ('time', 'keypoint', 'individual'))}): not probabilities, kept as "
            "confidence_kind 'score' (scores of another tool, or a damaged file)",
            stacklevel=3,
        )
        ds.attrs["confidence_kind"] = "score"
    return ds


def _count(bad: np.ndarray, noun: str) -> str:
    n = int(bad.sum())
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _where(ds: xr.Dataset, bad: np.ndarray, dims: tuple[str, ...]) -> str:
    """Where the first flagged cell is: its frame number and its keypoint and individual names."""
    index = dict(zip(dims, np.unravel_index(np.flatnonzero(bad)[0], bad.shape)))
    frame = int(ds["frame"].values[index["time"]])
    keypoint = str(ds["keypoint"].values[index["keypoint"]])
    individual = str(ds["individual"].values[index["individual"]])
    return f"frame {frame}, keypoint {keypoint!r}, individual {individual!r}"
