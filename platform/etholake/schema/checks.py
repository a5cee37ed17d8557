"""Small reusable checks shared by the dataset validators."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import jsonschema
import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.resources import json_schema


def described(ds: xr.Dataset, model: str) -> str:
    """How errors name a dataset of ``model`` (``pose``, ``labels``, ...): by its source file when it has one."""
    return f"{model} dataset ({ds.attrs.get('source_file') or 'unnamed'})"


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


@cache
def _attrs_validator(schema_file: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json_schema(schema_file))


def _plain(value: Any) -> Any:
    """An attribute value as JSON sees it; NaN and infinities become strings, so no number check passes them."""
    if isinstance(value, np.generic | np.ndarray):
        value = value.tolist()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "required":
        return f"missing attribute {error.message.split(' is a required')[0]}"
    name = error.path[0] if error.path else "?"
    if error.validator == "const":
        return f"attribute {name!r} is {error.instance!r}, expected {error.validator_value!r}"
    return f"attribute {name!r}: {error.message}"


def require_schema_attrs(ds: xr.Dataset, schema_file: str, what: str) -> None:
    """Raise naming every attribute of ``ds`` that breaks the JSON Schema ``schemas/<schema_file>``.

    Numpy scalars and arrays are checked as the plain values they are stored as.
    """
    attrs = _plain(dict(ds.attrs))
    errors = sorted(_attrs_validator(schema_file).iter_errors(attrs), key=lambda e: (list(e.path), e.message))
    if errors:
        raise SchemaError(f"{what}: " + "; ".join(_describe(error) for error in errors))


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


def require_short_strings(ds: xr.Dataset, coord: str, what: str, max_length: int) -> None:
    """Raise if a name in coordinate ``coord`` is longer than ``max_length`` characters (what the catalog holds)."""
    too_long = next((str(v) for v in ds[coord].values if len(str(v)) > max_length), None)
    if too_long is not None:
        raise SchemaError(
            f"{what}: {coord} name {too_long[:32] + '...'!r} has {len(too_long)} characters, at most {max_length}"
        )


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
