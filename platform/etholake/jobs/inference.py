"""Job: annotate one session with a registered model (features computed first when missing or stale).

Features missing for the model's feature set are computed first and stored; the
model predicts on each features chunk as it is computed (one pass over the pose),
so the features are not read back. Output, committed in one catalog transaction:
an annotations asset (per-frame probability and prediction, Zarr; parents:
features and model), a bouts table
(Parquet; parent: annotations) and the per-behavior summary rows. A crash at
any point leaves either all of them or none visible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from etholake.catalog import AssetRecord, BehaviorSummaryRows, SessionKey
from etholake.errors import DuplicateAssetError
from etholake.jobs.context import JobContext, open_dataset, require_asset
from etholake.jobs.features import compute_target_features, features_key, features_target, publish_features
from etholake.jobs.models import load_registered_model
from etholake.lake import commit, stage_dataset, stage_table

BOUTS_SCHEMA = "etholake.bouts/1"


@dataclass(frozen=True)
class InferenceOutcome:
    """What :func:`session_inference` did for one session."""

    session: SessionKey
    model: str
    model_version: int
    annotations_id: str
    bouts_id: str
    computed: bool
    features_computed: bool
    frames: int
    bouts: int
    seconds: float
    notes: tuple[str, ...] = ()
    """What computing the session's features warned about, when this run computed them."""


def _existing_outcome(key: SessionKey, model: dict, bouts: AssetRecord, started: float) -> InferenceOutcome:
    annotations_id = next(parent for parent, role in bouts.parents.items() if role == "annotations")
    return InferenceOutcome(
        key,
        model["name"],
        model["version"],
        annotations_id,
        bouts.id,
        False,
        False,
        int(bouts.params["frames"]),
        int(bouts.params["bouts"]),
        time.perf_counter() - started,
    )


def session_inference(
    context: JobContext, key: SessionKey, model_name: str, model_version: int | str = "production"
) -> InferenceOutcome:
    """Annotate the newest pose of a session with a model version, unless already done.

    Parameters
    ----------
    context
        Lake, catalog and user.
    key
        The session.
    model_name
        Registered model name.
    model_version
        A version number, ``"production"`` (default) or ``"latest"``.

    Returns
    -------
    InferenceOutcome
    """
    from etholake.inference.predict import annotate_probability, lazy_probability, predict_probability
    from etholake.inference.summary import behavior_summary

    started = time.perf_counter()
    key = SessionKey(*key)
    lake = context.lake()
    with context.catalog() as catalog:
        bundle, model = load_registered_model(lake, catalog, context.user, model_name, model_version)
        pose = require_asset(catalog, context.user, key, "pose")
        features_asset = catalog.asset_by_key(context.user, features_key(pose.id, model["feature_set_hash"]))
        probability, features_computed, notes = None, False, ()
        if features_asset is None:
            target = features_target(catalog, context.user, key, catalog.feature_set(model["feature_set_hash"])["spec"])
            features, notes = compute_target_features(context, target)
            features_asset, features_computed, (probability,) = publish_features(
                context, catalog, target, features, [lazy_probability(bundle, features)]
            )
        identity = {"model_name": model["name"], "model_version": model["version"], "features_asset": features_asset.id}
        bouts_key = f"bouts:{features_asset.id}:{model['name']}:{model['version']}"
        existing = catalog.asset_by_key(context.user, bouts_key)
        if existing is not None:
            return _existing_outcome(key, model, existing, started)
        if probability is None:
            probability = predict_probability(bundle, open_dataset(context, features_asset))
        model_asset = catalog.asset(context.user, model["asset_id"])
        annotations, bouts = annotate_probability(
            bundle,
            probability,
            model_name=model["name"],
            model_version=model["version"],
            model_sha256=model_asset.params["artifact_sha256"],
        )
        params = {
            **identity,
            "pose_asset": pose.id,
            "feature_set_hash": model["feature_set_hash"],
            "feature_code_version": features_asset.params.get("feature_code_version", 1),
            "frames": int(annotations.sizes["time"]),
            "bouts": len(bouts),
        }
        staged_annotations = stage_dataset(
            lake,
            annotations,
            kind="annotations",
            lab=key.lab,
            session=key,
            parents={features_asset.id: "features", model_asset.id: "model"},
            params=params,
            unique_key=bouts_key.replace("bouts:", "annotations:", 1),
        )
        staged_bouts = stage_table(
            lake,
            bouts,
            kind="bouts",
            lab=key.lab,
            session=key,
            schema=BOUTS_SCHEMA,
            parents={staged_annotations.id: "annotations"},
            params=params,
            unique_key=bouts_key,
        )
        times = np.asarray(annotations["time"].values, dtype=float)
        fps = annotations.attrs.get("fps") or 0.0
        duration = float(times[-1] - times[0] + (1.0 / fps if fps else 0.0)) if times.size else 0.0
        summary = behavior_summary(
            bouts,
            list(bundle.behaviors),
            session_start_s=float(times[0]) if times.size else 0.0,
            session_duration_s=duration,
        )
        summaries = [BehaviorSummaryRows(staged_annotations.id, summary, "model", model["name"], model["version"])]
        try:
            commit(lake, catalog, context.user, [staged_annotations, staged_bouts], behavior_summaries=summaries)
        except DuplicateAssetError:
            return _existing_outcome(key, model, catalog.asset_by_key(context.user, bouts_key), started)
    return InferenceOutcome(
        key,
        model["name"],
        model["version"],
        staged_annotations.id,
        staged_bouts.id,
        True,
        features_computed,
        int(annotations.sizes["time"]),
        len(bouts),
        time.perf_counter() - started,
        notes,
    )
