"""Per-animal body shape: body length, within-animal distances, convex hull, heading, bends.

* ``body_length``: nose - tail base (the largest keypoint distance without those roles).
* ``hull_area`` is a real area (length^2) and ``hull_perimeter`` its perimeter: SimBA's
  ``Mouse_1_poly_area`` is its hull *perimeter* (older versions used
  ``scipy.spatial.ConvexHull(...).area``, which for 2-D points is also the perimeter).
  Both are NaN unless every keypoint of the animal is present.
* ``heading``: direction of the tail base -> nose vector, radians in (-pi, pi], image axes
  (x right, y down, so positive angles turn clockwise on screen).
* ``angular_velocity``: centred difference of the heading, wrapped, in rad/s.
* ``bend.a-b-c``: signed turn from segment a->b to b->c (0 = straight), radians.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from etholake.features.block import FeatureTable, PoseBlock, animal_label, norm

FAMILY = "body"
HALO = 1


def convex_hull(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Area and perimeter of the convex hull of points (point, ..., frame).

    Gift wrapping vectorised over frames: at most one step per point, each step picks the
    most clockwise point (the farthest on ties, so collinear points are skipped). NaN
    where any point is missing; collinear points give area 0 and twice their extent.
    """
    n_points = x.shape[0]
    missing = np.isnan(x).any(axis=0) | np.isnan(y).any(axis=0)
    x = np.where(missing, 0.0, x - x.mean(axis=0)).astype(np.float32)
    y = np.where(missing, 0.0, y - y.mean(axis=0)).astype(np.float32)
    start = _lowest_left(x, y)
    start_x = np.take_along_axis(x, start[None], axis=0)[0]
    start_y = np.take_along_axis(y, start[None], axis=0)[0]
    current_x, current_y = start_x, start_y
    area = np.zeros(x.shape[1:], dtype=np.float32)
    perimeter = np.zeros(x.shape[1:], dtype=np.float32)
    done = np.zeros(x.shape[1:], dtype=bool)
    for _ in range(n_points):
        best_dx = np.zeros_like(current_x)
        best_dy = np.zeros_like(current_y)
        best_d2 = np.zeros_like(current_x)
        for k in range(n_points):
            dx = x[k] - current_x
            dy = y[k] - current_y
            cross = best_dx * dy - best_dy * dx
            d2 = dx * dx + dy * dy
            take = (cross < 0) | ((cross == 0) & (d2 > best_d2))
            np.copyto(best_dx, dx, where=take)
            np.copyto(best_dy, dy, where=take)
            np.copyto(best_d2, d2, where=take)
        next_x, next_y = current_x + best_dx, current_y + best_dy
        active = ~done
        area += np.where(active, current_x * next_y - next_x * current_y, 0.0)
        perimeter += np.where(active, np.sqrt(best_d2), 0.0)
        done |= (next_x == start_x) & (next_y == start_y)
        if done.all():
            break
        current_x, current_y = next_x, next_y
    area = np.abs(area) / 2.0
    return np.where(missing, np.nan, area), np.where(missing, np.nan, perimeter)


def _lowest_left(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the point with the smallest x (smallest y among ties): always a hull vertex."""
    smallest_x = x.min(axis=0)
    candidate_y = np.where(x == smallest_x, y, np.inf)
    return np.argmin(candidate_y, axis=0)


def wrap_angle(angle: np.ndarray) -> np.ndarray:
    """Wrap radians into (-pi, pi]."""
    return np.pi - np.mod(np.pi - angle, 2 * np.pi)


def heading(block: PoseBlock) -> np.ndarray:
    """Heading (individual, frame) in radians, image axes."""
    dx, dy = block.heading_vector()
    return np.arctan2(dy, dx)


def angular_velocity(angle: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Centred, wrapped derivative of an angle along the last axis (rad/s)."""
    result = np.full(angle.shape, np.nan, dtype=np.float32)
    if angle.shape[-1] >= 3:
        step = (time[2:] - time[:-2]).astype(np.float32)
        result[..., 1:-1] = wrap_angle(angle[..., 2:] - angle[..., :-2]) / step
    return result


def bend(block: PoseBlock, first: str, middle: str, last: str) -> np.ndarray:
    """Signed turn angle (individual, frame) from segment first->middle to middle->last."""
    ax, ay = block.point(first)
    bx, by = block.point(middle)
    cx, cy = block.point(last)
    ux, uy, vx, vy = bx - ax, by - ay, cx - bx, cy - by
    return np.arctan2(ux * vy - uy * vx, ux * vx + uy * vy)


def distance_pairs(block: PoseBlock, pairs: str | list[list[str]]) -> list[tuple[str, str]]:
    """Point pairs to measure: every keypoint pair for ``"all"``."""
    if pairs == "all":
        return list(combinations(block.keypoints, 2))
    return [(first, second) for first, second in pairs]


def compute(block: PoseBlock, options: dict[str, Any], table: FeatureTable) -> None:
    """Add the body-shape features of every animal to ``table``."""
    unit = block.length_unit
    labels = [animal_label(animal) for animal in range(block.n_individuals)]
    if options.get("body_length", True):
        length = block.body_length()
        for animal, label in enumerate(labels):
            table.add(f"{label}.body_length", unit, FAMILY, length[animal])
    pairs = distance_pairs(block, options.get("distances", []))
    if pairs:
        distances = np.stack([_distance(block, first, second) for first, second in pairs])
        for animal, label in enumerate(labels):
            for (first, second), values in zip(pairs, distances[:, animal], strict=True):
                table.add(f"{label}.dist.{first}-{second}", unit, FAMILY, values)
    if options.get("distance_stats", False):
        every = np.stack([_distance(block, a, b) for a, b in combinations(block.keypoints, 2)])
        statistics = {"dist_max": every.max(axis=0), "dist_min": every.min(axis=0), "dist_mean": every.mean(axis=0)}
        for animal, label in enumerate(labels):
            for name, values in statistics.items():
                table.add(f"{label}.{name}", unit, FAMILY, values[animal])
    if options.get("hull", True):
        area, perimeter = convex_hull(block.x, block.y)
        for animal, label in enumerate(labels):
            table.add(f"{label}.hull_area", f"{unit}^2", FAMILY, area[animal])
            table.add(f"{label}.hull_perimeter", unit, FAMILY, perimeter[animal])
    angle = heading(block) if options.get("heading") or options.get("angular_velocity", True) else None
    if options.get("heading", False):
        for animal, label in enumerate(labels):
            table.add(f"{label}.heading", "rad", FAMILY, angle[animal])
    if options.get("angular_velocity", True):
        rate = angular_velocity(angle, block.time)
        for animal, label in enumerate(labels):
            table.add(f"{label}.angular_velocity", "rad/s", FAMILY, rate[animal])
    for first, middle, last in options.get("bends", []):
        turn = bend(block, first, middle, last)
        for animal, label in enumerate(labels):
            table.add(f"{label}.bend.{first}-{middle}-{last}", "rad", FAMILY, turn[animal])


def _distance(block: PoseBlock, first: str, second: str) -> np.ndarray:
    ax, ay = block.point(first)
    bx, by = block.point(second)
    return norm(ax - bx, ay - by)
