"""The lake: immutable, URL-addressed assets over fsspec (local folders, ``s3://``); names load on first use."""

from etholake.lazy_exports import lazy_exports

_EXPORTS = {
    "Lake": "etholake.lake.store",
    "PublishedAsset": "etholake.lake.publish",
    "StagedAsset": "etholake.lake.publish",
    "commit": "etholake.lake.publish",
    "discard": "etholake.lake.publish",
    "find_orphans": "etholake.lake.gc",
    "open_lake": "etholake.lake.store",
    "publish_dataset": "etholake.lake.publish",
    "publish_file": "etholake.lake.publish",
    "publish_json": "etholake.lake.publish",
    "publish_table": "etholake.lake.publish",
    "remove_orphans": "etholake.lake.gc",
    "stage": "etholake.lake.publish",
    "stage_dataset": "etholake.lake.publish",
    "stage_dataset_computing": "etholake.lake.publish",
    "stage_file": "etholake.lake.publish",
    "stage_json": "etholake.lake.publish",
    "stage_table": "etholake.lake.publish",
    "tree_sha256": "etholake.lake.hashing",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
