"""Tracking quality: mean confidence and how many keypoints are low-confidence or missing.

Computed on the raw pose (before thresholding and interpolation). A keypoint counts as
low at threshold c when its confidence is below c or its position is missing. Counts are
per animal (``a1.low_confidence.0.5``) and over all animals (``frame.low_confidence.0.5``);
SimBA's ``Low_prob_detections_0.5`` counts confidences in [0, 0.5] over all animals.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from etholake.features.block import FeatureTable, PoseBlock, animal_label

FAMILY = "quality"
HALO = 0


def compute(raw: PoseBlock, options: dict[str, Any], table: FeatureTable) -> None:
    """Add confidence features of each animal and of the whole frame to ``table``."""
    confidence = raw.confidence
    missing = np.isnan(raw.x) | np.isnan(raw.y)
    thresholds = options.get("thresholds", [])
    with np.errstate(invalid="ignore"):
        low = {threshold: (confidence < threshold) | missing for threshold in thresholds}
    groups = []
    if options.get("per_animal", True):
        groups += [(animal_label(a), (slice(None), slice(a, a + 1))) for a in range(raw.n_individuals)]
    if options.get("overall", True):
        groups.append(("frame", (slice(None), slice(None))))
    for label, index in groups:
        scores = confidence[index].reshape(-1, raw.n_frames)
        known = ~np.isnan(scores)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(known, scores, 0).sum(axis=0) / known.sum(axis=0)
        table.add(f"{label}.confidence_mean", "1", FAMILY, mean)
        for threshold, flags in low.items():
            count = flags[index].reshape(-1, raw.n_frames).sum(axis=0)
            table.add(f"{label}.low_confidence.{threshold:g}", "count", FAMILY, count)
