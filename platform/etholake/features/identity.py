"""Identity-swap-robust and scale-free combinations of the per-animal and social features.

Pose trackers swap identities; a classifier that reads ``a1.speed`` and ``a2.speed`` then
sees its inputs exchanged. Symmetric statistics remove that: every per-animal feature
``aN.q`` gives ``all.q.min`` / ``all.q.max`` / ``all.q.mean`` over animals, and every
directed social feature ``aN>aM.q`` gives ``pair.q.<stat>`` over ordered pairs (with two
animals, min and max keep both values, only their order is lost). A social feature that
exists once per unordered pair (``nose-nose`` distance) gives ``pair.q`` unchanged.
With more than two animals the statistics run over all animals / all ordered pairs; with
one animal, ``all.q`` is that animal's own value, so a set's windows over ``all.*`` still apply.

Scale-free copies (``<name>.bl``) divide lengths and speeds by the animals' median body
length over a long centred window, so they mean the same for mice and rats, and for
sessions with and without a px/mm calibration.
"""

from __future__ import annotations

import re
from fnmatch import fnmatch

import numpy as np

from etholake.features.block import FeatureTable, PoseBlock
from etholake.features.windows import centred_median, half_window

ANIMAL = re.compile(r"^a\d+\.")
PAIR = re.compile(r"^a\d+>a\d+\.")
REDUCERS = {"min": np.min, "max": np.max, "mean": np.mean}
SKIPPING_REDUCERS = {"min": np.fmin.reduce, "max": np.fmax.reduce, "mean": None}


def symmetric(table: FeatureTable, stats: list[str], skip_missing: bool = False) -> FeatureTable:
    """Symmetric statistics over animals (``all.``) and ordered pairs (``pair.``).

    With ``skip_missing`` the statistics use the animals (pairs) that are present and are
    NaN only when all are missing; otherwise one missing member makes them NaN.
    """
    groups: dict[str, list[int]] = {}
    for index, name in enumerate(table.names):
        if PAIR.match(name):
            groups.setdefault(PAIR.sub("pair.", name), []).append(index)
        elif ANIMAL.match(name):
            groups.setdefault(ANIMAL.sub("all.", name), []).append(index)
    result = FeatureTable()
    for template, members in groups.items():
        unit, family = table.units[members[0]], table.families[members[0]]
        if len(members) == 1:
            result.add(template, unit, family, table.values[members[0]])
            continue
        stacked = np.stack([table.values[i] for i in members])
        for stat in stats:
            result.add(f"{template}.{stat}", unit, family, _reduce(stacked, stat, skip_missing))
    return result


def _reduce(stacked: np.ndarray, stat: str, skip_missing: bool) -> np.ndarray:
    if not skip_missing:
        return REDUCERS[stat](stacked, axis=0)
    if stat != "mean":
        return SKIPPING_REDUCERS[stat](stacked, axis=0)
    known = ~np.isnan(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known, stacked, 0.0).sum(axis=0) / known.sum(axis=0)


def scale_free(table: FeatureTable, block: PoseBlock, select: list[str], body_length_window_ms: float) -> FeatureTable:
    """Copies of the selected length and length/s features in body lengths (``<name>.bl``)."""
    length_unit = block.length_unit
    units = {length_unit: "body_length", f"{length_unit}/s": "body_length/s"}
    chosen = [
        i for i, name in enumerate(table.names) if table.units[i] in units and any(fnmatch(name, g) for g in select)
    ]
    result = FeatureTable()
    if not chosen:
        return result
    length = block.body_length()
    known = np.isfinite(length)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_length = np.where(known, length, 0.0).sum(axis=0) / known.sum(axis=0)
    window = 2 * half_window(body_length_window_ms, block.fps) + 1
    reference = centred_median(mean_length[None].astype(np.float32), window)[0]
    for i in chosen:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = table.values[i] / reference
        result.add(f"{table.names[i]}.bl", units[table.units[i]], table.families[i], values)
    return result


def scale_free_halo(body_length_window_ms: float, fps: float) -> int:
    """Frames of context each side the body-length reference needs."""
    return half_window(body_length_window_ms, fps)
