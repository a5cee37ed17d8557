"""Arena features: signed distance of points to the nearest wall of a rectangular arena.

The arena is ``(xmin, ymin, xmax, ymax)`` in video pixels (``arena_bounds_px``, as in the
ingest manifest), converted to the session's length unit. Positive inside, negative
outside. Without bounds the features are NaN (same names, so sessions stay comparable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from etholake.features.block import FeatureTable, PoseBlock, animal_label

FAMILY = "arena"
HALO = 0


def wall_distance(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float] | None) -> np.ndarray:
    """Signed distance to the nearest wall (positive inside); NaN without bounds."""
    if bounds is None:
        return np.full(x.shape, np.nan, dtype=np.float32)
    xmin, ymin, xmax, ymax = bounds
    return np.minimum(np.minimum(x - xmin, xmax - x), np.minimum(y - ymin, ymax - y))


def compute(
    block: PoseBlock, options: dict[str, Any], table: FeatureTable, bounds: tuple[float, float, float, float] | None
) -> None:
    """Add the wall distance of each listed point of every animal to ``table``."""
    for point in options.get("wall_distance", []):
        x, y = block.point(point)
        distance = wall_distance(x, y, bounds)
        for animal in range(block.n_individuals):
            table.add(f"{animal_label(animal)}.wall_distance.{point}", block.length_unit, FAMILY, distance[animal])
