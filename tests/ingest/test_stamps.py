"""Leaving out sessions whose manifest entry and file stamps are those of their last ingest."""

import json
import os
from pathlib import Path

import pytest
from test_session_order import pose_with_labels, write_dlc_csv

from etholake.catalog import Catalog, SessionKey
from etholake.config import load_settings
from etholake.ingest import ingest_session, load_manifest, plan_manifest
from etholake.ingest.session import SessionOutcome, fill_unchanged
from etholake.ingest.staging import Staging
from etholake.ingest.stamps import remote_stamp, unchanged_sessions

KEY = SessionKey("labA", "m1", "s1")


@pytest.mark.parametrize(
    ("info", "stamp"),
    [
        (
            {"size": 5, "ETag": '"abc"', "LastModified": "2026-01-02 03:04:05+00:00"},
            [5, '"abc"', "2026-01-02 03:04:05+00:00"],
        ),
        ({"size": 5, "etag": "CJ3", "updated": "2026-01-02T03:04:05Z"}, [5, "CJ3", "2026-01-02T03:04:05Z"]),
        ({"size": 5, "mtime": 1700000000.5}, [5, "", "1700000000.5"]),
        ({"size": 5, "type": "file", "url": "https://example.org/a.csv"}, None),
    ],
)
def test_a_remote_stamp_needs_an_etag_or_a_time(info, stamp):
    assert remote_stamp(info) == stamp


@pytest.fixture
def ingested(tmp_path):
    """A one-session manifest over a local DeepLabCut file and labels, ingested once."""
    session, catalog_url, ingest = pose_with_labels(tmp_path, "ada", n_frames=200)
    first = ingest()
    assert first.status == "ingested"
    return tmp_path / "manifest.json", session, catalog_url, ingest, first


def left_out(manifest_path, catalog_url):
    with Catalog(catalog_url) as catalog:
        staging = Staging(Path(manifest_path).parent, load_settings().filesystem_options)
        return unchanged_sessions(catalog, "alice", load_manifest(manifest_path), staging.remote_stamps)


def test_an_ingested_session_is_left_out_until_a_file_or_its_entry_changes(ingested, tmp_path):
    manifest_path, session, catalog_url, ingest, _ = ingested
    assert left_out(manifest_path, catalog_url) == {KEY}
    pose = tmp_path / "m1DLC_resnet50.csv"
    found = pose.stat()
    os.utime(pose, ns=(found.st_atime_ns, found.st_mtime_ns + 10**9))
    assert left_out(manifest_path, catalog_url) == set(), "a touched file is hashed again"
    os.utime(pose, ns=(found.st_atime_ns, found.st_mtime_ns))
    assert left_out(manifest_path, catalog_url) == set(), "a file whose time was set back is hashed again"
    assert ingest().status == "unchanged"
    assert left_out(manifest_path, catalog_url) == {KEY}
    for changed in ({"fps": 25}, {"labels": [{**session["labels"][0], "annotator": "ben"}]}):
        document = json.loads(manifest_path.read_text())
        document["sessions"][0] = {**session, **changed}
        manifest_path.write_text(json.dumps(document))
        assert left_out(manifest_path, catalog_url) == set(), f"{changed} is a new entry"
    (tmp_path / "bouts.csv").unlink()
    document["sessions"][0] = session
    manifest_path.write_text(json.dumps(document))
    assert left_out(manifest_path, catalog_url) == set(), "a missing file is for the check to report"


def test_a_file_rewritten_with_its_size_and_time_kept_is_hashed_again(ingested, tmp_path):
    manifest_path, _, catalog_url, ingest, _ = ingested
    pose = tmp_path / "m1DLC_resnet50.csv"
    before = pose.stat()
    content = bytearray(pose.read_bytes())
    last_digit = max(content.rfind(digit) for digit in b"123456789")
    content[last_digit] = ord("1") if content[last_digit] != ord("1") else ord("2")
    rewritten = tmp_path / "rewritten.csv"
    rewritten.write_bytes(content)
    os.utime(rewritten, ns=(before.st_atime_ns, before.st_mtime_ns))
    rewritten.replace(pose)
    after = pose.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert left_out(manifest_path, catalog_url) == set()
    assert set(ingest().created) == {"pose"}


def test_a_web_server_s_last_modified_header_is_a_stamp():
    info = {"size": 5, "type": "file", "Last-Modified": "Wed, 02 Dec 2026 10:00:00 GMT"}
    assert remote_stamp(info) == [5, "", "Wed, 02 Dec 2026 10:00:00 GMT"]


def test_a_session_recorded_without_its_assets_is_not_left_out(ingested):
    manifest_path, _, catalog_url, _, _ = ingested
    with Catalog(catalog_url) as catalog:
        extra = dict(catalog.session("alice", KEY)["extra"])
        del extra["ingest_assets"]
        catalog.register_session("alice", KEY, extra=extra)
    assert left_out(manifest_path, catalog_url) == set()


def test_a_session_not_in_the_catalog_is_not_left_out(ingested):
    manifest_path, _, catalog_url, _, _ = ingested
    document = json.loads(manifest_path.read_text())
    document["sessions"][0]["name"] = "s2"
    manifest_path.write_text(json.dumps(document))
    assert left_out(manifest_path, catalog_url) == set()


def test_a_left_out_session_reports_its_newest_assets_named_as_when_created(ingested, tmp_path):
    manifest_path, _, catalog_url, ingest, first = ingested
    write_dlc_csv(tmp_path / "m1DLC_resnet50.csv", 200, seed=1)
    changed = ingest()
    assert set(changed.created) == {"pose"}
    assert left_out(manifest_path, catalog_url) == {KEY}
    outcome = SessionOutcome(KEY)
    with Catalog(catalog_url) as catalog:
        fill_unchanged(catalog.session("alice", KEY)["extra"], outcome)
    assert outcome.status == "unchanged"
    assert outcome.reused == {
        "pose": changed.created["pose"],
        "labels:ada:interval_csv": first.created["labels:ada:interval_csv"],
    }


def test_a_left_out_session_reports_only_the_assets_of_its_current_entry(ingested, tmp_path):
    manifest_path, session, catalog_url, _, first = ingested
    document = json.loads(manifest_path.read_text())
    document["sessions"][0] = {name: value for name, value in session.items() if name != "labels"}
    manifest_path.write_text(json.dumps(document))
    (plan,), problems = plan_manifest(load_manifest(manifest_path))
    assert problems == []
    lake_url = str(tmp_path / "lake")
    without_labels = ingest_session(plan, lake_url=lake_url, storage_options={}, catalog_url=catalog_url, user="alice")
    assert without_labels.status == "unchanged"
    assert without_labels.reused == {"pose": first.created["pose"]}
    assert left_out(manifest_path, catalog_url) == {KEY}
    outcome = SessionOutcome(KEY)
    with Catalog(catalog_url) as catalog:
        fill_unchanged(catalog.session("alice", KEY)["extra"], outcome)
    assert outcome.reused == {"pose": first.created["pose"]}
