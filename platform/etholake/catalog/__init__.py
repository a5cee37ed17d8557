"""The catalog: what is in the lake, who may see it, and where it came from (names load on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from etholake.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from etholake.catalog.catalog import Catalog

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "etholake.catalog.catalog": ("Catalog",),
        "etholake.catalog.model_registry": ("NewModel",),
        "etholake.catalog.records": ("AssetRecord", "NewAsset", "SessionKey"),
        "etholake.catalog.summaries": ("BehaviorSummaryRows", "UnitSummaryRows"),
    },
    defined_here=("open_catalog",),
)


def open_catalog(url: str | None = None) -> Catalog:
    """Open the catalog at ``url``, or the configured one (``ETHOLAKE_CATALOG``, else inside the lake).

    An older catalog's schema is brought up to date; a SQLite catalog that does
    not exist is refused (``etholake init`` creates it).
    """
    from etholake.catalog.catalog import Catalog
    from etholake.config import load_settings

    return Catalog(url or load_settings().catalog_url, create=False)
