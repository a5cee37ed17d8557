"""The catalog: what is in the lake, who may see it, and where it came from (names load on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from etholake.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from etholake.catalog.catalog import Catalog

_EXPORTS = {
    "AssetRecord": "etholake.catalog.records",
    "BehaviorSummaryRows": "etholake.catalog.summaries",
    "Catalog": "etholake.catalog.catalog",
    "NewAsset": "etholake.catalog.records",
    "NewModel": "etholake.catalog.model_registry",
    "SessionKey": "etholake.catalog.records",
    "UnitSummaryRows": "etholake.catalog.summaries",
}

__all__ = sorted([*_EXPORTS, "open_catalog"])
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__


def open_catalog(url: str | None = None) -> Catalog:
    """Open the catalog at ``url``, or the configured one (``ETHOLAKE_CATALOG``, else inside the lake)."""
    from etholake.catalog.catalog import Catalog
    from etholake.config import load_settings

    return Catalog(url or load_settings().catalog_url)
