"""SLEAP pose files: analysis ``.h5`` exports and ``.slp`` labels/predictions.

Analysis files store arrays in MATLAB (column-major) order by default:
``tracks`` is (tracks, 2, nodes, frames), ``point_scores`` (tracks, nodes,
frames), ``instance_scores`` (tracks, frames) and ``track_occupancy``
(frames, tracks). Files written by sleap-io name each dataset's axes in a JSON
``dims`` attribute, which is honoured when present; older files without it
follow the file's ``transpose`` attribute (MATLAB order unless it is false).

``.slp`` tables (frames, instances, points) are read with sleap-io's table
readers and assembled with numpy. Tracked instances become the track's
individual; untracked instances become separate individuals ``untracked_0``,
``untracked_1``, ... (by their order within each frame) with a warning. A
predicted instance replaced by a user-corrected copy is superseded by it;
any other instance that would share a frame and individual is reported.
Rows are the labelled video frames, so frames need not start at 0.

SLEAP scores are unbounded (they exceed 1): ``confidence_kind`` is
``"score"``. Points exported as ``0,0`` with zero score are missing (NaN).
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import xarray as xr

from etholake.errors import InputFileError
from etholake.io._files import open_hdf5, require_readable_file, warn_fixup, wrap_errors
from etholake.io._layout import build_pose, mask_zero_points

_MATLAB_DIMS = {
    "tracks": ("track", "xy", "node", "frame"),
    "point_scores": ("track", "node", "frame"),
    "instance_scores": ("track", "frame"),
    "track_occupancy": ("frame", "track"),
}
_PYTHON_DIMS = {
    "tracks": ("frame", "node", "xy", "track"),
    "point_scores": ("frame", "node", "track"),
    "instance_scores": ("frame", "track"),
    "track_occupancy": ("frame", "track"),
}
_USER, _PREDICTED = 0, 1


def read_sleap_h5(path: str | Path, *, fps: float | None = None) -> xr.Dataset:
    """Read a SLEAP analysis ``.h5`` export.

    Parameters
    ----------
    path
        The analysis file.
    fps
        Frame rate of the video; analysis files do not state it.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset (``confidence_kind`` ``"score"``) with an extra
        ``instance_score`` (time, individual) variable. Points of unoccupied
        tracks are NaN.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the SLEAP analysis arrays"):
        _require_analysis_datasets(path, handle)
        transposed = bool(handle.attrs.get("transpose", True))
        position = _canonical(handle, "tracks", ("frame", "xy", "node", "track"), transposed).astype(np.float32)
        n_frames, _, n_nodes, n_tracks = position.shape
        confidence = _optional(
            handle, "point_scores", ("frame", "node", "track"), transposed, (n_frames, n_nodes, n_tracks)
        )
        instance_score = _optional(handle, "instance_scores", ("frame", "track"), transposed, (n_frames, n_tracks))
        occupancy = _optional(handle, "track_occupancy", ("frame", "track"), transposed, (n_frames, n_tracks))
        node_names = _strings(handle["node_names"][()])
        track_names = _strings(handle["track_names"][()]) if "track_names" in handle else []
        video_path = _scalar_text(handle, "video_path")
    _require_node_names(path, len(node_names), n_nodes)
    if len(track_names) != n_tracks:
        given = len(track_names)
        track_names = [f"track_{i}" for i in range(n_tracks)]
        named = ", ".join(track_names[:3]) + (", ..." if n_tracks > 3 else "")
        warn_fixup(path, f"{given} track name(s) for {n_tracks} track(s) in the file; named them {named}")
    if occupancy is not None:
        empty = occupancy == 0
        position[np.broadcast_to(empty[:, None, None, :], position.shape)] = np.nan
        if confidence is not None:
            confidence[np.broadcast_to(empty[:, None, :], confidence.shape)] = np.nan
        if instance_score is not None:
            instance_score[empty] = np.nan
    mask_zero_points(path, position, confidence)
    ds = build_pose(
        path,
        position,
        confidence,
        keypoints=node_names,
        individuals=track_names,
        source_software="SLEAP",
        confidence_kind="score" if confidence is not None else "none",
        fps=fps,
        extra_attrs={"video_path": video_path},
    )
    if instance_score is not None:
        ds["instance_score"] = (("time", "individual"), instance_score)
    return ds


def read_sleap_slp(path: str | Path, *, fps: float | None = None, video: int = 0) -> xr.Dataset:
    """Read a SLEAP ``.slp`` labels or predictions file.

    Parameters
    ----------
    path
        The ``.slp`` file.
    fps
        Frame rate; by default the one recorded for the video in the file, if any.
    video
        Index of the video whose frames to read when the file holds several.

    Returns
    -------
    xarray.Dataset
        Canonical pose dataset, one row per labelled frame of the video, with an
        extra ``instance_score`` (time, individual) variable.
    """
    import sleap_io.io.slp as slp

    path = require_readable_file(path)
    with open_hdf5(path) as handle:
        for name in ("metadata", "frames", "instances"):
            if name not in handle:
                raise InputFileError(path, f"has no '{name}' table, so it is not a SLEAP .slp file")
        with wrap_errors(path, "cannot read the SLEAP tables"):
            format_id = float(handle["metadata"].attrs.get("format_id", 1.0))
            skeletons = slp.read_skeletons(str(path), _hdf5_file=handle)
            tracks = slp.read_tracks(str(path), _hdf5_file=handle)
            videos = slp.read_videos(str(path), open_backend=False, _hdf5_file=handle)
            frames = slp.read_hdf5_dataset(str(path), "frames", _hdf5_file=handle)
            instances = slp.read_hdf5_dataset(str(path), "instances", _hdf5_file=handle)
            user_points = slp.read_points(str(path), _hdf5_file=handle)
            pred_points = slp.read_pred_points(str(path), _hdf5_file=handle)
    if not 0 <= video < max(len(videos), 1):
        raise InputFileError(path, f"has {len(videos)} video(s); video={video} does not exist")
    if len(videos) > 1:
        warn_fixup(path, f"holds {len(videos)} videos; reading video {video} only (pass video= for the others)")
    instances = _instances_of_video(frames, instances, video)
    if instances.size == 0:
        raise InputFileError(path, f"holds no instances for video {video}")
    instances = _drop_superseded(path, instances)
    skeleton_ids = np.unique(instances["skeleton"])
    if skeleton_ids.size != 1:
        raise InputFileError(path, f"instances use {skeleton_ids.size} different skeletons; cannot stack them")
    node_names = [node.name for node in skeletons[int(skeleton_ids[0])].nodes]
    individual, individual_names = _assign_individuals(path, instances, [t.name for t in tracks])
    instances, individual = _drop_duplicates(path, instances, individual)
    xy, scores = _gather_points(path, instances, user_points, pred_points, len(node_names))
    if format_id < 1.1:
        xy -= 0.5
    frame_numbers, row = np.unique(instances["frame_idx"], return_inverse=True)
    position = np.full((frame_numbers.size, 2, len(node_names), len(individual_names)), np.nan, dtype=np.float32)
    confidence = np.full((frame_numbers.size, len(node_names), len(individual_names)), np.nan, dtype=np.float32)
    instance_score = np.full((frame_numbers.size, len(individual_names)), np.nan, dtype=np.float32)
    position[row, :, :, individual] = xy
    confidence[row, :, individual] = scores
    predicted = instances["instance_type"] == _PREDICTED
    instance_score[row[predicted], individual[predicted]] = instances["score"][predicted]
    mask_zero_points(path, position, confidence)
    has_scores = bool(np.any(predicted))
    file_fps = _video_fps(videos[video]) if videos else None
    ds = build_pose(
        path,
        position,
        confidence if has_scores else None,
        keypoints=node_names,
        individuals=individual_names,
        source_software="SLEAP",
        confidence_kind="score" if has_scores else "none",
        fps=fps or file_fps,
        frames=frame_numbers.astype(np.int64),
        extra_attrs={"video_path": str(videos[video].filename) if videos else "", "slp_format_id": format_id},
    )
    ds["instance_score"] = (("time", "individual"), instance_score)
    return ds


def _require_analysis_datasets(path: Path, handle: h5py.File) -> None:
    for name in ("tracks", "node_names"):
        if not isinstance(handle.get(name), h5py.Dataset):
            raise InputFileError(path, f"has no '{name}' dataset, so it is not a SLEAP analysis file")


def _require_node_names(path: Path, n_names: int, n_nodes: int) -> None:
    if n_names != n_nodes:
        raise InputFileError(path, f"lists {n_names} node names for {n_nodes} nodes in 'tracks'")


def _axes(handle: h5py.File, name: str, target: tuple[str, ...], transposed: bool) -> tuple[str, ...]:
    """Axis names of dataset ``name``: its ``dims`` attribute, else SLEAP's layout for ``transposed``."""
    dataset = handle[name]
    if "dims" in dataset.attrs:
        dims = tuple(json.loads(dataset.attrs["dims"]))
    else:
        dims = (_MATLAB_DIMS if transposed else _PYTHON_DIMS)[name]
    if len(dims) != dataset.ndim or set(dims) != set(target):
        raise ValueError(f"'{name}' has shape {dataset.shape} but axes {dims}; expected axes {target}")
    return dims


def _canonical(handle: h5py.File, name: str, target: tuple[str, ...], transposed: bool) -> np.ndarray:
    dims = _axes(handle, name, target, transposed)
    return np.transpose(handle[name][()], [dims.index(axis) for axis in target])


def count_sleap_h5_frames(path: str | Path) -> int:
    """Frames a SLEAP analysis ``.h5`` covers, from the shape of its ``tracks`` (nothing else is read).

    Raises
    ------
    InputFileError
        If the file is not a readable SLEAP analysis file.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the SLEAP analysis arrays"):
        _require_analysis_datasets(path, handle)
        transposed = bool(handle.attrs.get("transpose", True))
        dims = _axes(handle, "tracks", ("frame", "xy", "node", "track"), transposed)
        shape = handle["tracks"].shape
        _require_node_names(path, len(_strings(handle["node_names"][()])), shape[dims.index("node")])
        return int(shape[dims.index("frame")])


def count_sleap_slp_frames(path: str | Path, *, video: int = 0) -> int:
    """Frames of ``video`` a SLEAP ``.slp`` file covers (last frame with an instance + 1), from its frames table alone.

    Raises
    ------
    InputFileError
        If the file is not a readable ``.slp`` file or holds no instances for ``video``.
    """
    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the SLEAP frames table"):
        if "frames" not in handle:
            raise InputFileError(path, "has no 'frames' table, so it is not a SLEAP .slp file")
        frames = handle["frames"][()]
    with_instances = frames[(frames["video"] == video) & (frames["instance_id_end"] > frames["instance_id_start"])]
    if with_instances.size == 0:
        raise InputFileError(path, f"holds no instances for video {video}")
    return int(with_instances["frame_idx"].max()) + 1


def sleap_slp_fps(path: str | Path, *, video: int = 0) -> float | None:
    """The frame rate a SLEAP ``.slp`` file records for ``video``, from its videos table alone; None if it records none.

    Raises
    ------
    InputFileError
        If the file is not a readable ``.slp`` file or has no such video.
    """
    import sleap_io.io.slp as slp

    path = require_readable_file(path)
    with open_hdf5(path) as handle, wrap_errors(path, "cannot read the SLEAP videos table"):
        videos = slp.read_videos(str(path), open_backend=False, _hdf5_file=handle)
    if not 0 <= video < max(len(videos), 1):
        raise InputFileError(path, f"has {len(videos)} video(s); video={video} does not exist")
    return _video_fps(videos[video]) if videos else None


def _optional(
    handle: h5py.File, name: str, target: tuple[str, ...], transposed: bool, shape: tuple[int, ...]
) -> np.ndarray | None:
    if name not in handle:
        return None
    values = _canonical(handle, name, target, transposed)
    if values.shape != shape and values.T.shape == shape and values.ndim == 2:
        values = values.T
    if values.shape != shape:
        raise ValueError(f"'{name}' has shape {values.shape} after reordering, expected {shape}")
    return values.astype(np.float32)


def _strings(values: np.ndarray) -> list[str]:
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in np.ravel(values)]


def _scalar_text(handle: h5py.File, name: str) -> str:
    if name not in handle:
        return ""
    value = handle[name][()]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _instances_of_video(frames: np.ndarray, instances: np.ndarray, video: int) -> np.ndarray:
    """Return the instances of ``video`` as a table with an added ``frame_idx`` field."""
    order = np.argsort(frames["frame_id"])
    position = np.searchsorted(frames["frame_id"][order], instances["frame_id"])
    frame_row = order[np.clip(position, 0, len(order) - 1)]
    fields = [(name, instances.dtype[name]) for name in instances.dtype.names] + [("frame_idx", np.int64)]
    table = np.empty(instances.shape, dtype=fields)
    for name in instances.dtype.names:
        table[name] = instances[name]
    table["frame_idx"] = frames["frame_idx"][frame_row]
    return table[frames["video"][frame_row] == video]


def _drop_superseded(path: Path, instances: np.ndarray) -> np.ndarray:
    """Drop predicted instances that a user instance in the same frame was corrected from."""
    user = instances["instance_type"] == _USER
    sources = instances["from_predicted"][user & (instances["from_predicted"] >= 0)]
    superseded = (instances["instance_type"] == _PREDICTED) & np.isin(instances["instance_id"], sources)
    if np.any(superseded):
        warn_fixup(path, f"{int(superseded.sum())} predicted instance(s) replaced by their user-corrected copies")
    return instances[~superseded]


def _assign_individuals(path: Path, instances: np.ndarray, track_names: list[str]) -> tuple[np.ndarray, list[str]]:
    track = instances["track"].astype(np.int64)
    untracked = track < 0
    individual = track.copy()
    names = list(track_names)
    if np.any(untracked):
        frame_of_untracked = instances["frame_idx"][untracked]
        order = np.argsort(frame_of_untracked, kind="stable")
        sorted_frames = frame_of_untracked[order]
        first = np.searchsorted(sorted_frames, sorted_frames, side="left")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size) - first
        individual[untracked] = len(track_names) + rank
        n_untracked = int(rank.max()) + 1
        names += [f"untracked_{i}" for i in range(n_untracked)]
        warn_fixup(
            path,
            f"{int(untracked.sum())} instance(s) have no track; they were kept as separate individuals "
            f"untracked_0..untracked_{n_untracked - 1} by their order within each frame (identities are not linked "
            "across frames)",
        )
    return individual, names


def _drop_duplicates(path: Path, instances: np.ndarray, individual: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep one instance per (frame, individual): user instances first, then the highest score."""
    priority = np.where(instances["instance_type"] == _USER, np.inf, instances["score"].astype(np.float64))
    order = np.lexsort((-priority, individual, instances["frame_idx"]))
    key_frame, key_individual = instances["frame_idx"][order], individual[order]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (np.diff(key_frame) != 0) | (np.diff(key_individual) != 0)
    if not np.all(first):
        warn_fixup(
            path,
            f"{int((~first).sum())} instance(s) share a frame and track with another instance; kept the user "
            "instance or the highest-scoring one",
        )
    keep = np.sort(order[first])
    return instances[keep], individual[keep]


def _gather_points(
    path: Path, instances: np.ndarray, user_points: np.ndarray, pred_points: np.ndarray, n_nodes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return xy (instances, 2, nodes) and scores (instances, nodes) of every instance's points."""
    counts = instances["point_id_end"].astype(np.int64) - instances["point_id_start"].astype(np.int64)
    if np.any(counts != n_nodes):
        raise InputFileError(path, f"some instances have {sorted(set(counts.tolist()))} points for {n_nodes} nodes")
    xy = np.full((instances.size, 2, n_nodes), np.nan, dtype=np.float64)
    scores = np.full((instances.size, n_nodes), np.nan, dtype=np.float64)
    for kind, table in ((_USER, user_points), (_PREDICTED, pred_points)):
        chosen = instances["instance_type"] == kind
        if not np.any(chosen):
            continue
        point_ids = instances["point_id_start"][chosen].astype(np.int64)[:, None] + np.arange(n_nodes)
        if point_ids.max() >= len(table):
            raise InputFileError(path, "instances point past the end of the points table (truncated file?)")
        points = table[point_ids]
        visible = points["visible"].astype(bool)
        xy[chosen, 0] = np.where(visible, points["x"], np.nan)
        xy[chosen, 1] = np.where(visible, points["y"], np.nan)
        if kind == _PREDICTED:
            scores[chosen] = np.where(visible, points["score"], np.nan)
    return xy, scores


def _video_fps(video: object) -> float | None:
    metadata = getattr(video, "backend_metadata", None) or {}
    fps = metadata.get("fps")
    return float(fps) if fps else None
