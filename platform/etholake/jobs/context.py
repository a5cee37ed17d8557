"""Where a job reads and writes: lake, catalog and acting user, as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from etholake.config import Settings, load_settings
from etholake.errors import NotFoundError
from etholake.lake.store import Lake

if TYPE_CHECKING:
    from etholake.catalog import AssetRecord, Catalog, SessionKey


@dataclass(frozen=True)
class JobContext:
    """Lake URL, its storage options, catalog URL and acting user: all a job needs, picklable."""

    lake_url: str
    catalog_url: str
    user: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides: Any) -> JobContext:
        """The context of the configured (or given) settings."""
        settings = settings or load_settings(**overrides)
        return cls(settings.lake, settings.catalog_url, settings.user, settings.storage_options)

    def lake(self) -> Lake:
        """The lake."""
        return Lake(self.lake_url, self.storage_options)

    @contextmanager
    def catalog(self) -> Iterator[Catalog]:
        """An open catalog, closed on exit."""
        from etholake.catalog.catalog import Catalog

        catalog = Catalog(self.catalog_url, migrate_schema=False)
        try:
            yield catalog
        finally:
            catalog.close()


def command_context(**overrides: Any) -> JobContext:
    """The configured context of a command that reads or writes the lake, once the lake is known to answer.

    Raises
    ------
    ConfigError
        The lake cannot be reached (see :meth:`etholake.lake.Lake.require_reachable`).
    """
    context = JobContext.from_settings(**overrides)
    context.lake().require_reachable()
    return context


def newest_asset(catalog: Catalog, user: str, key: SessionKey, kind: str, **params: Any) -> AssetRecord | None:
    """The newest asset of ``kind`` in a session whose params contain ``params``, or None."""
    for asset in catalog.assets(user, kind=kind, session=key):
        if all(asset.params.get(name) == value for name, value in params.items()):
            return asset
    return None


def require_asset(catalog: Catalog, user: str, key: SessionKey, kind: str, **params: Any) -> AssetRecord:
    """Like :func:`newest_asset`, raising NotFoundError when there is none (or no such session is visible)."""
    found = newest_asset(catalog, user, key, kind, **params)
    if found is None:
        catalog.session(user, key)
        raise NotFoundError(f"session {key} has no {kind} asset" + (f" with {params}" if params else ""))
    return found


def newest_label_sets(catalog: Catalog, user: str, key: SessionKey) -> dict[str, AssetRecord]:
    """The newest version of each of a session's human label sets, by identity (``annotator:label_set``), sorted."""
    newest: dict[str, AssetRecord] = {}
    for asset in catalog.assets(user, kind="labels", session=key):
        newest.setdefault(str(asset.params.get("identity")), asset)
    return dict(sorted(newest.items()))


def require_bouts(catalog: Catalog, user: str, key: SessionKey, model: str | None = None) -> AssetRecord:
    """The session's newest machine bouts (of ``model`` when given).

    Raises
    ------
    NotFoundError
        When there are none: naming the models the session has bouts of, or saying to run inference.
    """
    every_model = catalog.assets(user, kind="bouts", session=key)
    candidates = [a for a in every_model if model is None or a.params.get("model_name") == model]
    if candidates:
        return candidates[0]
    catalog.session(user, key)
    annotated_by = sorted({str(a.params.get("model_name")) for a in every_model})
    if annotated_by:
        raise NotFoundError(
            f"session {key} has no machine annotations by model {model!r}; "
            f"it has annotations by {', '.join(annotated_by)}"
        )
    raise NotFoundError(f"session {key} has no machine annotations: run etholake infer --model MODEL first")


def open_dataset(context: JobContext, asset: AssetRecord):
    """Open a Zarr asset of the lake lazily."""
    from etholake.lake.formats import read_zarr

    lake = context.lake()
    return read_zarr(lake.uri(asset.uri), lake.storage_options)
