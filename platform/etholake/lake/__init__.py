"""The lake: immutable, URL-addressed assets over fsspec (local folders, ``s3://``)."""

from etholake.lake.gc import find_orphans, remove_orphans
from etholake.lake.hashing import tree_sha256
from etholake.lake.publish import (
    PublishedAsset,
    StagedAsset,
    commit,
    discard,
    publish_dataset,
    publish_file,
    publish_json,
    publish_table,
    stage,
    stage_dataset,
    stage_dataset_computing,
    stage_file,
    stage_json,
    stage_table,
)
from etholake.lake.store import Lake, open_lake

__all__ = [
    "Lake",
    "PublishedAsset",
    "StagedAsset",
    "commit",
    "discard",
    "find_orphans",
    "open_lake",
    "publish_dataset",
    "publish_file",
    "publish_json",
    "publish_table",
    "remove_orphans",
    "stage",
    "stage_dataset",
    "stage_dataset_computing",
    "stage_file",
    "stage_json",
    "stage_table",
    "tree_sha256",
]
