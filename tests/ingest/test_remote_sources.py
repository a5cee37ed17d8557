"""Manifests naming files by URL: copied to a staging folder, checked, ingested, recorded by URL."""

import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
import s3fs
from test_session_order import planned, write_dlc_csv, write_session_manifest

import etholake.ingest.staging as staging_module
from etholake.catalog import Catalog
from etholake.config import load_settings
from etholake.errors import ConfigError
from etholake.ingest import ManifestError, load_manifest, plan_manifest
from etholake.ingest.staging import Staging, staging_folder
from etholake.lake import open_lake
from etholake.lake.formats import read_zarr

N_FRAMES = 60


def write_grey_video(path, n_frames: int) -> None:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for value in np.linspace(0, 255, n_frames).astype(np.uint8):
            image = np.full((64, 64, 3), value, dtype=np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture
def bucket(s3_endpoint, tmp_path, monkeypatch):
    """A bucket holding a DeepLabCut pose file, its video and interval labels; its name and filesystem."""
    monkeypatch.setenv("ETHOLAKE_S3_ENDPOINT_URL", s3_endpoint)
    fs = s3fs.S3FileSystem(endpoint_url=s3_endpoint)
    name = f"raw-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    local = tmp_path / "upload"
    local.mkdir()
    write_dlc_csv(local / "m1DLC_resnet50.csv", N_FRAMES, seed=0)
    write_grey_video(local / "m1.mp4", N_FRAMES)
    (local / "bouts.csv").write_text("behavior,start_frame,stop_frame\ngroom,10,19\n")
    (local / "broken.csv").write_text("this is not a pose file\n")
    fs.put([str(p) for p in sorted(local.iterdir())], f"{name}/data/")
    return name, fs


def write_manifest(tmp_path, bucket_name: str, pose: str | None = None) -> str:
    url = f"s3://{bucket_name}/data"
    session = {
        "name": "s1",
        "subject": "m1",
        "video": {"path": f"{url}/m1.mp4", "store": "reference"},
        "pose": {"path": pose or f"{url}/m1DLC_resnet50.csv"},
        "labels": [{"path": f"{url}/bouts.csv", "annotator": "alice"}],
    }
    return write_session_manifest(tmp_path, session)


def test_remote_files_are_ingested_recorded_by_url_and_the_copies_removed(bucket, tmp_path, flow_env):
    from etholake.flows.ingest import ingest_flow

    name, _ = bucket
    staging_parent = tmp_path / "staging"
    staging_parent.mkdir()
    lake_url, catalog_url = str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    manifest = write_manifest(tmp_path, name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ETHOLAKE_STAGING_DIR", str(staging_parent))
        (outcome,) = ingest_flow(manifest, lake=lake_url, catalog=catalog_url, actor="alice", show_progress=False)
        assert outcome.error is None and set(outcome.created) == {"video", "pose", "labels:alice:interval_csv"}
        assert list(staging_parent.iterdir()) == []
        with pytest.MonkeyPatch.context() as no_copies:
            no_copies.setattr(Staging, "fetch", lambda self, url: pytest.fail(f"{url} was copied again"))
            (again,) = ingest_flow(manifest, lake=lake_url, catalog=catalog_url, actor="alice", show_progress=False)
    assert again.status == "unchanged"
    assert again.reused == outcome.created
    with Catalog(catalog_url) as catalog:
        (pose,) = catalog.assets("alice", kind="pose")
        (video,) = catalog.assets("alice", kind="video")
        (labels,) = catalog.assets("alice", kind="labels")
        session = catalog.session("alice", outcome.session)
    lake = open_lake(lake_url)
    stored = {asset.kind: read_zarr(lake.uri(asset.uri), {}) for asset in (pose, video, labels)}
    assert stored["pose"].attrs["source_file"] == f"s3://{name}/data/m1DLC_resnet50.csv"
    assert stored["video"].attrs["source_file"] == f"s3://{name}/data/m1.mp4"
    assert stored["labels"].attrs["source_file"] == f"s3://{name}/data/bouts.csv"
    assert stored["pose"].sizes["time"] == N_FRAMES
    assert video.params["video_uri"] == f"s3://{name}/data/m1.mp4"
    copied = ("m1.mp4", "m1DLC_resnet50.csv", "bouts.csv")
    assert list(session["extra"]["ingest_files"]) == [f"s3://{name}/data/{f}" for f in copied]


def test_a_changed_remote_file_is_copied_again_and_makes_a_new_version(bucket, tmp_path, flow_env):
    from etholake.flows.ingest import ingest_flow

    name, fs = bucket
    places = {"lake": str(tmp_path / "lake"), "catalog": f"sqlite:///{tmp_path / 'catalog.sqlite'}"}
    manifest = write_manifest(tmp_path, name)
    (first,) = ingest_flow(manifest, actor="alice", show_progress=False, **places)
    write_dlc_csv(tmp_path / "changed.csv", N_FRAMES, seed=5)
    fs.put(str(tmp_path / "changed.csv"), f"{name}/data/m1DLC_resnet50.csv")
    (changed,) = ingest_flow(manifest, actor="alice", show_progress=False, **places)
    assert changed.status == "ingested" and set(changed.created) == {"pose"}
    assert changed.reused == {
        "video": first.created["video"],
        "labels:alice:interval_csv": first.created["labels:alice:interval_csv"],
    }


@pytest.mark.parametrize(
    ("pose", "problem"),
    [
        ("s3://{bucket}/data/gone.csv", "file not found: s3://{bucket}/data/gone.csv"),
        ("s3://{bucket}/data/broken.csv", "cannot tell the pose format of s3://{bucket}/data/broken.csv"),
        ("nosuch://{bucket}/pose.csv", "cannot copy nosuch://{bucket}/pose.csv: Protocol not known: nosuch"),
    ],
)
def test_missing_and_unreadable_remote_files_are_problems_named_by_url(bucket, tmp_path, pose, problem):
    name, _ = bucket
    copies = tmp_path / "copies"
    copies.mkdir()
    staging = Staging(copies, load_settings().filesystem_options)
    manifest = load_manifest(write_manifest(tmp_path, name, pose=pose.format(bucket=name)))
    _, problems = plan_manifest(manifest, staging=staging)
    assert len(problems) == 1
    assert problems[0].startswith(f"session m1/s1: {problem.format(bucket=name)}")
    assert str(copies) not in problems[0]


def test_remote_files_without_a_staging_folder_are_problems(bucket, tmp_path):
    name, _ = bucket
    _, problems = plan_manifest(load_manifest(write_manifest(tmp_path, name)))
    assert len(problems) == 3
    assert all("is remote" in problem and f"s3://{name}/data/" in problem for problem in problems)


def test_a_bad_remote_manifest_stops_the_flow_before_anything_is_written(bucket, tmp_path, flow_env):
    from etholake.flows.ingest import ingest_flow

    name, _ = bucket
    manifest = write_manifest(tmp_path, name, pose=f"s3://{name}/data/gone.csv")
    with pytest.raises(ManifestError) as caught:
        ingest_flow(
            manifest,
            lake=str(tmp_path / "lake"),
            catalog=f"sqlite:///{tmp_path / 'c.sqlite'}",
            actor="alice",
            show_progress=False,
        )
    assert caught.value.problems == [f"session m1/s1: file not found: s3://{name}/data/gone.csv"]
    assert not (tmp_path / "c.sqlite").exists()


@pytest.fixture
def http_folder(tmp_path):
    """A folder served over HTTP on 127.0.0.1; its path and base URL."""
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


def test_files_served_over_http_are_copied_and_planned(http_folder, tmp_path):
    served, base = http_folder
    write_dlc_csv(served / "m1DLC_resnet50.csv", N_FRAMES, seed=0)
    copies = tmp_path / "copies"
    copies.mkdir()
    session = {"name": "s1", "subject": "m1", "fps": 30, "pose": {"path": f"{base}/m1DLC_resnet50.csv"}}
    _, (plan,), problems = planned(tmp_path, session, staging=Staging(copies))
    assert problems == []
    assert plan.pose_format == "dlc_csv" and plan.entry.pose.origin == f"{base}/m1DLC_resnet50.csv"
    assert Path(plan.entry.pose.path).read_bytes() == (served / "m1DLC_resnet50.csv").read_bytes()


def test_a_copy_is_named_after_the_url_path_without_its_query(http_folder, tmp_path):
    served, base = http_folder
    (served / "bouts.csv").write_text("behavior,start_frame,stop_frame\ngroom,10,19\n")
    copy = Staging(tmp_path).fetch(f"{base}/bouts.csv?version=3")
    assert copy.name == "bouts.csv" and copy.read_text().startswith("behavior,")


def test_a_staging_folder_that_does_not_exist_is_a_configuration_error(tmp_path):
    parent = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match=rf"staging folder {parent} .* is not a folder"), staging_folder(str(parent)):
        pass


def test_files_that_together_exceed_the_free_space_are_refused_before_copying(http_folder, tmp_path, monkeypatch):
    served, base = http_folder
    for name in ("m1.mp4", "m2.mp4"):
        (served / name).write_bytes(b"\0" * 600)
    copies = tmp_path / "copies"
    copies.mkdir()
    full_disk = SimpleNamespace(total=10**9, used=10**9 - 1000, free=1000)
    monkeypatch.setattr(staging_module.shutil, "disk_usage", lambda path: full_disk)
    sessions = [{"name": f"s{i}", "subject": "m1", "fps": 30, "video": {"path": f"{base}/m{i}.mp4"}} for i in (1, 2)]
    document = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}], "sessions": sessions}
    (tmp_path / "manifest.json").write_text(json.dumps(document))
    manifest = load_manifest(tmp_path / "manifest.json")
    staging = Staging(copies)
    expected = (
        f"the 2 remote files to check need 1.17 kiB together and the staging folder {copies} has 0.98 kiB free: "
        "set ETHOLAKE_STAGING_DIR to a larger disk, or ingest the manifest in parts"
    )
    with pytest.raises(ConfigError) as raised:
        plan_manifest(manifest, staging=staging)
    assert str(raised.value) == expected
    assert staging.copied == {} and list(copies.iterdir()) == []
    full_disk.free = 500
    with pytest.raises(OSError, match=r"it needs 600 B and the staging folder .* has 500 B free"):
        Staging(copies).fetch(f"{base}/m1.mp4")
    assert list(copies.iterdir()) == []


def test_missing_credentials_are_a_problem_naming_the_url_not_a_missing_file(bucket, tmp_path, monkeypatch):
    name, _ = bucket
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    endpoint = load_settings().s3_endpoint_url
    copies = tmp_path / "copies"
    copies.mkdir()
    staging = Staging(copies, lambda url: {"endpoint_url": endpoint, "skip_instance_cache": True})
    _, problems = plan_manifest(load_manifest(write_manifest(tmp_path, name)), staging=staging)
    assert problems[0] == (
        f"session m1/s1: cannot copy s3://{name}/data/m1.mp4: NoCredentialsError: Unable to locate credentials"
    )
    assert len(problems) == 3
