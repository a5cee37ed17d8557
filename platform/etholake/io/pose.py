"""Read any supported pose file into the canonical pose dataset.

:func:`read_pose` picks the reader from the registry :data:`POSE_FORMATS`,
by the ``format=`` name or by :func:`detect_pose_format`, which looks at the
content (HDF5 structure, CSV header rows, NWB root), never only at the file
extension. A file whose extension disagrees with its content is read by its
content, with a warning; a file passed with a ``format=`` it does not have
raises :class:`~etholake.errors.InputFileError` saying what it looks like.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import h5py
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import (
    is_hdf5,
    open_hdf5,
    read_header_rows,
    recording_source_sha256,
    require_readable_file,
    start_sha256,
    wrap_errors,
)
from etholake.io._pandas_hdf import pandas_keys
from etholake.io._values import require_plausible_values
from etholake.io.anipose import read_anipose_h5
from etholake.io.deepposekit import read_deepposekit_h5
from etholake.io.dlc import count_dlc_csv_frames, count_dlc_h5_frames, read_dlc_csv, read_dlc_h5
from etholake.io.leap import read_leap_h5
from etholake.io.lightningpose import MODEL_SCORER_SUFFIX, read_lightningpose_csv
from etholake.io.netcdf_pose import NETCDF3_SIGNATURES, read_netcdf_pose
from etholake.io.nwb_pose import nwb_pose_extent, read_nwb_pose
from etholake.io.simba_input import read_simba_csv, simba_header_rows
from etholake.io.sleap import (
    count_sleap_h5_frames,
    count_sleap_slp_frames,
    read_sleap_h5,
    read_sleap_slp,
    sleap_slp_fps,
)
from etholake.schema.checks import as_string_coord

PoseReader = Callable[..., xr.Dataset]

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

POSE_FORMATS: dict[str, PoseReader] = {
    "dlc_h5": read_dlc_h5,
    "dlc_csv": read_dlc_csv,
    "sleap_h5": read_sleap_h5,
    "sleap_slp": read_sleap_slp,
    "lightningpose_csv": read_lightningpose_csv,
    "nwb": read_nwb_pose,
    "anipose_h5": read_anipose_h5,
    "deepposekit_h5": read_deepposekit_h5,
    "leap_h5": read_leap_h5,
    "simba_csv": read_simba_csv,
    "netcdf": read_netcdf_pose,
}
"""Format name -> reader. Every reader takes the path and ``fps=`` plus its own options."""

FORMAT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "dlc_h5": (".h5", ".hdf5"),
    "dlc_csv": (".csv",),
    "sleap_h5": (".h5", ".hdf5"),
    "sleap_slp": (".slp",),
    "lightningpose_csv": (".csv",),
    "nwb": (".nwb",),
    "anipose_h5": (".h5", ".hdf5"),
    "deepposekit_h5": (".h5", ".hdf5"),
    "leap_h5": (".h5", ".hdf5"),
    "simba_csv": (".csv",),
    "netcdf": (".nc",),
}


def read_pose(
    path: str | Path,
    format: str | None = None,
    *,
    fps: float | None = None,
    individuals: Sequence[str] | None = None,
    sha256: bool = True,
    **options: object,
) -> xr.Dataset:
    """Read a pose file into a canonical pose dataset.

    Parameters
    ----------
    path
        A local file (HDF5 formats need random access: copy remote objects down first).
    format
        One of :data:`POSE_FORMATS`; detected from the content when None.
    fps
        Frame rate of the video. Needed for files that do not record one (else
        ``time`` is NaN); overrides the rate a file records (SLEAP .slp, NWB),
        with a warning when the two differ.
    individuals
        New names for the individuals, in file order.
    sha256
        Record the file's SHA-256 as ``source_sha256`` (hashed while the file
        is parsed); False skips the hash (``source_sha256`` is then empty),
        for a quick look.
    **options
        Format-specific options: ``key`` (dlc_h5), ``video`` (sleap_slp),
        ``nwb_pose_estimation`` (nwb: name(s) of the PoseEstimation objects;
        default all, merged as individuals), ``keypoints`` (anipose_h5,
        deepposekit_h5, leap_h5), ``units`` (anipose_h5), ``confidence_kind``
        (simba_csv).

    Returns
    -------
    xarray.Dataset
        ``position`` (time, space, keypoint, individual) and ``confidence``
        (time, keypoint, individual) float32 with coords ``time`` (s) and
        ``frame``; attrs ``fps``, ``source_software``, ``source_file``,
        ``source_sha256``, ``confidence_kind``, ``units``, ``source_format``.

    Raises
    ------
    InputFileError
        When the file is missing, empty, truncated, corrupted or not in the format.
    ValueError
        For an unknown format name, a bad ``fps`` or a wrong number of ``individuals``.
    TypeError
        For an option the format does not take.

    Examples
    --------
    >>> ds = read_pose("m3v1mp4DLC_resnet50_openfieldAug20shuffle1_30000.h5", fps=30)  # doctest: +SKIP
    >>> ds.position.sel(keypoint="snout", space="x")  # doctest: +SKIP
    """
    if "://" in str(path):
        raise InputFileError(path, "is a URL; copy the object to a local file first")
    path = require_readable_file(path)
    if sha256:
        start_sha256(path)
    if fps is not None and not (isinstance(fps, int | float) and fps > 0):
        raise ValueError(f"fps must be a positive number, got {fps!r}")
    name = format if format is not None else detect_pose_format(path)
    if name not in POSE_FORMATS:
        raise ValueError(f"unknown pose format {name!r}; known formats: {', '.join(POSE_FORMATS)}")
    reader = POSE_FORMATS[name]
    _check_options(name, reader, options)
    if format is None and path.suffix.lower() not in FORMAT_EXTENSIONS[name]:
        warnings.warn(f"{path}: content is {name} but the extension is {path.suffix!r}; read as {name}", stacklevel=2)
    try:
        with recording_source_sha256(sha256):
            ds = reader(path, fps=fps, **options)
    except InputFileError as error:
        if format is None:
            raise
        raise InputFileError(path, error.problem + _format_hint(path, format)) from error
    ds = require_plausible_values(path, ds)
    if fps is not None:
        _warn_overridden_fps(path, name, fps, options)
    ds.attrs["source_format"] = name
    timeless = ds.attrs.get("fps") is None and ds.sizes["time"] and ds["time"].isnull().all()
    if timeless and "image_path" not in ds.coords:
        warnings.warn(
            f"{path}: the file states no frame rate, so 'time' is NaN (frame numbers are in 'frame'); "
            "pass fps= to give times in seconds",
            stacklevel=2,
        )
    if individuals is not None:
        ds = _rename_individuals(ds, individuals)
    return ds


def count_pose_frames(path: str | Path, format: str, **options: Any) -> int | None:
    """Frames a pose file covers, read from its row index alone, for the formats that allow it.

    Parameters
    ----------
    path
        The pose file.
    format
        Its format name; DeepLabCut ``.h5`` and ``.csv``, LightningPose
        ``.csv``, SLEAP analysis ``.h5``, SLEAP ``.slp`` and NWB are counted
        without reading their values (NWB from its timestamps).
    **options
        The reader options (``key`` for ``dlc_h5``, ``video`` for ``sleap_slp``,
        ``nwb_pose_estimation`` for ``nwb``).

    Returns
    -------
    int or None
        The last frame number + 1 (the number of rows for labelled-frame
        files), as :func:`read_pose` would give it; None for other formats.
    """
    if format == "dlc_h5":
        return count_dlc_h5_frames(path, key=options.get("key"))
    if format in ("dlc_csv", "lightningpose_csv"):
        return count_dlc_csv_frames(path)
    if format == "sleap_h5":
        return count_sleap_h5_frames(path)
    if format == "sleap_slp":
        return count_sleap_slp_frames(path, video=options.get("video", 0))
    if format == "nwb":
        return nwb_pose_extent(path, nwb_pose_estimation=options.get("nwb_pose_estimation"))[0]
    return None


def stated_pose_fps(path: str | Path, format: str, **options: Any) -> float | None:
    """The frame rate a pose file states, read without its values, for the formats :func:`count_pose_frames` counts.

    Of those, SLEAP ``.slp`` files record one per video (``video`` option) and
    NWB files a ``rate`` or timestamps (not when those are only frame numbers);
    DeepLabCut, LightningPose and SLEAP analysis files state none.
    """
    if format == "sleap_slp":
        return sleap_slp_fps(path, video=options.get("video", 0))
    if format == "nwb":
        return nwb_pose_extent(path, nwb_pose_estimation=options.get("nwb_pose_estimation"))[1]
    return None


def pose_extent(path: str | Path, format: str, **options: Any) -> tuple[int, float | None] | None:
    """Frames a pose file covers and the frame rate it states, read together without its values.

    What :func:`count_pose_frames` and :func:`stated_pose_fps` give, with an
    NWB file's clock read once; None for the formats they do not count.
    """
    if format == "nwb":
        return nwb_pose_extent(path, nwb_pose_estimation=options.get("nwb_pose_estimation"))
    frames = count_pose_frames(path, format, **options)
    return None if frames is None else (frames, stated_pose_fps(path, format, **options))


def detect_pose_format(path: str | Path) -> str:
    """Return the pose format name of a file from its content.

    Raises
    ------
    InputFileError
        When the content matches no supported format (or the file is unreadable).
    """
    path = require_readable_file(path)
    if is_hdf5(path):
        with open_hdf5(path) as handle, wrap_errors(path, "cannot read the HDF5 structure"):
            return _detect_hdf5(path, handle)
    with open(path, "rb") as handle:
        start = handle.read(4096)
    if start[:4] in NETCDF3_SIGNATURES:
        return "netcdf"
    if HDF5_SIGNATURE.startswith(start[: len(HDF5_SIGNATURE)]):
        raise InputFileError(
            path,
            f"starts like an HDF5 file but is not a readable one ({len(start):,} byte{'s' * (len(start) != 1)}): "
            "it looks truncated",
        )
    if b"\x00" in start:
        raise InputFileError(path, "is neither HDF5 nor text (binary content): not a supported pose file")
    return _detect_csv(path, read_header_rows(path, 5))


def _detect_hdf5(path: Path, handle: h5py.File) -> str:
    names = set(handle.keys())
    if handle.attrs.get("neurodata_type") in ("NWBFile", b"NWBFile"):
        return "nwb"
    if handle.attrs.get("ds_type") in ("poses", b"poses") and "position" in names:
        return "netcdf"
    if {"metadata", "frames", "instances"} <= names:
        return "sleap_slp"
    if pandas_keys(handle):
        return "dlc_h5"
    if "tracks" in names and "node_names" in names:
        return "sleap_h5"
    if "positions_pred" in names:
        return "leap_h5"
    if "predictions" in names or {"annotations", "annotated"} <= names:
        return "deepposekit_h5"
    if "tracks" in names and isinstance(handle["tracks"], h5py.Dataset) and handle["tracks"].shape[-1:] == (3,):
        return "anipose_h5"
    listed = ", ".join(sorted(names)[:8]) or "nothing"
    raise InputFileError(path, f"is HDF5 but its content ({listed}) matches no supported pose format")


def _detect_csv(path: Path, header: list[list[str]]) -> str:
    if simba_header_rows(header) is not None:
        return "simba_csv"
    if header and header[0] and header[0][0].strip().lower() == "scorer":
        scorers = set(header[0][1:])
        coords = next((row for row in header if row and row[0].strip().lower() == "coords"), [])
        if any(s.endswith(MODEL_SCORER_SUFFIX) for s in scorers) or "set" in coords:
            return "lightningpose_csv"
        return "dlc_csv"
    first = ", ".join(repr(c) for c in (header[0][:3] if header and header[0] else []))
    raise InputFileError(path, f"header ({first}) matches no supported pose CSV layout")


def _warn_overridden_fps(path: Path, format: str, fps: float, options: dict[str, object]) -> None:
    """Warn when ``fps`` differs from the frame rate the file states (by more than 0.1%)."""
    stated = stated_pose_fps(path, format, **options)
    if stated is not None and abs(stated - fps) > 1e-3 * stated:
        warnings.warn(f"{path}: fps={fps:g} given overrides the {stated:.6g} fps the file states", stacklevel=3)


def _format_hint(path: Path, format: str) -> str:
    try:
        detected = detect_pose_format(path)
    except Exception:  # only a hint: whatever detection hits must not replace the reader's own error
        return ""
    if detected == format:
        return ""
    return f" (its content looks like {detected}: pass format={detected!r} or leave format out)"


def _check_options(name: str, reader: PoseReader, options: dict[str, object]) -> None:
    accepted = [p for p in inspect.signature(reader).parameters if p not in ("path", "fps")]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise TypeError(
            f"option(s) {unknown} do not apply to format {name!r} (it takes: {', '.join(accepted) or 'no options'})"
        )


def _rename_individuals(ds: xr.Dataset, individuals: Sequence[str]) -> xr.Dataset:
    names = list(individuals)
    if len(names) != ds.sizes["individual"]:
        raise ValueError(
            f"individuals= gives {len(names)} name(s) but the file holds {ds.sizes['individual']}: "
            f"{[str(v) for v in ds['individual'].values]}"
        )
    if len(set(names)) != len(names) or not all(names):
        raise ValueError(f"individuals= must be unique, non-empty names, got {names}")
    renamed = ds.assign_coords(individual=as_string_coord(names))
    renamed.attrs["original_individuals"] = [str(v) for v in ds["individual"].values]
    return renamed
