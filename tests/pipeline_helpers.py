"""Small synthetic sessions and models for pipeline tests (the simulator makes the realistic ones)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from etholake.catalog import Catalog, SessionKey
from etholake.lake import Lake, publish_dataset
from etholake.schema import make_pose_dataset

KEYPOINTS = ["nose", "left_ear", "right_ear", "neck", "left_flank", "right_flank", "tail_base", "tail_tip"]
BODY = np.array([[0, 0], [-8, 5], [-8, -5], [-15, 0], [-30, 8], [-30, -8], [-45, 0], [-75, 0]], dtype=np.float32)


def synthetic_pose(frames: int = 1200, seed: int = 0, fps: float = 30.0) -> xr.Dataset:
    """Two animals wandering in a 400 px arena, meeting now and then; px_per_mm = 2."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 3, (frames, 2, 2)).cumsum(axis=0)
    centres = 200 + 150 * np.tanh(steps / 150)
    centres[:, 1] = centres[:, 0] + 80 * np.cos(np.arange(frames) / 60.0)[:, None]
    heading = np.cumsum(rng.normal(0, 0.05, (frames, 2)), axis=0)
    cos, sin = np.cos(heading), np.sin(heading)
    x = centres[:, None, :, 0] + BODY[None, :, 0, None] * cos[:, None, :] - BODY[None, :, 1, None] * sin[:, None, :]
    y = centres[:, None, :, 1] + BODY[None, :, 0, None] * sin[:, None, :] + BODY[None, :, 1, None] * cos[:, None, :]
    position = np.stack([x, y], axis=1).astype(np.float32)
    confidence = rng.uniform(0.6, 1.0, (frames, len(KEYPOINTS), 2)).astype(np.float32)
    pose = make_pose_dataset(
        position,
        confidence=confidence,
        keypoints=KEYPOINTS,
        individuals=["resident", "intruder"],
        fps=fps,
        source_software="DeepLabCut",
    )
    pose.attrs["px_per_mm"] = 2.0
    return pose


def contact_truth(pose: xr.Dataset, distance_px: float = 60.0) -> np.ndarray:
    """1 where the two noses are closer than ``distance_px``."""
    nose = pose["position"].sel(keypoint="nose").values
    return (np.hypot(*(nose[:, :, 0] - nose[:, :, 1]).T) < distance_px).astype(np.int8)


def add_sessions(lake: Lake, catalog: Catalog, user: str, lab: str, names: list[str], seed: int = 0) -> None:
    """Register sessions of subject ``m1`` in ``lab`` and publish a synthetic pose asset for each."""
    catalog.create_lab(user, lab)
    catalog.register_subject(user, lab, "m1", species="Mus musculus")
    for index, name in enumerate(names):
        key = SessionKey(lab, "m1", name)
        catalog.register_session(user, key, fps=30.0, px_per_mm=2.0)
        publish_dataset(
            lake,
            catalog,
            user,
            synthetic_pose(seed=seed + index),
            kind="pose",
            lab=lab,
            session=key,
            params={"identity": "pose"},
        )


def train_contact_model(features: list[xr.Dataset], poses: list[xr.Dataset], name: str, behavior: str = "contact"):
    """A small random forest for ``behavior`` = noses close, as a registry-ready ModelBundle."""
    from etholake.inference.bouts import BoutSettings
    from etholake.models.bundle import ModelBundle
    from etholake.models.estimators import EstimatorSpec, fit_estimator

    x = np.concatenate([f["features"].values for f in features])
    y = np.concatenate([contact_truth(p) for p in poses])
    usable = ~np.all(np.isnan(x), axis=1)
    spec = EstimatorSpec(params={"n_estimators": 20, "max_depth": 8})
    estimator = fit_estimator(spec, x[usable], y[usable])
    return ModelBundle(
        name=name,
        behaviors=[behavior],
        estimators={behavior: estimator},
        feature_names=[str(n) for n in features[0]["feature"].values],
        feature_set_hash=features[0].attrs["feature_set_hash"],
        settings={behavior: BoutSettings(threshold=0.5, merge_gap=3, min_bout=3)},
        spec=spec,
        fps=30.0,
    )
