"""The lake: immutable, URL-addressed assets over fsspec (local folders, ``s3://``); names load on first use."""

from etholake.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "etholake.lake.gc": ("find_orphans", "remove_orphans"),
        "etholake.lake.hashing": ("tree_sha256",),
        "etholake.lake.publish": (
            "PublishedAsset",
            "StagedAsset",
            "commit",
            "discard",
            "publish_dataset",
            "publish_file",
            "publish_json",
            "publish_table",
            "stage",
            "stage_dataset",
            "stage_dataset_computing",
            "stage_file",
            "stage_json",
            "stage_table",
        ),
        "etholake.lake.store": ("Lake", "open_lake"),
    },
)
