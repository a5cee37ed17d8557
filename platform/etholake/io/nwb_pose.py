"""NWB files with ndx-pose ``PoseEstimation`` objects (ndx-pose 0.1.x to 0.4).

The ndx-pose layout is read straight from the HDF5 groups the extension
defines (``PoseEstimation`` holding ``PoseEstimationSeries`` with ``data``,
``confidence`` and ``timestamps`` or ``starting_time`` + ``rate``), as the
file's cached namespace describes it. This deliberately avoids pynwb's
process-wide class registry: once ``ndx_pose`` 0.4 is imported anywhere in
the process, pynwb refuses files written with ndx-pose <= 0.3 whose
``PoseEstimation`` links several cameras, even with ``load_namespaces=True``.
Tests check the values against pynwb reading with ``load_namespaces=True``.

Several ``PoseEstimation`` objects: by default all are read and merged, one
individual each (keypoints are the union, NaN where an object lacks one); they
must share timestamps, otherwise choose one with ``nwb_pose_estimation=``.
Each object's individual is, in order of preference: the individual named in
DLC2NWB series descriptions ("Keypoint snout from individual ind1."), the
subject of its skeleton, the file's subject (single object only), or the
object's name. Individuals keep the order the descriptions give when every
object's ends in "(individual <i> of <n>)", as etholake writes them;
otherwise they come in HDF5's order, by name.

Timestamps are kept as they are (seconds). Files whose timestamps are just the
frame numbers 0, 1, 2, ... (DLC2NWB without a video) are recognised: those
numbers become ``frame`` and ``time`` is ``frame / fps`` (NaN without ``fps``),
with a warning. Attributes hold plain strings and numbers only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import open_hdf5, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import build_pose

_WRITTEN_ORDER = re.compile(r"\(individual (\d+) of (\d+)\)$")
_DLC2NWB_DESCRIPTION = re.compile(r"^Keypoint (?P<keypoint>.+) from individual (?P<individual>.+)\.$")
_UNITS = {"pixels": "px", "pixel": "px", "px": "px", "mm": "mm", "millimeters": "mm", "millimetres": "mm"}
_PROBABILITY_TOOLS = ("deeplabcut", "lightningpose", "lightning pose", "lightning-pose")


@dataclass
class _Estimation:
    name: str
    individual: str
    keypoints: list[str]
    position: np.ndarray
    confidence: np.ndarray
    timestamps: np.ndarray
    rate: float | None
    units: str
    source_software: str
    fake_timestamps: bool


def read_nwb_pose(
    path: str | Path,
    *,
    fps: float | None = None,
    nwb_pose_estimation: str | Sequence[str] | None = None,
) -> xr.Dataset:
    """Read the pose estimates of an NWB file.

    Parameters
    ----------
    path
        The ``.nwb`` file (HDF5 backend).
    fps
        Frame rate; by default the series' ``rate``, else 1 / median timestamp step.
    nwb_pose_estimation
        Name (or names) of the ``PoseEstimation`` object(s) to read; default all.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset; attribute ``nwb_pose_estimation`` lists the objects read.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the ndx-pose data"):
        groups = _chosen_groups(path, handle, nwb_pose_estimation)
        file_subject = _subject_id(handle.get("general/subject"))
        estimations = [_read_estimation(path, g, file_subject if len(groups) == 1 else None) for g in groups]
    return _merge(path, estimations, fps)


def nwb_pose_extent(
    path: str | Path, *, nwb_pose_estimation: str | Sequence[str] | None = None
) -> tuple[int, float | None]:
    """Frames an NWB file's pose covers and the frame rate it states, read from its clock alone.

    Only the first chosen ``PoseEstimation``'s first series is looked at: its
    length and its ``timestamps`` (or ``starting_time`` and ``rate``), not
    the positions; :func:`read_nwb_pose` checks the other objects against it.

    Returns
    -------
    (int, float or None)
        The last frame number + 1 and the frame rate, as :func:`read_nwb_pose`
        gives them without ``fps``: None for timestamps that are only frame numbers.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the ndx-pose data"):
        group = _chosen_groups(path, handle, nwb_pose_estimation)[0]
        names, series, n_time, _ = _pose_series(path, group)
        timestamps, rate, fake = _clock(path, group, series[names[0]], n_time)
    if fake:
        return int(timestamps[-1]) + 1, None
    return n_time, rate or _rate_from_timestamps(timestamps)


def _chosen_groups(path: Path, handle: h5py.File, nwb_pose_estimation: str | Sequence[str] | None) -> list[h5py.Group]:
    if _text(handle.attrs.get("neurodata_type")) != "NWBFile":
        raise InputFileError(path, "is HDF5 but not an NWB file (no NWBFile root)")
    groups = _pose_estimation_groups(handle)
    if not groups:
        raise InputFileError(path, "holds no ndx-pose PoseEstimation object")
    return _select(path, groups, nwb_pose_estimation)


def _pose_estimation_groups(handle: h5py.File) -> list[h5py.Group]:
    found: list[h5py.Group] = []

    def visit(name: str, obj: h5py.HLObject) -> None:
        if isinstance(obj, h5py.Group) and _text(obj.attrs.get("neurodata_type")) == "PoseEstimation":
            found.append(obj)

    handle.visititems(visit)
    return _in_written_order(found)


def _in_written_order(groups: list[h5py.Group]) -> list[h5py.Group]:
    """The groups in the order their descriptions give ("(individual 2 of 3)"), when all give one; else as listed."""
    marks = []
    for group in groups:
        description = _text(group["description"][()]) if "description" in group else ""
        mark = _WRITTEN_ORDER.search(description or "")
        marks.append((int(mark.group(1)), int(mark.group(2))) if mark else None)
    if None in marks or sorted(marks) != [(i, len(groups)) for i in range(1, len(groups) + 1)]:
        return groups
    return [group for _, group in sorted(zip(marks, groups, strict=True), key=lambda pair: pair[0])]


def _select(path: Path, groups: list[h5py.Group], chosen: str | Sequence[str] | None) -> list[h5py.Group]:
    if chosen is None:
        return groups
    wanted = [chosen] if isinstance(chosen, str) else list(chosen)
    by_name = {g.name.rsplit("/", 1)[-1]: g for g in groups} | {g.name: g for g in groups}
    missing = [w for w in wanted if w not in by_name]
    if missing:
        available = ", ".join(g.name for g in groups)
        raise InputFileError(path, f"has no PoseEstimation named {missing} (available: {available})")
    return [by_name[w] for w in wanted]


def _pose_series(path: Path, group: h5py.Group) -> tuple[list[str], dict[str, h5py.Group], int, int]:
    """A PoseEstimation's series names in node order, the series by name, their length and their width."""
    series = {
        key: child
        for key, child in group.items()
        if isinstance(child, h5py.Group) and _text(child.attrs.get("neurodata_type")) == "PoseEstimationSeries"
    }
    if not series:
        raise InputFileError(path, f"PoseEstimation {group.name} holds no PoseEstimationSeries")
    names = _node_order(group, list(series))
    lengths = {series[n]["data"].shape[0] for n in names}
    widths = {series[n]["data"].shape[1] if series[n]["data"].ndim == 2 else 0 for n in names}
    if len(lengths) != 1 or len(widths) != 1 or widths - {2, 3}:
        raise InputFileError(path, f"series of {group.name} differ in length or are not (time, 2|3) arrays")
    return names, series, lengths.pop(), widths.pop()


def _clock(path: Path, group: h5py.Group, first: h5py.Group, n_time: int) -> tuple[np.ndarray, float | None, bool]:
    """A PoseEstimation's timestamps, rate, and whether the timestamps are only frame numbers (DLC2NWB, no video)."""
    timestamps, rate = _timestamps(path, first, n_time)
    originals = [_text(v) for v in group["original_videos"][()]] if "original_videos" in group else []
    integer_steps = n_time > 1 and np.array_equal(timestamps, np.arange(n_time, dtype=np.float64) + timestamps[0])
    return timestamps, rate, bool(integer_steps and (originals == ["fake_path"] or rate is None))


def _read_estimation(path: Path, group: h5py.Group, file_subject: str | None) -> _Estimation:
    name = group.name.rsplit("/", 1)[-1]
    names, series, n_time, n_space = _pose_series(path, group)
    position = np.empty((n_time, n_space, len(names), 1), dtype=np.float32)
    confidence = np.full((n_time, len(names), 1), np.nan, dtype=np.float32)
    for k, key in enumerate(names):
        data = series[key]["data"]
        values = data[()].astype(np.float64)
        conversion, offset = float(data.attrs.get("conversion", 1.0)), float(data.attrs.get("offset", 0.0))
        position[:, :, k, 0] = values * conversion + offset
        if "confidence" in series[key]:
            confidence[:, k, 0] = series[key]["confidence"][()]
    first = series[names[0]]
    timestamps, rate, fake_timestamps = _clock(path, group, first, n_time)
    keypoints, individual = _individual(names, [_text(series[n].attrs.get("description")) or "" for n in names])
    if individual is None:
        individual = _subject_id(_skeleton(group)) or file_subject or name
    return _Estimation(
        name=name,
        individual=individual,
        keypoints=keypoints,
        position=position,
        confidence=confidence,
        timestamps=timestamps,
        rate=rate,
        units=_text(first["data"].attrs.get("unit")) or "pixels",
        source_software=_scalar_text(group, "source_software") or "unknown",
        fake_timestamps=fake_timestamps,
    )


def _node_order(group: h5py.Group, series_names: list[str]) -> list[str]:
    skeleton = _skeleton(group)
    for source in (group.get("nodes"), skeleton.get("nodes") if skeleton is not None else None):
        if isinstance(source, h5py.Dataset):
            nodes = [_text(v) for v in source[()]]
            if sorted(nodes) == sorted(series_names):
                return nodes
    return series_names


def _skeleton(group: h5py.Group) -> h5py.Group | None:
    for child in group.values():
        if isinstance(child, h5py.Group) and _text(child.attrs.get("neurodata_type")) == "Skeleton":
            return child
    return None


def _subject_id(group: h5py.Group | None) -> str | None:
    if group is None:
        return None
    subject = group.get("subject") if _text(group.attrs.get("neurodata_type")) == "Skeleton" else group
    if isinstance(subject, h5py.Group) and "subject_id" in subject:
        return _scalar_text(subject, "subject_id") or None
    return None


def _individual(names: list[str], descriptions: list[str]) -> tuple[list[str], str | None]:
    matches = [_DLC2NWB_DESCRIPTION.match(d) for d in descriptions]
    if all(matches) and len({m.group("individual") for m in matches}) == 1:
        keypoints = [m.group("keypoint") for m in matches]
        if len(set(keypoints)) == len(keypoints):
            return keypoints, matches[0].group("individual")
    return names, None


def _timestamps(path: Path, series: h5py.Group, n_time: int) -> tuple[np.ndarray, float | None]:
    if "timestamps" in series:
        timestamps = series["timestamps"][()].astype(np.float64)
        if timestamps.shape != (n_time,):
            raise InputFileError(path, f"{series.name} has {timestamps.size} timestamps for {n_time} samples")
        return timestamps, None
    if "starting_time" in series:
        start = series["starting_time"]
        rate = float(start.attrs["rate"])
        return float(start[()]) + np.arange(n_time) / rate, rate
    raise InputFileError(path, f"{series.name} has neither timestamps nor starting_time")


def _merge(path: Path, estimations: list[_Estimation], fps: float | None) -> xr.Dataset:
    reference = estimations[0]
    for other in estimations[1:]:
        same = other.timestamps.shape == reference.timestamps.shape and np.allclose(
            other.timestamps, reference.timestamps, equal_nan=True
        )
        if not same:
            raise InputFileError(
                path,
                f"PoseEstimation objects {reference.name} and {other.name} have different timestamps; "
                "choose one with nwb_pose_estimation=",
            )
    if len({e.position.shape[1] for e in estimations}) != 1:
        raise InputFileError(
            path, "PoseEstimation objects mix 2-D and 3-D points; choose one with nwb_pose_estimation="
        )
    keypoints = list(dict.fromkeys(k for e in estimations for k in e.keypoints))
    individuals = _unique_individuals(path, estimations)
    n_time, n_space = reference.position.shape[:2]
    position = np.full((n_time, n_space, len(keypoints), len(individuals)), np.nan, dtype=np.float32)
    confidence = np.full((n_time, len(keypoints), len(individuals)), np.nan, dtype=np.float32)
    for i, estimation in enumerate(estimations):
        columns = [keypoints.index(k) for k in estimation.keypoints]
        position[:, :, columns, i] = estimation.position[..., 0]
        confidence[:, columns, i] = estimation.confidence[..., 0]
    units = _units(path, {e.units for e in estimations})
    software = {e.source_software for e in estimations}
    source_software = software.pop() if len(software) == 1 else "+".join(sorted(software))
    has_confidence = bool(np.any(~np.isnan(confidence)))
    frames, times, fps = _time_axis(path, reference, fps)
    return build_pose(
        path,
        position,
        confidence if has_confidence else None,
        keypoints=keypoints,
        individuals=individuals,
        source_software=source_software,
        confidence_kind=_confidence_kind(source_software) if has_confidence else "none",
        fps=fps,
        frames=frames,
        times=times,
        units=units,
        extra_attrs={"nwb_pose_estimation": [e.name for e in estimations]},
    )


def _unique_individuals(path: Path, estimations: list[_Estimation]) -> list[str]:
    names = [e.individual for e in estimations]
    if len(set(names)) == len(names):
        return names
    warn_fixup(path, f"PoseEstimation objects share individual names {names}; named them by object instead")
    return [f"{e.individual}_{e.name}" if names.count(e.individual) > 1 else e.individual for e in estimations]


def _time_axis(path: Path, reference: _Estimation, fps: float | None) -> tuple[np.ndarray, np.ndarray, float | None]:
    n_time = reference.timestamps.size
    if reference.fake_timestamps:
        frames = reference.timestamps.astype(np.int64)
        warn_fixup(
            path,
            "timestamps are the frame numbers 0, 1, 2, ... (no video clock was recorded); they were used as "
            "'frame', and time is frame / fps" + ("" if fps else ", unknown (NaN) until fps= is given"),
        )
        times = frames / fps if fps else np.full(n_time, np.nan)
        return frames, times, fps
    if fps is None:
        fps = reference.rate or _rate_from_timestamps(reference.timestamps)
    return np.arange(n_time, dtype=np.int64), reference.timestamps, fps


def _rate_from_timestamps(timestamps: np.ndarray) -> float | None:
    steps = np.diff(timestamps)
    steps = steps[np.isfinite(steps)]
    if steps.size == 0 or np.median(steps) <= 0:
        return None
    return float(1.0 / np.median(steps))


def _units(path: Path, units: set[str]) -> str:
    mapped = {_UNITS.get(u.strip().lower()) for u in units}
    if len(mapped) == 1 and None not in mapped:
        return mapped.pop()
    warn_fixup(path, f"position unit(s) {sorted(units)} are not pixels or millimetres; recorded as 'px'")
    return "px"


def _confidence_kind(source_software: str) -> str:
    name = source_software.lower()
    return "probability" if any(tool in name for tool in _PROBABILITY_TOOLS) else "score"


def _scalar_text(group: h5py.Group, name: str) -> str | None:
    if name not in group:
        return None
    return _text(group[name][()])


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)
