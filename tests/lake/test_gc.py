import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from etholake.catalog import SessionKey
from etholake.lake import find_orphans, publish_dataset, remove_orphans
from etholake.lake.formats import read_zarr
from etholake.lake.store import new_asset_id

TESTS = Path(__file__).resolve().parents[1]
SESSION = SessionKey("labA", "m1", "s1")


@pytest.fixture
def catalog(sqlite_catalog):
    sqlite_catalog.register_subject("alice", "labA", "m1")
    sqlite_catalog.register_session("alice", SESSION)
    return sqlite_catalog


def small(frames=100):
    return xr.Dataset(
        {"features": (("time", "feature"), np.ones((frames, 2), np.float32))}, coords={"time": np.arange(frames) / 30.0}
    )


def test_gc_lists_and_removes_only_unreferenced_assets(lake, catalog):
    kept = publish_dataset(lake, catalog, "alice", small(), kind="features", lab="labA", session=SESSION)
    orphan_id = new_asset_id()
    orphan = lake.asset_path("features", orphan_id, "zarr", lab="labA", subject="m1", session="s1")
    with lake.fs.open(lake.path(orphan + "/zarr.json"), "wb") as handle:
        handle.write(b"{}")
    with lake.fs.open(lake.path(orphan + "/features/c/0/0"), "wb") as handle:
        handle.write(b"x" * 1000)
    found = find_orphans(lake, catalog)
    assert [o.path for o in found] == [orphan]
    assert found[0].size_bytes >= 1002
    assert find_orphans(lake, catalog, min_age_seconds=3600) == []
    assert remove_orphans(lake, found) >= 1002
    assert find_orphans(lake, catalog) == []
    assert read_zarr(kept.url, lake.storage_options)["features"].shape == (100, 2)


@pytest.mark.slow
def test_a_process_killed_mid_publish_leaves_no_visible_asset(tmp_path, catalog):
    from etholake.lake import open_lake

    lake = open_lake(str(tmp_path / "lake"))
    previous = publish_dataset(lake, catalog, "alice", small(), kind="features", lab="labA", session=SESSION)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-m", "workers", "publish", lake.url, catalog.url, "100"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    features = tmp_path / "lake" / "labs" / "labA" / "subjects" / "m1" / "sessions" / "s1" / "features"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stores = [p for p in features.iterdir() if p.name != Path(previous.record.uri).name]
        written = sum(f.stat().st_size for s in stores for f in s.rglob("*") if f.is_file()) if stores else 0
        if written > 10_000_000:
            break
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.05)
    process.kill()
    process.wait()
    assert written > 10_000_000, "the publish never got going"
    assert [a.id for a in catalog.assets("alice")] == [previous.id]
    assert read_zarr(previous.url, lake.storage_options)["features"].shape == (100, 2)
    orphans = find_orphans(lake, catalog)
    assert len(orphans) == 1 and orphans[0].size_bytes > 10_000_000
    remove_orphans(lake, orphans)
    assert find_orphans(lake, catalog) == []
    assert [p.name for p in features.iterdir()] == [Path(previous.record.uri).name]
