"""Per-animal kinematics: keypoint and centroid speeds and accelerations.

Derivatives use the ``time`` coordinate, so dropped frames do not inflate speeds.
``backward`` differences give |p(t) - p(t-1)| / dt (SimBA's per-frame "Movement" times
fps); ``central`` differences give |p(t+1) - p(t-1)| / (2 dt), smoother and centred.
The first (backward) or first and last (central) frames of a session are NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from etholake.features.block import CENTROID, FeatureTable, PoseBlock, animal_label, norm

FAMILY = "kinematics"
HALO = 2


def derivative(values: np.ndarray, time: np.ndarray, difference: str) -> np.ndarray:
    """Time derivative along the last axis (NaN where a neighbour frame is missing)."""
    result = np.full(values.shape, np.nan, dtype=np.float32)
    if values.shape[-1] < 3:
        return result
    if difference == "backward":
        step = np.diff(time).astype(np.float32)
        result[..., 1:] = np.diff(values, axis=-1) / step
    else:
        step = (time[2:] - time[:-2]).astype(np.float32)
        result[..., 1:-1] = (values[..., 2:] - values[..., :-2]) / step
    return result


def acceleration_magnitude(x: np.ndarray, y: np.ndarray, time: np.ndarray) -> np.ndarray:
    """|d2p/dt2| along the last axis from non-uniform three-point differences."""
    result = np.full(x.shape, np.nan, dtype=np.float32)
    if x.shape[-1] < 3:
        return result
    before = np.diff(time)[:-1].astype(np.float32)
    after = np.diff(time)[1:].astype(np.float32)
    scale = 2.0 / (before + after)
    ax = ((x[..., 2:] - x[..., 1:-1]) / after - (x[..., 1:-1] - x[..., :-2]) / before) * scale
    ay = ((y[..., 2:] - y[..., 1:-1]) / after - (y[..., 1:-1] - y[..., :-2]) / before) * scale
    result[..., 1:-1] = norm(ax, ay)
    return result


def selected_points(block: PoseBlock, options: dict[str, Any]) -> list[str]:
    """The points whose kinematics the options ask for (keypoint names for ``"all"``)."""
    chosen = options.get("keypoints", "all")
    points = list(block.keypoints) if chosen == "all" else list(chosen)
    if options.get("centroid", True) and CENTROID not in points:
        points.append(CENTROID)
    return points


def compute(block: PoseBlock, options: dict[str, Any], table: FeatureTable) -> None:
    """Add speed (and acceleration) of every selected point of every animal to ``table``."""
    points = selected_points(block, options)
    located = [block.point(point) for point in points]
    x = np.stack([p[0] for p in located])
    y = np.stack([p[1] for p in located])
    difference = options.get("difference", "central")
    speed = norm(derivative(x, block.time, difference), derivative(y, block.time, difference))
    acceleration = acceleration_magnitude(x, y, block.time) if options.get("acceleration", True) else None
    unit = block.length_unit
    for animal in range(block.n_individuals):
        label = animal_label(animal)
        for index, point in enumerate(points):
            table.add(f"{label}.speed.{point}", f"{unit}/s", FAMILY, speed[index, animal])
            if acceleration is not None:
                table.add(f"{label}.accel.{point}", f"{unit}/s^2", FAMILY, acceleration[index, animal])
