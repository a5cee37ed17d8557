"""One session's ingest: when it reads files while hashing them, and when it hashes first."""

import json
import os
import shutil

import numpy as np
import pandas as pd
import pytest

import etholake.ingest.session as session_module
from etholake.catalog import Catalog
from etholake.ingest import ingest_session, load_manifest, plan_manifest
from etholake.ingest.register import register_manifest
from etholake.lake import find_orphans, open_lake
from etholake.lake.formats import read_zarr


def write_dlc_csv(path, n_frames: int, seed: int) -> None:
    columns = pd.MultiIndex.from_product(
        [["DLC_resnet50_testJan1shuffle1_1000"], ["snout", "tail_base"], ["x", "y", "likelihood"]],
        names=["scorer", "bodyparts", "coords"],
    )
    values = np.random.default_rng(seed).uniform(0, 1, size=(n_frames, len(columns)))
    pd.DataFrame(values, columns=columns).to_csv(path)


def write_session_manifest(tmp_path, session) -> str:
    """Write a manifest of lab ``labA`` whose one subject ``m1`` has ``session``; return its path."""
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(
        json.dumps({"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": [session]})
    )
    return str(manifest_path)


def planned(tmp_path, session, staging=None):
    """Write a one-session manifest for ``session``; return the manifest, its plans and its problems."""
    manifest = load_manifest(write_session_manifest(tmp_path, session))
    return manifest, *plan_manifest(manifest, staging=staging)


def ingester(tmp_path, manifest, plans):
    """Register the manifest in a new SQLite catalog; return its URL and a function checking and ingesting the session.

    Each call plans the session again, as each run of the flow does, so the
    file stamps it records are those of the files as they are then.
    """
    catalog_url = f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    with Catalog(catalog_url) as catalog:
        register_manifest(catalog, "alice", manifest, plans)

    def ingest():
        (plan,), problems = plan_manifest(manifest)
        assert problems == []
        return ingest_session(
            plan, lake_url=str(tmp_path / "lake"), storage_options={}, catalog_url=catalog_url, user="alice"
        )

    return catalog_url, ingest


@pytest.fixture
def one_session(tmp_path):
    pose = tmp_path / "m1DLC_resnet50.csv"
    write_dlc_csv(pose, 500, seed=0)
    manifest, plans, problems = planned(
        tmp_path, {"name": "s1", "subject": "m1", "fps": 30, "pose": {"path": str(pose)}}
    )
    assert problems == []
    return pose, ingester(tmp_path, manifest, plans)[1]


@pytest.fixture
def count_reads(monkeypatch):
    reads = []
    original = session_module._gather

    def counting(*args, **kwargs):
        reads.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(session_module, "_gather", counting)
    return reads


def test_unchanged_files_are_hashed_but_not_read_again(one_session, count_reads):
    _, ingest = one_session
    first = ingest()
    assert first.status == "ingested" and set(first.created) == {"pose"}
    second = ingest()
    assert second.status == "unchanged"
    assert second.reused == {"pose": first.created["pose"]}
    assert len(count_reads) == 1


def test_a_touched_file_is_read_while_hashed_and_creates_nothing(one_session, count_reads):
    pose, ingest = one_session
    first = ingest()
    stat = pose.stat()
    os.utime(pose, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    touched = ingest()
    assert touched.status == "unchanged" and touched.created == {}
    assert touched.reused == {"pose": first.created["pose"]}
    assert len(count_reads) == 2
    assert ingest().status == "unchanged"
    assert len(count_reads) == 2, "the touched file's new size and time were not recorded"


def test_a_changed_file_is_read_while_hashed_and_makes_a_new_version(one_session, count_reads):
    pose, ingest = one_session
    first = ingest()
    write_dlc_csv(pose, 600, seed=1)
    changed = ingest()
    assert changed.status == "ingested" and set(changed.created) == {"pose"}
    assert changed.created["pose"] != first.created["pose"]
    assert len(count_reads) == 2


def test_videos_are_checked_without_hashing_and_hashed_by_the_ingest(tmp_path, shared_data):
    video = shared_data("pose/video_openfield_m3v1mp4.mp4")
    pose = shared_data("pose/dlc_single_openfield_m3v1mp4.predictions.h5")
    session = {
        "name": "s1",
        "subject": "m1",
        "video": {"path": str(video), "store": "reference"},
        "pose": {"path": str(pose)},
    }
    manifest, plans, problems = planned(tmp_path, session)
    assert problems == []
    assert "sha256" not in plans[0].video_info and plans[0].video_info["packet_count"] == 2330
    catalog_url, ingest = ingester(tmp_path, manifest, plans)
    outcome = ingest()
    assert outcome.status == "ingested" and set(outcome.created) == {"video", "pose"}
    with Catalog(catalog_url) as catalog:
        (asset,) = catalog.assets("alice", kind="video")
    assert asset.source_sha256 == "e2394b4221821cdb7206910a6efcec9db338cb497d1f880bd5a0ef2fd087ce59"


def test_a_rig_calibration_is_ingested_with_the_3d_pose_and_checked_first(tmp_path, shared_data):
    calibration = shared_data("pose/sleap_anipose_minimal_calibration.toml")
    points = shared_data("pose/sleap_anipose_minimal_points3d.h5")
    not_a_calibration = tmp_path / "calibration.toml"
    not_a_calibration.write_text("title = 'rig'\n")

    def plan(calibration_path):
        session = {
            "name": "s1",
            "subject": "m1",
            "fps": 30,
            "pose": {"path": str(points), "format": "anipose_h5"},
            "calibration": {"path": str(calibration_path)},
        }
        return planned(tmp_path, session)

    _, _, problems = plan(not_a_calibration)
    assert problems == [
        f"session m1/s1: cannot tell the calibration format of {not_a_calibration}: "
        f"{not_a_calibration}: holds no camera tables ([cam_0] with matrix, distortions, rotation, ...)"
    ]
    manifest, plans, problems = plan(calibration)
    assert problems == [] and plans[0].calibration_format == "anipose_toml"
    catalog_url, ingest = ingester(tmp_path, manifest, plans)
    first = ingest()
    assert first.status == "ingested" and set(first.created) == {"pose", "calibration"}
    with Catalog(catalog_url) as catalog:
        (asset,) = catalog.assets("alice", kind="calibration")
    assert ingest().status == "unchanged"
    lake = open_lake(str(tmp_path / "lake"))
    stored = read_zarr(lake.uri(asset.uri), {})
    assert stored["camera"].values.tolist() == ["back", "mid", "side", "top"]
    assert stored["intrinsic_matrix"].sel(camera="back").values[0, 0] == pytest.approx(769.8864926727645)
    assert asset.source_sha256 == stored.attrs["source_sha256"]


def pose_with_labels(tmp_path, annotator: str, n_frames: int = 500):
    """A checked session of a DeepLabCut file and labels by ``annotator``: its entry, catalog URL and ingester."""
    pose = tmp_path / "m1DLC_resnet50.csv"
    write_dlc_csv(pose, n_frames, seed=0)
    labels = tmp_path / "bouts.csv"
    labels.write_text("behavior,start_frame,stop_frame\ngroom,10,19\n")
    session = {
        "name": "s1",
        "subject": "m1",
        "fps": 30,
        "pose": {"path": str(pose)},
        "labels": [{"path": str(labels), "annotator": annotator}],
    }
    manifest, plans, problems = planned(tmp_path, session)
    assert problems == []
    return session, *ingester(tmp_path, manifest, plans)


def test_a_write_failing_midway_leaves_the_session_as_it_was(tmp_path, monkeypatch):
    _, catalog_url, ingest = pose_with_labels(tmp_path, "alice")
    original = session_module.stage_dataset

    def failing_on_labels(lake, dataset, **asset):
        if asset["kind"] == "labels":
            raise OSError(28, "No space left on device")
        return original(lake, dataset, **asset)

    monkeypatch.setattr(session_module, "stage_dataset", failing_on_labels)
    with pytest.raises(OSError, match="No space left"):
        ingest()
    lake = open_lake(str(tmp_path / "lake"))
    with Catalog(catalog_url) as catalog:
        assert catalog.assets("alice") == []
        assert find_orphans(lake, catalog) == []
    monkeypatch.setattr(session_module, "stage_dataset", original)
    outcome = ingest()
    assert set(outcome.created) == {"pose", "labels:alice:interval_csv"}


def test_a_video_that_changes_during_its_ingest_fails_its_session_and_leaves_nothing(
    tmp_path, shared_data, monkeypatch
):
    video = tmp_path / "s1.mp4"
    shutil.copyfile(shared_data("pose/video_sleap_nn_centered_pair_small.mp4"), video)
    session = {
        "name": "s1",
        "subject": "m1",
        "pose": {"path": str(shared_data("pose/sleap_nn_centered_pair_small.predictions.slp"))},
        "video": {"path": str(video), "store": "copy"},
    }
    manifest, plans, problems = planned(tmp_path, session)
    assert problems == []
    catalog_url, ingest = ingester(tmp_path, manifest, plans)
    original = session_module._gather

    def gather_then_append_to_the_video(*args, **kwargs):
        gathered = original(*args, **kwargs)
        with video.open("ab") as handle:
            handle.write(bytes(16))
        return gathered

    monkeypatch.setattr(session_module, "_gather", gather_then_append_to_the_video)
    outcome = ingest()
    assert outcome.status == "failed"
    assert outcome.error.startswith(f"{video} changed since it was hashed (is it still being written?): sha256 ")
    with Catalog(catalog_url) as catalog:
        assert catalog.assets("alice") == []
        assert find_orphans(open_lake(str(tmp_path / "lake")), catalog) == []


def test_a_suite2p_iscell_file_is_checked_hashed_and_versioned_with_its_traces(tmp_path, shared_data):
    iscell = tmp_path / "iscell.npy"
    shutil.copyfile(shared_data("neural/pynapple_suite2p_iscell.npy"), iscell)
    calcium = {
        "path": str(shared_data("neural/pynapple_suite2p_F.npy")),
        "kind": "calcium",
        "clock": "scope",
        "format": "suite2p",
        "options": {"frame_rate": 30.0, "iscell": "iscell.npy"},
    }
    manifest, plans, problems = planned(tmp_path, {"name": "s1", "subject": "m1", "neural": [calcium]})
    assert problems == []
    assert manifest.sessions[0].neural[0].companions["iscell"].path == str(iscell)
    catalog_url, ingest = ingester(tmp_path, manifest, plans)
    first = ingest()
    (label,) = first.created
    classified = np.load(iscell)
    classified[:, 0] = 1 - classified[:, 0]
    np.save(iscell, classified)
    second = ingest()
    assert list(second.created) == [label], "a curated iscell.npy makes a new version of the traces"
    with Catalog(catalog_url) as catalog:
        newest = catalog.asset("alice", second.created[label])
        assert newest.parents == {first.created[label]: "previous_version"}
        traces = read_zarr(str(tmp_path / "lake" / newest.uri), {})
    cells = classified[:, 0] == 1
    np.testing.assert_array_equal(traces["channel"].values, np.flatnonzero(cells))
    np.testing.assert_allclose(traces["cell_probability"].values, classified[cells, 1])
    iscell.unlink()
    assert plan_manifest(manifest)[1] == [f"session m1/s1: file not found: {iscell}"]


def test_a_reused_video_reports_its_copy_in_the_lake_too(tmp_path, shared_data):
    pose = tmp_path / "m1DLC_resnet50.csv"
    write_dlc_csv(pose, 500, seed=0)
    session = {
        "name": "s1",
        "subject": "m1",
        "fps": 30,
        "pose": {"path": str(pose)},
        "video": {"path": str(shared_data("pose/video_sleap_nn_centered_pair_small.mp4")), "store": "copy"},
    }
    manifest, plans, problems = planned(tmp_path, session)
    assert problems == []
    _, ingest = ingester(tmp_path, manifest, plans)
    first = ingest()
    assert set(first.created) == {"video_file", "video", "pose"}
    write_dlc_csv(pose, 500, seed=1)
    second = ingest()
    assert set(second.created) == {"pose"}
    assert second.reused == {"video": first.created["video"], "video_file": first.created["video_file"]}


def test_units_from_a_real_nwb_file_are_ingested_without_the_libraries_deprecation_notices_as_notes(
    tmp_path, shared_data
):
    units = {"path": str(shared_data("neural/pynapple_A8604-211122.nwb")), "kind": "units", "clock": "daq"}
    manifest, plans, problems = planned(tmp_path, {"name": "s1", "subject": "m1", "neural": [units]})
    assert problems == []
    _, ingest = ingester(tmp_path, manifest, plans)
    outcome = ingest()
    assert outcome.status == "ingested", outcome.error
    assert not [note for note in outcome.notes if "deprecated" in note], outcome.notes
