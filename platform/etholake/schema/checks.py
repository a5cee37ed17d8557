"""Small reusable checks shared by the dataset validators."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xarray as xr

from etholake.errors import SchemaError


def require_dims(ds: xr.Dataset, variable: str, dims: tuple[str, ...], what: str) -> None:
    """Raise unless ``ds[variable]`` exists with exactly ``dims``."""
    if variable not in ds.data_vars:
        raise SchemaError(f"{what}: missing data variable '{variable}'")
    found = ds[variable].dims
    if found != dims:
        raise SchemaError(f"{what}: '{variable}' has dims {found}, expected {dims}")


def require_dtype(ds: xr.Dataset, variable: str, kinds: str, what: str) -> None:
    """Raise unless ``ds[variable].dtype.kind`` is one of ``kinds``."""
    kind = ds[variable].dtype.kind
    if kind not in kinds:
        raise SchemaError(f"{what}: '{variable}' has dtype {ds[variable].dtype}, expected kind in {kinds!r}")


def require_attrs(ds: xr.Dataset, names: Iterable[str], what: str) -> None:
    """Raise naming every attribute of ``names`` that ``ds`` lacks."""
    missing = [name for name in names if name not in ds.attrs]
    if missing:
        raise SchemaError(f"{what}: missing attribute(s) {', '.join(missing)}")


def require_unique_strings(ds: xr.Dataset, coord: str, what: str) -> None:
    """Raise unless coordinate ``coord`` holds unique, non-empty strings."""
    if coord not in ds.coords:
        raise SchemaError(f"{what}: missing coordinate '{coord}'")
    values = [str(v) for v in ds[coord].values]
    if any(not v for v in values):
        raise SchemaError(f"{what}: empty name in coordinate '{coord}'")
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise SchemaError(f"{what}: duplicate {coord} name(s) {', '.join(duplicates)}")


def require_time_axis(ds: xr.Dataset, what: str) -> None:
    """Raise unless ``time`` (float seconds) and ``frame`` (int) are coordinates along time."""
    for coord, kind in (("time", "f"), ("frame", "iu")):
        if coord not in ds.coords:
            raise SchemaError(f"{what}: missing coordinate '{coord}'")
        if ds[coord].dims != ("time",):
            raise SchemaError(f"{what}: coordinate '{coord}' must lie along 'time', found dims {ds[coord].dims}")
        if ds[coord].dtype.kind not in kind:
            raise SchemaError(f"{what}: coordinate '{coord}' has dtype {ds[coord].dtype}")
    frames = np.asarray(ds["frame"].values)
    if frames.size > 1 and np.any(np.diff(frames) <= 0) and "image_path" not in ds.coords:
        raise SchemaError(f"{what}: 'frame' must increase strictly along time")


def as_string_coord(values: Iterable[object]) -> np.ndarray:
    """Return ``values`` as an object array of ``str`` (Zarr v3 needs variable-length strings)."""
    return np.array([str(v) for v in values], dtype=object)
