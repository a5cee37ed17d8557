"""A session at a glance: which of its assets are current."""

from datetime import UTC, datetime, timedelta

from etholake.catalog import SessionKey
from etholake.catalog.records import AssetRecord
from etholake.catalog.session_overview import session_overview

KEY = SessionKey("labA", "m1", "s1")
START = datetime(2026, 1, 1, tzinfo=UTC)


def record(asset_id: str, kind: str, minute: int, parents: dict[str, str] | None = None) -> AssetRecord:
    return AssetRecord(
        id=asset_id,
        kind=kind,
        uri=f"labs/labA/{asset_id}",
        in_lake=True,
        format="zarr",
        sha256="0" * 64,
        size_bytes=1,
        schema_name=None,
        schema_version=None,
        lab="labA",
        session=KEY,
        visibility="private",
        source_sha256=None,
        params={},
        created_by="alice",
        created_at=START + timedelta(minutes=minute),
        parents=parents or {},
    )


def test_assets_derived_from_a_replaced_pose_count_as_older_versions():
    assets = [
        record("pose1", "pose", 0),
        record("feat1", "features", 1, {"pose1": "pose"}),
        record("ann1", "annotations", 2, {"feat1": "features", "model": "model"}),
        record("pose2", "pose", 3, {"pose1": "previous_version"}),
        record("feat2", "features", 4, {"pose2": "pose"}),
        record("ann2", "annotations", 5, {"feat2": "features", "model": "model"}),
    ]
    overview = session_overview({"lab": "labA", "subject": "m1", "session": "s1"}, assets)
    assert overview["assets"] == {
        "annotations": "1 (+1 older version)",
        "features": "1 (+1 older version)",
        "pose": "1 (+1 older version)",
    }
