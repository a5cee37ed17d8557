"""The catalog: what is in the lake, who may see it, and where it came from."""

from etholake.catalog.catalog import Catalog
from etholake.catalog.model_registry import NewModel
from etholake.catalog.records import AssetRecord, NewAsset, SessionKey
from etholake.catalog.summaries import BehaviorSummaryRows, UnitSummaryRows

__all__ = [
    "AssetRecord",
    "BehaviorSummaryRows",
    "Catalog",
    "NewAsset",
    "NewModel",
    "SessionKey",
    "UnitSummaryRows",
    "open_catalog",
]


def open_catalog(url: str | None = None) -> Catalog:
    """Open the catalog at ``url``, or the configured one (``ETHOLAKE_CATALOG``, else inside the lake)."""
    from etholake.config import load_settings

    return Catalog(url or load_settings().catalog_url)
