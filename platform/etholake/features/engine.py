"""Run a feature-set spec over a pose dataset, in memory or on dask time chunks.

Every step is local in time, so a session is cut into time chunks, each chunk is
extended by a halo (``depth`` frames: preprocessing + derivatives + the longest window +
the cumulative-sum anchor block, see :mod:`etholake.features.windows`) and computed
independently; the result is bitwise identical to computing the whole session at once.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr

from etholake.errors import SchemaError
from etholake.features import arena, body, kinematics, quality, social
from etholake.features.block import FeatureTable, PoseBlock, resolve_roles
from etholake.features.identity import ANIMAL, PAIR, scale_free, scale_free_halo, symmetric
from etholake.features.preprocess import preprocess, preprocess_halo
from etholake.features.spec import FeatureSetSpec, load_spec
from etholake.features.windows import Window, anchor_block, rolling
from etholake.schema.checks import as_string_coord
from etholake.schema.pose import validate_pose

FEATURES_SCHEMA = "etholake.features/1"
SUB_BLOCK = 1 << 14
DEFAULT_ROLES = {
    "nose": ["nose", "snout", "nose_tip", "head", "top"],
    "left_ear": ["left_ear", "ear_left", "leftear", "l_ear"],
    "right_ear": ["right_ear", "ear_right", "rightear", "r_ear"],
    "neck": ["neck", "nape"],
    "centroid": ["centroid", "center", "centre", "body_center", "mid_body", "spine", "body"],
    "left_side": ["left_side", "lateral_left", "left_flank", "left_hip"],
    "right_side": ["right_side", "lateral_right", "right_flank", "right_hip"],
    "tail_base": ["tail_base", "tailbase", "base_of_tail", "tail_root", "tail"],
    "tail_end": ["tail_end", "tail_tip", "tailend", "tail_e", "tail3"],
}


@dataclass(frozen=True)
class WindowGroup:
    """One ``windows`` entry of a spec, resolved to base-feature rows."""

    rows: np.ndarray
    windows: list[Window]
    stats: list[str]
    suffix: str


@dataclass(frozen=True)
class Plan:
    """Everything a chunk needs to compute its features, fixed for one session."""

    spec: FeatureSetSpec
    keypoints: list[str]
    individuals: list[str]
    roles: dict[str, int]
    fps: float
    px_per_unit: float
    length_unit: str
    arena_bounds: tuple[float, float, float, float] | None
    n_frames: int
    depth: int
    block: int
    kept_rows: np.ndarray
    window_groups: list[WindowGroup]
    names: list[str] = field(repr=False)
    units: list[str] = field(repr=False)
    families: list[str] = field(repr=False)
    windows_ms: list[float] = field(repr=False)

    @property
    def n_features(self) -> int:
        return len(self.names)


def compute_features(
    pose: xr.Dataset,
    spec: str | Path | dict | FeatureSetSpec = "default",
    *,
    px_per_mm: float | None = None,
    arena_bounds_px: tuple[float, float, float, float] | None = None,
) -> xr.Dataset:
    """Compute a feature set from a canonical pose dataset.

    Parameters
    ----------
    pose
        A dataset following :func:`etholake.schema.validate_pose`, numpy- or dask-backed
        (dask chunked along ``time`` only).
    spec
        A built-in name (``"default"``, ``"simba"``, ``"jaaba"``), a spec file, a mapping
        or a :class:`~etholake.features.spec.FeatureSetSpec`.
    px_per_mm
        Calibration; defaults to ``pose.attrs["px_per_mm"]``. With it lengths are in mm,
        without it in px. Ignored when the pose is already in mm.
    arena_bounds_px
        ``(xmin, ymin, xmax, ymax)`` of a rectangular arena in pixels; defaults to
        ``pose.attrs["arena_bounds_px"]``.

    Returns
    -------
    xarray.Dataset
        ``features`` (time, feature) float32, dask-backed when the pose is, with coords
        ``time``, ``frame``, ``feature``, ``feature_unit``, ``feature_window_ms``,
        ``feature_family`` and attrs ``feature_set``, ``feature_set_version``,
        ``feature_set_hash``, ``units_basis``.

    Examples
    --------
    >>> features = compute_features(pose, "default", px_per_mm=2.0)  # doctest: +SKIP
    >>> features["features"].sel(feature="pair.dist.nose-nose")  # doctest: +SKIP
    """
    validate_pose(pose)
    pose = _timed_by_frame_rate(pose)
    plan = make_plan(pose, load_spec(spec), px_per_mm=px_per_mm, arena_bounds_px=arena_bounds_px)
    packed = _pack(pose)
    values = _compute_dask(plan, packed) if isinstance(packed, da.Array) else _compute_numpy(plan, packed)
    return features_to_dataset(values, plan, time=pose["time"].values, frame=pose["frame"].values, pose=pose)


def make_plan(
    pose: xr.Dataset,
    spec: FeatureSetSpec,
    *,
    px_per_mm: float | None = None,
    arena_bounds_px: tuple[float, float, float, float] | None = None,
) -> Plan:
    """Resolve a spec against one session: roles, units, halos and the feature catalogue."""
    keypoints = [str(k) for k in pose["keypoint"].values]
    individuals = [str(i) for i in pose["individual"].values]
    if pose.sizes["space"] != 2:
        warnings.warn("pose has 3-D positions: features use the x-y plane only", stacklevel=3)
    fps = _fps(pose)
    px_per_unit, length_unit = _length_basis(pose, px_per_mm)
    bounds = arena_bounds_px if arena_bounds_px is not None else pose.attrs.get("arena_bounds_px")
    bounds_px_per_unit = px_per_unit
    if bounds is not None and pose.attrs["units"] == "mm":
        calibration = _calibration(pose, px_per_mm)
        if calibration is None:
            warnings.warn(
                "arena bounds are in px but the pose is in mm without a px_per_mm: arena features are NaN",
                stacklevel=3,
            )
            bounds = None
        else:
            bounds_px_per_unit = calibration
    arena_bounds = None if bounds is None else tuple(float(b) / bounds_px_per_unit for b in bounds)
    if spec.family("arena") and arena_bounds is None:
        warnings.warn("no arena bounds (arena_bounds_px): the arena features of this session are NaN", stacklevel=3)
    roles = resolve_roles(keypoints, spec.section("roles") or DEFAULT_ROLES)
    _warn_missing_roles(spec, roles, keypoints)
    probe = PoseBlock(
        x=np.full((len(keypoints), len(individuals), 8), np.nan, np.float32),
        y=np.full((len(keypoints), len(individuals), 8), np.nan, np.float32),
        confidence=np.full((len(keypoints), len(individuals), 8), np.nan, np.float32),
        time=np.arange(8) / fps,
        keypoints=keypoints,
        roles=roles,
        length_unit=length_unit,
        fps=fps,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        base = _base_features(spec, probe, probe, arena_bounds)
    if len(set(base.names)) != len(base.names):
        duplicated = sorted({n for n in base.names if base.names.count(n) > 1})
        raise SchemaError(f"spec {spec.name!r}: feature names repeat: {', '.join(duplicated[:5])}")
    keep = spec.content.get("keep_base")
    kept_rows = np.array(
        [i for i, name in enumerate(base.names) if keep is None or any(fnmatch(name, g) for g in keep)], dtype=np.intp
    )
    names = [base.names[i] for i in kept_rows]
    units = [base.units[i] for i in kept_rows]
    families = [base.families[i] for i in kept_rows]
    windows_ms = [np.nan] * len(kept_rows)
    groups = []
    for entry in spec.content.get("windows", []):
        rows = np.array(
            [i for i, name in enumerate(base.names) if any(fnmatch(name, g) for g in entry["select"])], dtype=np.intp
        )
        if rows.size == 0:
            continue
        alignment = entry.get("alignment", "centred")
        windows = [Window.from_ms(ms, fps, alignment, entry.get("min_coverage", 0.5)) for ms in entry["windows_ms"]]
        suffix = "_causal" if alignment == "causal" else ""
        groups.append(WindowGroup(rows, windows, list(entry["stats"]), suffix))
        for window in windows:
            for stat in entry["stats"]:
                for row in rows:
                    names.append(f"{base.names[row]}.{stat}_{window.window_ms:g}ms{suffix}")
                    units.append(_window_unit(base.units[row], stat))
                    families.append(base.families[row])
                    windows_ms.append(window.window_ms)
    if len(set(names)) != len(names):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        raise SchemaError(f"spec {spec.name!r}: window features repeat: {', '.join(duplicated[:5])}")
    all_windows = [w for group in groups for w in group.windows]
    block = anchor_block(all_windows)
    look_back = max((w.lo for w in all_windows), default=0)
    look_ahead = max((w.hi for w in all_windows), default=0)
    context = preprocess_halo(spec.section("preprocess"), fps) + _feature_halo(spec, fps)
    depth = context + (max(block + look_back + 1, look_ahead) if all_windows else 0)
    return Plan(
        spec=spec,
        keypoints=keypoints,
        individuals=individuals,
        roles=roles,
        fps=fps,
        px_per_unit=px_per_unit,
        length_unit=length_unit,
        arena_bounds=arena_bounds,
        n_frames=pose.sizes["time"],
        depth=depth,
        block=block,
        kept_rows=kept_rows,
        window_groups=groups,
        names=names,
        units=units,
        families=families,
        windows_ms=windows_ms,
    )


def compute_segment(plan: Plan, packed: np.ndarray, segment_start: int, core: tuple[int, int]) -> np.ndarray:
    """Features (feature, frame) of the ``core`` frames from a packed pose segment.

    ``packed`` holds frames ``segment_start ..`` of the session; it must reach ``plan.depth``
    frames beyond ``core`` on both sides, or the session's edge. Long cores are computed in
    sub-blocks of ``SUB_BLOCK`` frames (each with its halo) so temporaries stay in cache.
    """
    output = np.empty((plan.n_features, core[1] - core[0]), dtype=np.float32)
    segment_stop = segment_start + packed.shape[0]
    for start in range(core[0], core[1], SUB_BLOCK):
        stop = min(start + SUB_BLOCK, core[1])
        first, last = max(segment_start, start - plan.depth), min(segment_stop, stop + plan.depth)
        part = packed[first - segment_start : last - segment_start]
        _compute_block(plan, part, first, (start, stop), output[:, start - core[0] : stop - core[0]])
    return output


def _compute_block(
    plan: Plan, packed: np.ndarray, segment_start: int, core: tuple[int, int], output: np.ndarray
) -> None:
    raw = _unpack(plan, packed)
    clean = preprocess(raw, plan.spec.section("preprocess"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        base = _base_features(plan.spec, raw, clean, plan.arena_bounds)
    values = np.stack(base.values) if base.values else np.empty((0, raw.n_frames), np.float32)
    output[: plan.kept_rows.size] = values[plan.kept_rows, core[0] - segment_start : core[1] - segment_start]
    row = plan.kept_rows.size
    for group in plan.window_groups:
        views = {}
        for index in range(len(group.windows)):
            for stat in group.stats:
                views[(stat, index)] = output[row : row + group.rows.size]
                row += group.rows.size
        rolling(
            values[group.rows],
            segment_start=segment_start,
            core=core,
            windows=group.windows,
            stats=group.stats,
            block=plan.block,
            out=views,
        )


def features_to_dataset(
    values: np.ndarray | da.Array, plan: Plan, *, time: np.ndarray, frame: np.ndarray, pose: xr.Dataset | None = None
) -> xr.Dataset:
    """Wrap a (time, feature) float32 array and its plan as a features dataset.

    The conventions: variable ``features`` (time, feature) float32; coords ``time`` (s),
    ``frame`` (int64), ``feature`` (names, object strings), ``feature_unit``,
    ``feature_window_ms`` (NaN for per-frame features) and ``feature_family`` along
    ``feature``; attrs ``schema``, ``feature_set``, ``feature_set_version``,
    ``feature_set_hash``, ``units_basis`` (``"mm"``/``"px"``), ``fps``, ``individuals``
    (the animals ``a1``, ``a2``, ... stand for), ``keypoint_roles`` (JSON) and the pose's
    ``source_file``.
    """
    spec = plan.spec
    attrs = {
        "schema": FEATURES_SCHEMA,
        "feature_set": spec.name,
        "feature_set_version": spec.version,
        "feature_set_hash": spec.sha256,
        "units_basis": plan.length_unit,
        "fps": plan.fps,
        "individuals": list(plan.individuals),
        "keypoint_roles": json.dumps({role: plan.keypoints[i] for role, i in sorted(plan.roles.items())}),
        "source_file": str(pose.attrs.get("source_file", "")) if pose is not None else "",
    }
    coords = {
        "time": np.asarray(time, dtype=np.float64),
        "frame": ("time", np.asarray(frame, dtype=np.int64)),
        "feature": as_string_coord(plan.names),
        "feature_unit": ("feature", as_string_coord(plan.units)),
        "feature_window_ms": ("feature", np.asarray(plan.windows_ms, dtype=np.float64)),
        "feature_family": ("feature", as_string_coord(plan.families)),
    }
    return xr.Dataset({"features": (("time", "feature"), values)}, coords=coords, attrs=attrs)


def _base_features(
    spec: FeatureSetSpec, raw: PoseBlock, clean: PoseBlock, arena_bounds: tuple[float, ...] | None
) -> FeatureTable:
    table = FeatureTable()
    if (options := spec.family("quality")) is not None:
        quality.compute(raw, options, table)
    if (options := spec.family("kinematics")) is not None:
        kinematics.compute(clean, options, table)
    if (options := spec.family("body")) is not None:
        body.compute(clean, options, table)
    if (options := spec.family("social")) is not None:
        social.compute(clean, options, table)
    if (options := spec.family("arena")) is not None:
        arena.compute(clean, options, table, arena_bounds)
    identity = spec.section("identity")
    stats = identity.get("symmetric_stats", [])
    skip_missing = identity.get("skip_missing", False)
    combined = symmetric(table, stats, skip_missing) if stats else FeatureTable()
    if not identity.get("individual_features", True):
        table = _without_individual(table)
    table.extend(combined)
    if (scaling := spec.content.get("scale_free")) is not None:
        table.extend(scale_free(table, clean, scaling["select"], scaling.get("body_length_window_ms", 5000)))
    return table


def _without_individual(table: FeatureTable) -> FeatureTable:
    kept = FeatureTable()
    for i, name in enumerate(table.names):
        if not (ANIMAL.match(name) or PAIR.match(name)):
            kept.add(name, table.units[i], table.families[i], table.values[i])
    return kept


def _feature_halo(spec: FeatureSetSpec, fps: float) -> int:
    halo = max(kinematics.HALO, body.HALO, social.HALO)
    if (scaling := spec.content.get("scale_free")) is not None:
        halo += scale_free_halo(scaling.get("body_length_window_ms", 5000), fps)
    return halo


def _window_unit(unit: str, stat: str) -> str:
    if stat != "integral":
        return unit
    return unit[: -len("/s")] if unit.endswith("/s") else f"{unit}*s"


def _timed_by_frame_rate(pose: xr.Dataset) -> xr.Dataset:
    """The pose with ``time`` = frame / fps where its times are missing but its fps is known.

    A file read without a frame rate has NaN times; setting ``attrs["fps"]`` afterwards
    must not leave every rate feature (a difference of times) NaN.
    """
    time = np.asarray(pose["time"].values, dtype=np.float64)
    fps = pose.attrs.get("fps")
    if not fps or np.isfinite(time).all():
        return pose
    if np.isfinite(time).any():
        warnings.warn(
            f"pose has {np.count_nonzero(~np.isfinite(time))} missing times among its known ones: "
            f"features use frame / fps ({float(fps):g}) for every frame",
            stacklevel=3,
        )
    return pose.assign_coords(time=np.asarray(pose["frame"].values, dtype=np.float64) / float(fps))


def _fps(pose: xr.Dataset) -> float:
    fps = pose.attrs.get("fps")
    if fps:
        return float(fps)
    steps = np.diff(np.asarray(pose["time"].values, dtype=np.float64))
    steps = steps[np.isfinite(steps) & (steps > 0)]
    if steps.size == 0:
        raise SchemaError(
            "pose has no fps attribute and no usable time coordinate: cannot compute features; "
            "give the frame rate when reading the file (read_pose(path, fps=...)) or set pose.attrs['fps']"
        )
    fps = float(1.0 / np.median(steps))
    warnings.warn(f"pose has no fps attribute: using {fps:.4g} from the time coordinate", stacklevel=4)
    return fps


def _length_basis(pose: xr.Dataset, px_per_mm: float | None) -> tuple[float, str]:
    if pose.attrs["units"] == "mm":
        return 1.0, "mm"
    calibration = _calibration(pose, px_per_mm)
    return (1.0, "px") if calibration is None else (calibration, "mm")


def _calibration(pose: xr.Dataset, px_per_mm: float | None) -> float | None:
    """Pixels per mm: the one given, else the pose's ``px_per_mm`` attribute, else None."""
    calibration = px_per_mm if px_per_mm is not None else pose.attrs.get("px_per_mm")
    if calibration is None:
        return None
    calibration = float(calibration)
    if not np.isfinite(calibration) or calibration <= 0:
        raise SchemaError(f"px_per_mm must be a positive number, got {calibration!r}")
    return calibration


def _warn_missing_roles(spec: FeatureSetSpec, roles: dict[str, int], keypoints: list[str]) -> None:
    wanted = set()
    for family in ("kinematics", "body", "social", "arena"):
        options = spec.family(family) or {}
        for key in ("keypoints", "egocentric", "wall_distance"):
            if isinstance(options.get(key), list):
                wanted |= set(options[key])
        for key in ("distances", "bends"):
            if isinstance(options.get(key), list):
                wanted |= {point for group in options[key] for point in group}
    if spec.family("body") or spec.family("social"):
        wanted |= {"nose"}
    missing = sorted(p for p in wanted if p != "centroid" and p not in roles and p not in keypoints)
    if missing:
        warnings.warn(
            f"keypoints for {', '.join(missing)} not found among {', '.join(keypoints)} "
            f"(add them to the spec's role map): features using them are NaN",
            stacklevel=4,
        )


def _pack(pose: xr.Dataset) -> np.ndarray | da.Array:
    """Pose as one (time, channel) float64 array: x, y, confidence per (keypoint, individual), time, frame index.

    Dask-backed pose is packed by one task per time chunk.
    """
    position = pose["position"].transpose("time", "space", "keypoint", "individual").data
    confidence = pose["confidence"].transpose("time", "keypoint", "individual").data
    time = np.asarray(pose["time"].values, np.float64)
    n_time = time.size
    if not (isinstance(position, da.Array) or isinstance(confidence, da.Array)):
        return _pack_block(np.asarray(position), np.asarray(confidence), time, np.arange(n_time, dtype=np.float64))
    position = da.asarray(position).rechunk({1: -1, 2: -1, 3: -1})
    time_chunks = position.chunks[0]
    confidence = da.asarray(confidence).rechunk((time_chunks, -1, -1))
    n_columns = 3 * pose.sizes["keypoint"] * pose.sizes["individual"] + 2
    return da.blockwise(
        _pack_block,
        "tc",
        position,
        "tskj",
        confidence,
        "tkj",
        da.from_array(time, chunks=time_chunks),
        "t",
        da.arange(n_time, chunks=time_chunks, dtype=np.float64),
        "t",
        new_axes={"c": n_columns},
        concatenate=True,
        dtype=np.float64,
        meta=np.empty((0, 0), np.float64),
    )


def _pack_block(position: np.ndarray, confidence: np.ndarray, time: np.ndarray, index: np.ndarray) -> np.ndarray:
    n_time = position.shape[0]
    channels = confidence.shape[1] * confidence.shape[2]
    packed = np.empty((n_time, 3 * channels + 2), np.float64)
    packed[:, :channels] = position[:, 0].reshape(n_time, channels)
    packed[:, channels : 2 * channels] = position[:, 1].reshape(n_time, channels)
    packed[:, 2 * channels : 3 * channels] = confidence.reshape(n_time, channels)
    packed[:, -2] = time
    packed[:, -1] = index
    return packed


def _unpack(plan: Plan, packed: np.ndarray) -> PoseBlock:
    shape = (packed.shape[0], len(plan.keypoints), len(plan.individuals))
    channels = shape[1] * shape[2]
    columns = np.ascontiguousarray(packed.T)

    def field_of(index: int) -> np.ndarray:
        values = columns[index * channels : (index + 1) * channels].astype(np.float32)
        return values.reshape(shape[1], shape[2], shape[0])

    x, y = field_of(0), field_of(1)
    if plan.px_per_unit != 1.0:
        x, y = x / np.float32(plan.px_per_unit), y / np.float32(plan.px_per_unit)
    return PoseBlock(
        x=x,
        y=y,
        confidence=field_of(2),
        time=columns[3 * channels].copy(),
        keypoints=plan.keypoints,
        roles=plan.roles,
        length_unit=plan.length_unit,
        fps=plan.fps,
    )


def _compute_numpy(plan: Plan, packed: np.ndarray) -> np.ndarray:
    return compute_segment(plan, packed, 0, (0, packed.shape[0])).T


def _compute_dask(plan: Plan, packed: da.Array) -> da.Array:
    chunks = merge_small_chunks(packed.chunks[0], plan.depth)
    packed = packed.rechunk((chunks, -1))
    if len(chunks) > 1:
        extended = da.overlap.overlap(packed, depth={0: plan.depth, 1: 0}, boundary={0: "none", 1: "none"})
    else:
        extended = packed
    return da.map_blocks(
        _chunk_kernel,
        extended,
        plan=plan,
        dtype=np.float32,
        chunks=(packed.chunks[0], (plan.n_features,)),
        meta=np.empty((0, 0), dtype=np.float32),
    )


def merge_small_chunks(chunks: tuple[int, ...], minimum: int) -> tuple[int, ...]:
    """Merge neighbouring time chunks until each holds at least ``minimum`` frames (the halo).

    Boundaries of chunks that are already large enough stay where they are.
    """
    merged: list[int] = []
    for size in chunks:
        if merged and merged[-1] < minimum:
            merged[-1] += size
        else:
            merged.append(size)
    if len(merged) > 1 and merged[-1] < minimum:
        last = merged.pop()
        merged[-1] += last
    return tuple(merged)


def _chunk_kernel(block: np.ndarray, plan: Plan, block_info: dict[Any, Any] | None = None) -> np.ndarray:
    start, stop = block_info[None]["array-location"][0]
    segment_start = int(block[0, -1])
    return compute_segment(plan, block, segment_start, (start, stop)).T
