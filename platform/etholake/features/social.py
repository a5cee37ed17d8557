"""Between-animal features, for every ordered pair of individuals (``a1>a2``: a1 relative to a2).

* ``dist.p-q``: |a1.p - a2.q|. A pair that repeats another (a2>a1 ``nose-nose`` equals
  a1>a2 ``nose-nose``) is computed once, under the lower-numbered first animal.
* ``distance_rate``: d/dt of the centroid distance (L/s, negative when closing in); one
  per unordered pair.
* ``approach_speed``: the first animal's centroid velocity towards the second's centroid
  (L/s, positive = approaching); directed, so it says who approaches whom.
* ``facing_angle``: angle between the first animal's heading and the direction from its
  centroid to the other's centroid, radians in [0, pi] (0 = facing it).
* ``relative_heading``: |angle between the two headings|, radians in [0, pi]; one per
  unordered pair.
* ``ego.p.x`` / ``ego.p.y``: the other animal's point p in the first animal's body frame
  (origin its centroid, x along its heading, y to its left on screen), in L.
"""

from __future__ import annotations

from itertools import permutations, product
from typing import Any

import numpy as np

from etholake.features.block import CENTROID, FeatureTable, PoseBlock, norm, pair_label
from etholake.features.body import wrap_angle
from etholake.features.kinematics import derivative

FAMILY = "social"
HALO = 1


def distance_pairs(block: PoseBlock, pairs: str | list[list[str]]) -> list[tuple[int, int, str, str]]:
    """(first animal, second animal, first point, second point) for every distinct distance."""
    animals = range(block.n_individuals)
    if pairs == "all":
        return [
            (first, second, p, q)
            for first, second in permutations(animals, 2)
            if first < second
            for p, q in product(block.keypoints, repeat=2)
        ]
    listed = [(p, q) for p, q in pairs]
    return [
        (first, second, p, q)
        for first, second in permutations(animals, 2)
        for p, q in listed
        if first < second or (q, p) not in listed
    ]


def compute(block: PoseBlock, options: dict[str, Any], table: FeatureTable) -> None:
    """Add the social features of every ordered pair of animals to ``table``."""
    if block.n_individuals < 2:
        return
    unit = block.length_unit
    for first, second, p, q in distance_pairs(block, options.get("distances", [])):
        px, py = block.point(p)
        qx, qy = block.point(q)
        values = norm(px[first] - qx[second], py[first] - qy[second])
        table.add(f"{pair_label(first, second)}.dist.{p}-{q}", unit, FAMILY, values)
    cx, cy = block.point(CENTROID)
    hx, hy = block.heading_vector()
    heading = np.arctan2(hy, hx)
    with np.errstate(invalid="ignore", divide="ignore"):
        hx, hy = hx / norm(hx, hy), hy / norm(hx, hy)
    vx, vy = derivative(cx, block.time, "central"), derivative(cy, block.time, "central")
    ego_points = list(options.get("egocentric", []))
    ego = {point: block.point(point) for point in ego_points}
    for first, second in permutations(range(block.n_individuals), 2):
        label = pair_label(first, second)
        dx, dy = cx[second] - cx[first], cy[second] - cy[first]
        distance = norm(dx, dy)
        if options.get("distance_rate", True) and first < second:
            table.add(f"{label}.distance_rate", f"{unit}/s", FAMILY, derivative(distance, block.time, "central"))
        if options.get("approach_speed", True):
            with np.errstate(invalid="ignore", divide="ignore"):
                approach = (vx[first] * dx + vy[first] * dy) / distance
            table.add(f"{label}.approach_speed", f"{unit}/s", FAMILY, approach)
        if options.get("facing_angle", True):
            facing = np.abs(wrap_angle(np.arctan2(dy, dx) - heading[first]))
            table.add(f"{label}.facing_angle", "rad", FAMILY, facing)
        if options.get("relative_heading", True) and first < second:
            relative = np.abs(wrap_angle(heading[second] - heading[first]))
            table.add(f"{label}.relative_heading", "rad", FAMILY, relative)
        for point in ego_points:
            px, py = ego[point]
            rx, ry = px[second] - cx[first], py[second] - cy[first]
            table.add(f"{label}.ego.{point}.x", unit, FAMILY, rx * hx[first] + ry * hy[first])
            table.add(f"{label}.ego.{point}.y", unit, FAMILY, rx * hy[first] - ry * hx[first])
