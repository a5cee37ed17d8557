"""Job: features of one session for one feature set, published with lineage to the pose asset."""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dask
import xarray as xr

from etholake.catalog import AssetRecord, Catalog, SessionKey
from etholake.errors import DuplicateAssetError
from etholake.jobs.context import JobContext, open_dataset, require_asset
from etholake.lake import commit, stage_dataset_computing
from etholake.notes import warning_notes

FEATURES_CODEC = "fast"


@dataclass(frozen=True)
class FeaturesOutcome:
    """Result of :func:`session_features`: the features asset and whether it was computed now."""

    session: SessionKey
    asset_id: str
    computed: bool
    frames: int
    seconds: float
    notes: tuple[str, ...] = ()
    """What computing the features warned about (keypoints missing for a role, no arena bounds, ...)."""


@dataclass(frozen=True)
class FeaturesTarget:
    """What a session's features for one feature set derive from and the key that names them."""

    session: SessionKey
    feature_set: Any
    pose_asset: AssetRecord

    @property
    def unique_key(self) -> str:
        """The key that names these features (:func:`features_key`)."""
        return features_key(self.pose_asset.id, self.feature_set.sha256)


def feature_code_version() -> int:
    """The running feature code's version (:data:`etholake.features.FEATURE_CODE_VERSION`)."""
    from etholake import features

    return features.FEATURE_CODE_VERSION


def features_key(pose_asset_id: str, feature_set_hash: str) -> str:
    """``features:<pose asset id>:<feature-set hash>:code<version>``: the unique key of a session's features asset.

    The feature code's version is part of it, so features computed by older code are not found, and are
    computed again.
    """
    return f"features:{pose_asset_id}:{feature_set_hash}:code{feature_code_version()}"


def resolve_spec(spec: str | Path | dict[str, Any]):
    """Load a feature-set spec (built-in name, file or mapping)."""
    from etholake.features.spec import load_spec

    return load_spec(spec)


def features_target(catalog: Catalog, user: str, key: SessionKey, spec: Any) -> FeaturesTarget:
    """Register the feature set and find the session's newest pose asset (NotFoundError if none)."""
    feature_set = resolve_spec(spec)
    catalog.register_feature_set(feature_set.sha256, feature_set.name, feature_set.version, feature_set.content)
    key = SessionKey(*key)
    return FeaturesTarget(key, feature_set, require_asset(catalog, user, key, "pose"))


def compute_target_features(context: JobContext, target: FeaturesTarget) -> tuple[xr.Dataset, tuple[str, ...]]:
    """The target's features, lazily (dask-backed, chunked like the stored pose), and what building them warned.

    Returns
    -------
    (xarray.Dataset, tuple of str)
        The features and the distinct warning messages (a role whose
        keypoints the pose lacks, say), for the job's outcome to report.
    """
    from etholake.features import compute_features

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        features = compute_features(open_dataset(context, target.pose_asset), target.feature_set)
    return features, tuple(warning_notes(caught))


def publish_features(
    context: JobContext,
    catalog: Catalog,
    target: FeaturesTarget,
    features: xr.Dataset,
    companions: Sequence[Any] = (),
) -> tuple[AssetRecord, bool, list[Any]]:
    """Write and record ``features`` as the target's features asset, computing ``companions`` in the same pass.

    Returns
    -------
    (AssetRecord, bool, list)
        The features asset (another run's, if it recorded the same result first), whether
        this call's asset was the one recorded, and the computed companions.
    """
    feature_set, pose_asset = target.feature_set, target.pose_asset
    lake = context.lake()
    with dask.config.set(scheduler="synchronous"):
        staged, computed = stage_dataset_computing(
            lake,
            features,
            companions,
            codec=FEATURES_CODEC,
            kind="features",
            lab=target.session.lab,
            session=target.session,
            parents={pose_asset.id: "pose"},
            params={
                "feature_set": feature_set.name,
                "feature_set_version": feature_set.version,
                "feature_set_hash": feature_set.sha256,
                "feature_code_version": feature_code_version(),
                "pose_asset": pose_asset.id,
                "frames": int(features.sizes["time"]),
                "n_features": int(features.sizes["feature"]),
            },
            unique_key=target.unique_key,
        )
    try:
        (published,) = commit(lake, catalog, context.user, [staged])
    except DuplicateAssetError:
        return catalog.asset_by_key(context.user, target.unique_key), False, computed
    return published.record, True, computed


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
    started = time.perf_counter()
    key = SessionKey(*key)
    with context.catalog() as catalog:
        target = features_target(catalog, context.user, key, spec)
        existing = catalog.asset_by_key(context.user, target.unique_key)
        if existing is None:
            features, notes = compute_target_features(context, target)
            existing, computed, _ = publish_features(context, catalog, target, features)
            if computed:
                seconds = time.perf_counter() - started
                return FeaturesOutcome(key, existing.id, True, features.sizes["time"], seconds, notes)
    return FeaturesOutcome(key, existing.id, False, int(existing.params["frames"]), 0.0)
