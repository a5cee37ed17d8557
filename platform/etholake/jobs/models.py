"""Job side of the model registry: store a trained model as a lake asset, register it, load it safely.

A model version is one lake asset (``kind="model"``): a folder holding
``model.skops`` and ``card.json`` at ``labs/<lab>/model/<asset-id>.model``. Its
version number and stage are catalog state (DESIGN.md's
``models/<name>/<version>/`` would need the version before the files are
written, and promoting would rewrite immutable files). Loading checks the
artifact against the sha256 recorded in the catalog, never the card beside it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from etholake.catalog import Catalog, NewModel
from etholake.errors import IntegrityError
from etholake.lake import Lake, commit, stage


def publish_model(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    bundle,
    *,
    lab: str,
    parents: dict[str, str] | None = None,
    visibility: str = "private",
    params: dict[str, Any] | None = None,
    unique_key: str | None = None,
) -> tuple[str, int]:
    """Store ``bundle`` (a :class:`etholake.models.bundle.ModelBundle`) and register it as a new version.

    Parameters
    ----------
    lake, catalog, actor
        Where to store, where to record, who does it.
    bundle
        The trained model.
    lab
        Owner lab.
    parents
        Training assets (features and labels) -> role, for lineage.
    visibility
        private, shared or public.
    params
        More parameters to record with the artifact (how it was trained).
    unique_key
        Key no other model asset may hold (what it was trained from): a second run that
        registers the same key raises :class:`~etholake.errors.DuplicateAssetError`.

    Returns
    -------
    (asset_id, version)
    """
    from etholake.models.registry import read_card, save_model

    card: dict[str, Any] = {}
    params = {
        **(params or {}),
        "name": bundle.name,
        "behaviors": list(bundle.behaviors),
        "feature_set_hash": bundle.feature_set_hash,
    }

    def write(target: str) -> None:
        card.update(save_model(bundle, lake.uri(lake.relative(target)), lake.storage_options))
        params["artifact_sha256"] = card["artifact"]["sha256"]

    def verify(target: str) -> None:
        stored = read_card(lake.uri(lake.relative(target)), lake.storage_options)
        if stored["artifact"]["sha256"] != params["artifact_sha256"]:
            raise IntegrityError(f"model card at {target} does not match the artifact just written")

    staged = stage(
        lake,
        kind="model",
        extension="model",
        lab=lab,
        write=write,
        verify=verify,
        schema="etholake.model_card/1",
        parents=parents,
        params=params,
        visibility=visibility,
        unique_key=unique_key,
    )
    model = NewModel(
        name=bundle.name,
        lab=lab,
        asset_id=staged.id,
        behaviors=list(bundle.behaviors),
        feature_set_hash=bundle.feature_set_hash,
        metrics=card.get("metrics", {}),
    )
    (published,) = commit(lake, catalog, actor, [staged], model=model)
    return published.id, int(published.record.params["version"])


def registered_card(lake: Lake, catalog: Catalog, actor: str | None, name: str, version: int | str) -> dict[str, Any]:
    """The model card of a registered version with the catalog's ``version``, ``stage`` and ``asset_id``.

    Parameters
    ----------
    lake, catalog, actor
        Where the model is stored, where it is registered, who asks.
    name, version
        The model and its version (a number, ``"production"`` or ``"latest"``).
    """
    from etholake.models.registry import read_card

    record = catalog.model(actor, name, version)
    asset = catalog.asset(actor, record["asset_id"])
    card = read_card(lake.uri(asset.uri), lake.storage_options)
    return card | {"version": record["version"], "stage": record["stage"], "asset_id": record["asset_id"]}


@lru_cache(maxsize=8)
def _load(url: str, artifact_sha256: str, options: tuple):
    """Load and cache a model; its trees predict on one thread (sessions run in parallel on Dask instead)."""
    from etholake.models.registry import load_model

    bundle = load_model(url, artifact_sha256, dict(options))
    for estimator in bundle.estimators.values():
        if hasattr(estimator, "n_jobs"):
            estimator.n_jobs = 1
    return bundle


def load_registered_model(lake: Lake, catalog: Catalog, actor: str | None, name: str, version: int | str):
    """Load a registered model version (``"production"``, ``"latest"`` or a number), checked and cached.

    Returns
    -------
    (bundle, model_record)
        The :class:`~etholake.models.bundle.ModelBundle` and the catalog's model row.
    """
    record = catalog.model(actor, name, version)
    asset = catalog.asset(actor, record["asset_id"])
    options = tuple(sorted(lake.storage_options.items()))
    bundle = _load(lake.uri(asset.uri), asset.params["artifact_sha256"], options)
    return bundle, record
