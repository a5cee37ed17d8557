"""What is current and what is stale, per session and production model, and why.

A session's annotations by model *M* are current when the newest bouts asset
made by *M* used the production version of *M*, the session's newest pose and
features of *M*'s feature set computed from that pose. Otherwise the reason is
every one of: never annotated, new production model, new feature-set
version, new pose version, new feature code (features computed by an older
:data:`etholake.features.FEATURE_CODE_VERSION`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from etholake.catalog import SessionKey
from etholake.jobs.context import JobContext
from etholake.jobs.features import feature_code_version

STATUS_COLUMNS = ["lab", "subject", "session", "model", "production_version", "annotated_version", "state", "reason"]


@dataclass(frozen=True)
class SessionState:
    """Whether one session is current for one production model, and why not."""

    session: SessionKey
    model: str
    production_version: int
    annotated_version: int | None
    current: bool
    reason: str


def session_states(
    context: JobContext, *, lab: str | None = None, model: str | None = None, writable_only: bool = False
) -> list[SessionState]:
    """The state of every visible session with pose, for every production model (or the one named).

    With ``writable_only``, only the sessions of labs the user may write to (those
    reprocessing can annotate).

    Raises
    ------
    NotFoundError
        If ``model`` is given and has no production version the user can see.
    """
    with context.catalog() as catalog:
        models = catalog.models(context.user, stage="production")
        if model is not None:
            catalog.model(context.user, model, "production")
            models = models[models["name"] == model]
        poses: dict[SessionKey, str] = {}
        for asset in catalog.assets(context.user, kind="pose", lab=lab):
            poses.setdefault(asset.session, asset.id)
        if writable_only:
            writable = catalog.writable_labs(context.user)
            poses = {key: pose_id for key, pose_id in poses.items() if key.lab in writable}
        bouts: dict[tuple[SessionKey, str], dict] = {}
        for asset in catalog.assets(context.user, kind="bouts", lab=lab):
            bouts.setdefault((asset.session, asset.params.get("model_name")), asset.params)
    code_version = feature_code_version()
    states = []
    for row in models.itertuples():
        for key, pose_id in sorted(poses.items()):
            newest = bouts.get((key, row.name))
            annotated = int(newest["model_version"]) if newest else None
            reasons = ["never annotated"] if newest is None else []
            if newest is not None and annotated != row.version:
                reasons.append(f"new production model (v{annotated} -> v{row.version})")
            if newest is not None and newest.get("feature_set_hash") != row.feature_set_hash:
                reasons.append(f"new feature-set version ({row.feature_set_hash[:8]})")
            if newest is not None and newest.get("pose_asset") != pose_id:
                reasons.append("new pose version")
            if newest is not None and (made_by := newest.get("feature_code_version", 1)) != code_version:
                reasons.append(f"new feature code (v{made_by} -> v{code_version})")
            reason = "; ".join(reasons)
            states.append(SessionState(key, row.name, int(row.version), annotated, not reason, reason))
    return states


def status_table(states: list[SessionState]) -> pd.DataFrame:
    """States as a table, one row per session and model."""
    return pd.DataFrame(
        [
            {
                "lab": s.session.lab,
                "subject": s.session.subject,
                "session": s.session.session,
                "model": s.model,
                "production_version": s.production_version,
                "annotated_version": s.annotated_version,
                "state": "current" if s.current else "stale",
                "reason": s.reason,
            }
            for s in states
        ],
        columns=STATUS_COLUMNS,
    )
