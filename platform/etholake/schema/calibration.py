"""The canonical camera-calibration model: the cameras a 3-D pose was triangulated with.

Along ``camera`` (names unique): ``image_size`` (camera, image_axis = width,
height) int64 in pixels, ``intrinsic_matrix`` (camera, matrix_row,
matrix_column) float64, ``distortion`` (camera, coefficient) float64 in
OpenCV's order (k1, k2, p1, p2, k3 for pinhole cameras; k1-k4 for fisheye
ones), NaN past a camera's own coefficients, ``rotation`` (camera, axis)
float64, the Rodrigues vector from world to camera coordinates,
``translation`` (camera, axis) float64 in the world's units (those of the
calibration board), and ``fisheye`` (camera) bool. Attributes follow
``schemas/calibration.v1.json``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.schema.checks import (
    as_string_coord,
    described,
    require_dims,
    require_dtype,
    require_schema_attrs,
    require_unique_strings,
)

CALIBRATION_SCHEMA = "etholake.calibration/1"
CALIBRATION_ATTRS_SCHEMA = "calibration.v1.json"
_VARIABLES = {
    "image_size": (("camera", "image_axis"), "iu"),
    "intrinsic_matrix": (("camera", "matrix_row", "matrix_column"), "f"),
    "distortion": (("camera", "coefficient"), "f"),
    "rotation": (("camera", "axis"), "f"),
    "translation": (("camera", "axis"), "f"),
    "fisheye": (("camera",), "b"),
}


def make_calibration_dataset(
    *,
    cameras: Sequence[str],
    image_size: np.ndarray,
    intrinsic_matrix: np.ndarray,
    distortion: np.ndarray,
    rotation: np.ndarray,
    translation: np.ndarray,
    fisheye: np.ndarray,
    attrs: dict,
) -> xr.Dataset:
    """Build and validate a canonical calibration dataset.

    Parameters
    ----------
    cameras
        Camera names.
    image_size, intrinsic_matrix, distortion, rotation, translation, fisheye
        Per camera: (n, 2) pixels, (n, 3, 3), (n, k) NaN-padded, (n, 3), (n, 3), (n,).
    attrs
        ``source_software``, ``source_file``, ``source_format`` and optionally
        ``source_sha256`` and ``metadata``; ``schema`` is set here.

    Returns
    -------
    xarray.Dataset
        A dataset that passes :func:`validate_calibration`.
    """
    arrays = {
        "image_size": np.asarray(image_size, dtype=np.int64),
        "intrinsic_matrix": np.asarray(intrinsic_matrix, dtype=np.float64),
        "distortion": np.asarray(distortion, dtype=np.float64),
        "rotation": np.asarray(rotation, dtype=np.float64),
        "translation": np.asarray(translation, dtype=np.float64),
        "fisheye": np.asarray(fisheye, dtype=bool),
    }
    ds = xr.Dataset(
        {name: (_VARIABLES[name][0], values) for name, values in arrays.items()},
        coords={
            "camera": as_string_coord(cameras),
            "image_axis": as_string_coord(["width", "height"]),
            "axis": as_string_coord(["x", "y", "z"]),
        },
        attrs={**attrs, "schema": CALIBRATION_SCHEMA},
    )
    return validate_calibration(ds)


def validate_calibration(ds: xr.Dataset) -> xr.Dataset:
    """Check that ``ds`` follows the canonical calibration model; return it unchanged.

    Raises
    ------
    SchemaError
        With a message that says exactly which part is wrong.
    """
    what = described(ds, "calibration")
    for name, (dims, kinds) in _VARIABLES.items():
        require_dims(ds, name, dims, what)
        require_dtype(ds, name, kinds, what)
    require_unique_strings(ds, "camera", what)
    require_schema_attrs(ds, CALIBRATION_ATTRS_SCHEMA, what)
    shapes = {"image_axis": 2, "matrix_row": 3, "matrix_column": 3, "axis": 3}
    wrong = {dim: ds.sizes[dim] for dim, size in shapes.items() if ds.sizes[dim] != size}
    if wrong:
        raise SchemaError(f"{what}: dimension sizes {wrong}, expected {shapes}")
    for name in ("image_size", "intrinsic_matrix", "rotation", "translation"):
        values = np.asarray(ds[name].values)
        if not np.all(np.isfinite(values)):
            raise SchemaError(f"{what}: '{name}' holds NaN or infinite values")
    if np.any(np.asarray(ds["image_size"].values) <= 0):
        raise SchemaError(f"{what}: 'image_size' must be positive")
    return ds
