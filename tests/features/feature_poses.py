"""Poses for the feature-engine tests: synthetic random walks and the real rat-dyad session."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from etholake.schema import make_pose_dataset

RAT24 = "rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv"


def read_rat_pose(path) -> xr.Dataset:
    """Read a DeepLabCut multi-animal CSV (4 header rows) as a canonical pose dataset at 30 fps."""
    table = pd.read_csv(path, header=[0, 1, 2, 3], index_col=0)
    individuals = list(dict.fromkeys(table.columns.get_level_values(1)))
    keypoints = list(dict.fromkeys(table.columns.get_level_values(2)))
    values = table.to_numpy(dtype=float).reshape(len(table), len(individuals), len(keypoints), 3)
    return make_pose_dataset(
        values[..., :2].transpose(0, 3, 2, 1),
        keypoints=keypoints,
        individuals=individuals,
        confidence=values[..., 2].transpose(0, 2, 1),
        fps=30.0,
        source_software="DeepLabCut",
        source_file=str(path),
    )


def random_pose(
    n_frames: int, *, n_individuals: int = 2, seed: int = 0, missing: float = 0.05, fps: float = 30.0
) -> xr.Dataset:
    """Random-walk animals with mouse keypoint names, runs of missing points and random confidences."""
    rng = np.random.default_rng(seed)
    keypoints = ["nose", "left_ear", "right_ear", "centroid", "left_side", "right_side", "tail_base", "tail_end"]
    layout = np.array([[20, 0], [12, -6], [12, 6], [0, 0], [-2, -9], [-2, 9], [-20, 0], [-45, 0]], dtype=float)
    centre = np.cumsum(rng.normal(0, 3, size=(n_frames, 2, n_individuals)), axis=0) + 300
    angle = np.cumsum(rng.normal(0, 0.05, size=(n_frames, n_individuals)), axis=0)
    cos, sin = np.cos(angle), np.sin(angle)
    x = centre[:, None, 0] + layout[None, :, 0, None] * cos[:, None] - layout[None, :, 1, None] * sin[:, None]
    y = centre[:, None, 1] + layout[None, :, 0, None] * sin[:, None] + layout[None, :, 1, None] * cos[:, None]
    position = np.stack([x, y], axis=1) + rng.normal(0, 0.5, size=(n_frames, 2, len(keypoints), n_individuals))
    confidence = rng.uniform(0, 1, size=(n_frames, len(keypoints), n_individuals))
    gaps = rng.uniform(size=(n_frames, len(keypoints), n_individuals)) < missing / 4
    for shift in range(1, 4):
        gaps[shift:] |= gaps[:-shift]
    position = np.where(gaps[:, None], np.nan, position)
    return make_pose_dataset(
        position,
        keypoints=keypoints,
        individuals=[f"mouse{i}" for i in range(n_individuals)],
        confidence=confidence,
        fps=fps,
    )
