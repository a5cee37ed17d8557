"""Job: features of one session for one feature set, published with lineage to the pose asset."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask

from etholake.catalog import SessionKey
from etholake.errors import DuplicateAssetError
from etholake.jobs.context import JobContext, open_dataset, require_asset
from etholake.lake import publish_dataset


@dataclass(frozen=True)
class FeaturesOutcome:
    """Result of :func:`session_features`: the features asset and whether it was computed now."""

    session: SessionKey
    asset_id: str
    computed: bool
    frames: int
    seconds: float


def resolve_spec(spec: str | Path | dict[str, Any]):
    """Load a feature-set spec (built-in name, file or mapping)."""
    from etholake.features.spec import load_spec

    return load_spec(spec)


def session_features(context: JobContext, key: SessionKey, spec: str | dict[str, Any] = "default") -> FeaturesOutcome:
    """Compute the features of a session's newest pose for ``spec``, unless they exist already.

    Parameters
    ----------
    context
        Lake, catalog and user.
    key
        The session.
    spec
        Feature-set spec: a built-in name, a file path or a mapping.

    Returns
    -------
    FeaturesOutcome
    """
    import time

    from etholake.features import compute_features

    started = time.perf_counter()
    feature_set = resolve_spec(spec)
    key = SessionKey(*key)
    with context.catalog() as catalog:
        catalog.register_feature_set(feature_set.sha256, feature_set.name, feature_set.version, feature_set.content)
        pose_asset = require_asset(catalog, context.user, key, "pose")
        unique_key = f"features:{pose_asset.id}:{feature_set.sha256}"
        existing = catalog.asset_by_key(context.user, unique_key)
        if existing is not None:
            return FeaturesOutcome(key, existing.id, False, int(existing.params["frames"]), 0.0)
        pose = open_dataset(context, pose_asset)
        features = compute_features(pose, feature_set)
        with dask.config.set(scheduler="synchronous"):
            try:
                published = publish_dataset(
                    context.lake(),
                    catalog,
                    context.user,
                    features,
                    kind="features",
                    lab=key.lab,
                    session=key,
                    parents={pose_asset.id: "pose"},
                    params={
                        "feature_set": feature_set.name,
                        "feature_set_version": feature_set.version,
                        "feature_set_hash": feature_set.sha256,
                        "pose_asset": pose_asset.id,
                        "frames": int(features.sizes["time"]),
                        "n_features": int(features.sizes["feature"]),
                    },
                    unique_key=unique_key,
                )
            except DuplicateAssetError:
                existing = catalog.asset_by_key(context.user, unique_key)
                return FeaturesOutcome(key, existing.id, False, int(existing.params["frames"]), 0.0)
    return FeaturesOutcome(key, published.id, True, int(features.sizes["time"]), time.perf_counter() - started)
