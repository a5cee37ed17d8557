"""The lake suite: runs against a local folder and a real S3 API (moto server)."""

import hashlib

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from etholake.catalog import SessionKey
from etholake.errors import IntegrityError, InvalidNameError
from etholake.lake import (
    commit,
    find_orphans,
    publish_dataset,
    publish_file,
    publish_json,
    publish_table,
    stage_dataset_computing,
    tree_sha256,
)
from etholake.lake.formats import read_json, read_parquet, read_zarr
from etholake.schema import make_pose_dataset

SESSION = SessionKey("labA", "m1", "s1")


@pytest.fixture
def catalog(sqlite_catalog):
    sqlite_catalog.register_subject("alice", "labA", "m1")
    sqlite_catalog.register_session("alice", SESSION, fps=30.0)
    return sqlite_catalog


def pose(frames: int = 1000) -> xr.Dataset:
    rng = np.random.default_rng(1)
    position = rng.normal(100, 20, (frames, 2, 3, 2)).astype(np.float32)
    position[5, :, 1, 0] = np.nan
    return make_pose_dataset(
        position,
        confidence=rng.random((frames, 3, 2)),
        keypoints=["nose", "neck", "tail"],
        individuals=["resident", "intruder"],
        fps=30.0,
        source_software="DeepLabCut",
    )


def test_dataset_round_trip_with_lineage_and_hash(lake, catalog):
    original = pose()
    first = publish_dataset(
        lake,
        catalog,
        "alice",
        original,
        kind="pose",
        lab="labA",
        session=SESSION,
        params={"reader": "dlc_h5"},
        source_sha256="f" * 64,
        time_chunk=256,
    )
    stored = read_zarr(first.url, lake.storage_options)
    xr.testing.assert_identical(stored.load(), original)
    assert stored["position"].encoding["chunks"] == (256, 2, 3, 2)
    record = catalog.asset("alice", first.id)
    assert record.uri == f"labs/labA/subjects/m1/sessions/s1/pose/{first.id}.zarr"
    assert record.sha256 == tree_sha256(lake.fs, lake.path(record.uri))
    assert (record.schema_name, record.schema_version, record.params) == ("etholake.pose", 1, {"reader": "dlc_h5"})
    assert record.size_bytes > 0 and record.created_by == "alice"
    derived = publish_dataset(
        lake,
        catalog,
        "alice",
        original.mean("individual"),
        kind="features",
        lab="labA",
        session=SESSION,
        parents={first.id: "pose"},
    )
    assert catalog.asset("alice", derived.id).parents == {first.id: "pose"}


def test_dask_backed_dataset_is_written_in_aligned_chunks(lake, catalog):
    values = da.random.default_rng(2).random((5000, 4), chunks=(700, 4)).astype(np.float32)
    ds = xr.Dataset(
        {"features": (("time", "feature"), values)},
        coords={"time": np.arange(5000) / 30.0, "feature": np.array(list("abcd"), dtype=object)},
    )
    published = publish_dataset(
        lake, catalog, "alice", ds, kind="features", lab="labA", session=SESSION, time_chunk=1024
    )
    stored = read_zarr(published.url, lake.storage_options)
    np.testing.assert_array_equal(stored["features"].values, values.compute())
    assert stored.chunks["time"][0] == 1024
    assert list(stored["feature"].values) == list("abcd")


def test_fast_codec_stores_feature_major_and_computes_companions_in_the_same_pass(lake, catalog):
    feature_major = np.random.default_rng(3).normal(size=(4, 3000)).astype(np.float32)
    feature_major[:, 1024:2048] = np.nan
    values = da.from_array(feature_major.T, chunks=(1024, 4))
    ds = xr.Dataset(
        {"features": (("time", "feature"), values)},
        coords={"time": np.arange(3000) / 30.0, "frame": ("time", da.arange(10, 3010, chunks=1024))},
    )
    calls = []

    def row_sums(block):
        calls.append(block.shape[0])
        return np.nansum(block, axis=1, keepdims=True)

    sums = values.map_blocks(
        row_sums, chunks=(values.chunks[0], (1,)), dtype=np.float32, meta=np.empty((0, 0), np.float32)
    )
    staged, (computed,) = stage_dataset_computing(
        lake, ds, [sums], codec="fast", time_chunk=1024, kind="features", lab="labA", session=SESSION
    )
    (published,) = commit(lake, catalog, "alice", [staged])
    stored = read_zarr(published.url, lake.storage_options)
    np.testing.assert_array_equal(stored["features"].values, feature_major.T)
    np.testing.assert_array_equal(stored["frame"].values, np.arange(10, 3010))
    np.testing.assert_array_equal(computed[:, 0], np.nansum(feature_major, axis=0))
    assert sorted(calls) == [952, 1024, 1024]
    metadata = stored["features"].encoding
    assert [type(codec).__name__ for codec in metadata["filters"]] == ["TransposeCodec"]
    assert metadata["compressors"][0].cname.value == "lz4"


def test_table_json_and_file_assets(lake, catalog, tmp_path):
    bouts = pd.DataFrame({"behavior": ["attack", "sniff"], "start_frame": [3, 40], "stop_frame": [9, 80]})
    table = publish_table(
        lake, catalog, "alice", bouts, kind="bouts", lab="labA", session=SESSION, schema="etholake.bouts/1"
    )
    pd.testing.assert_frame_equal(read_parquet(lake.fs, lake.path(table.record.uri)), bouts)
    document = publish_json(
        lake, catalog, "alice", {"codec": "h264", "frames": 120}, kind="video", lab="labA", session=SESSION
    )
    assert read_json(lake.fs, lake.path(document.record.uri)) == {"codec": "h264", "frames": 120}
    source = tmp_path / "clip.mp4"
    source.write_bytes(np.random.default_rng(3).bytes(300_000))
    copied = publish_file(lake, catalog, "alice", source, kind="video_file", lab="labA", session=SESSION)
    assert copied.record.uri.endswith(".mp4")
    assert copied.record.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert find_orphans(lake, catalog) == []


def test_a_copied_file_is_read_back_once(lake, catalog, tmp_path, monkeypatch):
    from etholake.lake import publish

    source = tmp_path / "clip.mp4"
    source.write_bytes(np.random.default_rng(4).bytes(100_000))
    reads = []
    monkeypatch.setattr(publish, "tree_sha256", lambda fs, path: reads.append(path) or tree_sha256(fs, path))
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    copied = publish_file(
        lake, catalog, "alice", source, kind="video_file", lab="labA", session=SESSION, source_sha256=sha256
    )
    assert len(reads) == 1
    assert copied.record.sha256 == copied.record.source_sha256 == sha256


def test_a_source_changed_since_it_was_hashed_is_not_copied(lake, catalog, tmp_path):
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"old frames")
    hashed = hashlib.sha256(source.read_bytes()).hexdigest()
    source.write_bytes(b"new frames")
    with pytest.raises(IntegrityError, match=r"clip\.mp4 changed since it was hashed"):
        publish_file(
            lake, catalog, "alice", source, kind="video_file", lab="labA", session=SESSION, source_sha256=hashed
        )
    assert catalog.assets("alice") == []
    assert find_orphans(lake, catalog) == []


def test_a_failed_write_leaves_nothing_behind(lake, catalog):
    def explode(block, block_info=None):
        if block_info[0]["chunk-location"][0] == 2:
            raise RuntimeError("disk on fire")
        return block

    values = da.ones((4000, 2), chunks=(1000, 2), dtype=np.float32).map_blocks(explode, dtype=np.float32)
    ds = xr.Dataset({"features": (("time", "feature"), values)}, coords={"time": np.arange(4000) / 30.0})
    with pytest.raises(RuntimeError, match="disk on fire"):
        publish_dataset(lake, catalog, "alice", ds, kind="features", lab="labA", session=SESSION, time_chunk=1000)
    assert catalog.assets("alice") == []
    assert find_orphans(lake, catalog) == []


def test_a_refused_catalog_write_removes_the_files(lake, catalog):
    with pytest.raises(Exception, match="parent asset"):
        publish_dataset(
            lake, catalog, "alice", pose(10), kind="pose", lab="labA", session=SESSION, parents={"0" * 32: "pose"}
        )
    assert find_orphans(lake, catalog) == []


@pytest.mark.parametrize("bad", ["../x", "/abs", "", "a/b", "a b", "a\x00b", "x" * 300])
def test_bad_names_are_refused_before_anything_is_written(lake, catalog, bad):
    with pytest.raises(InvalidNameError):
        publish_dataset(
            lake, catalog, "alice", pose(10), kind="pose", lab="labA", session=SessionKey("labA", "m1", bad)
        )
    with pytest.raises(InvalidNameError):
        publish_dataset(lake, catalog, "alice", pose(10), kind="pose", lab=bad)
    assert not lake.exists("labs")


def test_an_interrupt_after_the_catalog_committed_keeps_the_files(lake, catalog, monkeypatch):
    recorded = catalog.register_assets

    def committed_then_interrupted(*args, **kwargs):
        recorded(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "register_assets", committed_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        publish_json(lake, catalog, "alice", {"x": 1}, kind="report", lab="labA")
    [report] = catalog.assets("alice", kind="report")
    assert lake.exists(report.uri)
    assert read_json(lake.fs, lake.path(report.uri)) == {"x": 1}
