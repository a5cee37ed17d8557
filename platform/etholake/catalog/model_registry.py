"""Catalog records of feature sets and model versions, and the model stages.

A model name belongs to the lab of its first version and has numbered
versions; at most one version of a name is in ``production`` at a time
(promoting one archives the previous production version). The artifact
itself is an asset in the lake (``kind="model"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from etholake.catalog import access
from etholake.catalog.models import STAGES, Asset, FeatureSet, Lab, Model, Session
from etholake.errors import AccessDeniedError, NotFoundError, OptionError
from etholake.names import validate_name


@dataclass(frozen=True)
class NewModel:
    """A model version to register: its name, owner lab, artifact asset and feature contract."""

    name: str
    lab: str
    asset_id: str
    behaviors: list[str]
    feature_set_hash: str
    metrics: dict[str, Any] = field(default_factory=dict)


MODEL_COLUMNS = [
    "name",
    "version",
    "stage",
    "lab",
    "behaviors",
    "feature_set_hash",
    "asset_id",
    "metrics",
    "created_by",
    "created_at",
    "stage_changed_at",
]


def _require_stage(stage: str | None) -> None:
    if stage is not None and stage not in STAGES:
        raise OptionError(f"stage must be one of {', '.join(STAGES)}, got {stage!r}")


def _version_number(version: int | str) -> int:
    """A model version given as a number or its text (``"3"``)."""
    try:
        return int(version)
    except ValueError:
        raise OptionError(f"model version must be a number, 'latest' or 'production', got {version!r}") from None


def _require_name_of_lab(db, actor: str, name: str, lab: Lab) -> None:
    """Raise unless every registered version of model ``name`` belongs to ``lab``.

    A name's versions share one production stage, so a name used in two labs would let
    one lab archive the other's production model. The other lab is named only to
    someone who may write to it.
    """
    other = db.scalar(select(Lab).join(Model, Model.lab_id == Lab.id).where(Model.name == name, Lab.id != lab.id))
    if other is None:
        return
    if access.role_in_lab(db, actor, other) in access.WRITE_ROLES:
        raise OptionError(
            f"model name {name!r} belongs to lab {other.name!r}: register it there or choose another name"
        )
    raise AccessDeniedError(f"model name {name!r} is taken by a lab {actor} may not write to: choose another name")


class ModelRegistryMixin:
    """Feature-set and model-version methods of :class:`etholake.catalog.Catalog`."""

    def register_feature_set(self, hash: str, name: str, version: str, spec: dict[str, Any]) -> None:
        """Record a feature-set specification under its content hash (once)."""
        with self.transaction() as db:
            self._insert_ignore(
                db,
                FeatureSet,
                {
                    "hash": hash,
                    "name": name,
                    "version": version,
                    "spec": spec,
                    "created_at": datetime.now().astimezone(),
                },
            )

    def feature_set(self, hash: str) -> dict[str, Any]:
        """The feature-set record with this hash."""
        with self.transaction() as db:
            row = db.get(FeatureSet, hash)
            if row is None:
                raise NotFoundError(f"no feature set with hash {hash}")
            return {"hash": row.hash, "name": row.name, "version": row.version, "spec": row.spec}

    def require_model_name(self, actor: str, name: str, lab: str) -> None:
        """Raise unless ``actor`` may register a version of model ``name`` in ``lab`` (before training it).

        Raises
        ------
        AccessDeniedError
            If ``actor`` may not write to ``lab``, or the name is taken by a lab ``actor`` may not write to.
        OptionError
            If the name belongs to another lab ``actor`` may write to.
        """
        with self.transaction() as db:
            lab_row = self._lab(db, lab)
            access.require_write(db, actor, lab_row)
            _require_name_of_lab(db, actor, name, lab_row)

    def register_model(self, actor: str, model: NewModel) -> int:
        """Record a new version of a model whose artifact asset is already registered; return the version."""
        with self.transaction() as db:
            return self._add_model(db, actor, model)

    def _add_model(self, db, actor: str, model: NewModel) -> int:
        validate_name(model.name, "model")
        lab_row = self._lab(db, model.lab)
        access.require_write(db, actor, lab_row)
        db.flush()
        if db.get(Asset, model.asset_id) is None:
            raise NotFoundError(f"model artifact asset {model.asset_id} is not in the catalog")
        if db.get_bind().dialect.name == "postgresql":
            db.execute(select(func.pg_advisory_xact_lock(func.hashtext(model.name))))
        _require_name_of_lab(db, actor, model.name, lab_row)
        version = (db.scalar(select(func.max(Model.version)).where(Model.name == model.name)) or 0) + 1
        now = datetime.now().astimezone()
        db.add(
            Model(
                name=model.name,
                version=version,
                lab_id=lab_row.id,
                asset_id=model.asset_id,
                behaviors=list(model.behaviors),
                feature_set_hash=model.feature_set_hash,
                stage="candidate",
                metrics=model.metrics,
                created_by=actor,
                created_at=now,
                stage_changed_at=now,
            )
        )
        db.flush()
        return version

    def _model_query(self, db, actor: str | None):
        visible_ids = (
            select(Asset.id)
            .outerjoin(Session, Session.id == Asset.session_id)
            .where(access.visible_assets(db, actor))
            .scalar_subquery()
        )
        return select(Model, Lab.name).join(Lab, Lab.id == Model.lab_id).where(Model.asset_id.in_(visible_ids))

    @staticmethod
    def _model_row(model: Model, lab: str) -> dict[str, Any]:
        return {
            "name": model.name,
            "version": model.version,
            "stage": model.stage,
            "lab": lab,
            "behaviors": list(model.behaviors),
            "feature_set_hash": model.feature_set_hash,
            "asset_id": model.asset_id,
            "metrics": dict(model.metrics or {}),
            "created_by": model.created_by,
            "created_at": model.created_at,
            "stage_changed_at": model.stage_changed_at,
        }

    def models(self, actor: str | None, *, name: str | None = None, stage: str | None = None) -> pd.DataFrame:
        """Model versions visible to ``actor``, newest first (of one name and stage when given)."""
        _require_stage(stage)
        with self.transaction() as db:
            query = self._model_query(db, actor)
            if name is not None:
                query = query.where(Model.name == name)
            if stage is not None:
                query = query.where(Model.stage == stage)
            rows = db.execute(query.order_by(Model.name, Model.version.desc())).all()
            return pd.DataFrame([self._model_row(m, lab) for m, lab in rows], columns=MODEL_COLUMNS)

    def model(self, actor: str | None, name: str, version: int | str = "production") -> dict[str, Any]:
        """One model version: a number, ``"latest"`` or ``"production"``."""
        with self.transaction() as db:
            query = self._model_query(db, actor).where(Model.name == name)
            if version == "production":
                query = query.where(Model.stage == "production")
            elif version != "latest":
                query = query.where(Model.version == _version_number(version))
            found = db.execute(query.order_by(Model.version.desc())).first()
            if found is None:
                which = f"{version} version" if version in ("production", "latest") else f"version {version}"
                raise NotFoundError(f"no {which} of model {name!r} visible to {actor or 'anonymous readers'}")
            return self._model_row(*found)

    def set_model_stage(self, actor: str, name: str, version: int, stage: str) -> None:
        """Move a model version to ``stage``; promoting archives the previous production version."""
        _require_stage(stage)
        with self.transaction() as db:
            if db.get_bind().dialect.name == "postgresql":
                db.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))
            found = db.execute(
                self._model_query(db, actor).where(Model.name == name, Model.version == _version_number(version))
            ).first()
            if found is None:
                raise NotFoundError(f"no version {version} of model {name!r} visible to {actor}")
            model = found[0]
            access.require_write(db, actor, model.lab)
            now = datetime.now().astimezone()
            if stage == "production":
                for current in db.scalars(
                    select(Model).where(
                        Model.name == name,
                        Model.lab_id == model.lab_id,
                        Model.stage == "production",
                        Model.id != model.id,
                    )
                ):
                    current.stage, current.stage_changed_at = "archived", now
            model.stage, model.stage_changed_at = stage, now
