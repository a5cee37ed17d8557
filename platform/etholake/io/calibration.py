"""Camera calibrations of multi-view rigs: aniposelib's ``calibration.toml``.

Anipose and sleap-anipose save a camera group as one TOML table per camera
(``[cam_0]``, ``[cam_1]``, ...) with ``name``, ``size`` (width, height),
``matrix`` (3 x 3 intrinsics), ``distortions``, ``rotation`` (Rodrigues
vector) and ``translation``, ``fisheye = true`` for fisheye cameras, and an
optional ``[metadata]`` table. Cameras are taken in the order aniposelib
loads them: table names sorted as strings.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import file_sha256, require_readable_file, start_sha256
from etholake.schema.calibration import make_calibration_dataset

CALIBRATION_FORMATS = ("anipose_toml",)
_CAMERA_KEYS = ("matrix", "distortions", "rotation", "translation", "size")
_SHAPES = {"matrix": (3, 3), "rotation": (3,), "translation": (3,), "size": (2,)}


def read_calibration(path: str | Path, format: str | None = None) -> xr.Dataset:
    """Read a camera calibration into the canonical calibration dataset.

    Parameters
    ----------
    path
        The calibration file.
    format
        ``"anipose_toml"`` (the only format for now); None detects it from the content.

    Returns
    -------
    xarray.Dataset
        See :mod:`etholake.schema.calibration`: one entry per camera along
        ``camera``, the file's ``[metadata]`` in ``attrs["metadata"]``.

    Raises
    ------
    InputFileError
        When the file is missing, empty, not TOML, or a camera lacks or garbles a parameter.
    ValueError
        For an unknown format name.

    Examples
    --------
    >>> calibration = read_calibration("calibration.toml")  # doctest: +SKIP
    >>> calibration.intrinsic_matrix.sel(camera="top")  # doctest: +SKIP
    """
    if format is not None and format not in CALIBRATION_FORMATS:
        raise ValueError(f"unknown calibration format {format!r}; known formats: {', '.join(CALIBRATION_FORMATS)}")
    path = require_readable_file(path)
    start_sha256(path)
    document = _load_toml(path)
    tables = _camera_tables(path, document)
    cameras = [str(table.get("name") or key) for key, table in tables]
    values = {name: [_array(path, key, table, name) for key, table in tables] for name in _SHAPES}
    distortions = [_distortions(path, key, table) for key, table in tables]
    padded = np.full((len(tables), max(d.size for d in distortions)), np.nan)
    for row, coefficients in zip(padded, distortions):
        row[: coefficients.size] = coefficients
    metadata = document.get("metadata", {})
    return make_calibration_dataset(
        cameras=cameras,
        image_size=np.stack(values["size"]),
        intrinsic_matrix=np.stack(values["matrix"]),
        distortion=padded,
        rotation=np.stack(values["rotation"]),
        translation=np.stack(values["translation"]),
        fisheye=np.array([bool(table.get("fisheye", False)) for _, table in tables]),
        attrs={
            "source_software": "aniposelib",
            "source_file": str(path.resolve()),
            "source_format": "anipose_toml",
            "metadata": metadata if isinstance(metadata, dict) else {"value": metadata},
            "source_sha256": file_sha256(path),
        },
    )


def detect_calibration_format(path: str | Path) -> str:
    """Return the calibration format of a file from its content.

    Raises
    ------
    InputFileError
        If the file is not a calibration etholake reads.
    """
    path = require_readable_file(path)
    _camera_tables(path, _load_toml(path))
    return "anipose_toml"


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputFileError(path, f"not text, so not an aniposelib calibration.toml ({error.reason})") from error
    except tomllib.TOMLDecodeError as error:
        raise InputFileError(path, f"not valid TOML, so not an aniposelib calibration.toml: {error}") from error


def _camera_tables(path: Path, document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The camera tables in aniposelib's order (keys sorted as strings), each with every parameter."""
    tables = [(key, document[key]) for key in sorted(document) if key != "metadata"]
    if not tables or not all(isinstance(table, dict) for _, table in tables):
        raise InputFileError(path, "holds no camera tables ([cam_0] with matrix, distortions, rotation, ...)")
    for key, table in tables:
        missing = [name for name in _CAMERA_KEYS if name not in table]
        if missing:
            raise InputFileError(path, f"camera [{key}] lacks {', '.join(missing)}")
    names = [str(table.get("name") or key) for key, table in tables]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputFileError(path, f"camera name(s) {', '.join(repeated)} appear more than once")
    return tables


def _array(path: Path, key: str, table: dict[str, Any], name: str) -> np.ndarray:
    try:
        values = np.asarray(table[name], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputFileError(path, f"camera [{key}] {name} is not numeric: {table[name]!r}") from error
    if values.shape != _SHAPES[name]:
        shape = " x ".join(map(str, _SHAPES[name]))
        raise InputFileError(path, f"camera [{key}] {name} must be {shape} numbers, found shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise InputFileError(path, f"camera [{key}] {name} holds NaN or infinite values")
    if name == "size" and not (np.all(values == np.round(values)) and np.all(values > 0)):
        raise InputFileError(path, f"camera [{key}] size must be a positive whole width and height: {table[name]}")
    return values


def _distortions(path: Path, key: str, table: dict[str, Any]) -> np.ndarray:
    try:
        values = np.asarray(table["distortions"], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise InputFileError(path, f"camera [{key}] distortions are not numeric: {table['distortions']!r}") from error
    if values.ndim != 1 or not 1 <= values.size <= 14 or not np.all(np.isfinite(values)):
        found = values.tolist()
        raise InputFileError(path, f"camera [{key}] distortions must be 1 to 14 finite numbers, found {found}")
    return values
