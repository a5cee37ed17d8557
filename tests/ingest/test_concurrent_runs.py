"""Two runs ingesting the same session at once record each asset once."""

import os

from test_session_order import pose_with_labels

import etholake.ingest.session as session_module
from etholake.catalog import Catalog
from etholake.lake import find_orphans, open_lake


def racing_ingests(monkeypatch, ingest):
    """Run ``ingest`` twice so that the second run records its assets between the first one's look and commit.

    Returns the first run's outcome and the second's.
    """
    original = session_module.commit
    second = []

    def commit_after_the_other_run(*args, **kwargs):
        if not second:
            monkeypatch.setattr(session_module, "commit", original)
            second.append(ingest())
        return original(*args, **kwargs)

    monkeypatch.setattr(session_module, "commit", commit_after_the_other_run)
    first = ingest()
    return first, second[0]


def test_the_run_that_records_second_reuses_what_the_first_recorded(tmp_path, monkeypatch):
    _, catalog_url, ingest = pose_with_labels(tmp_path, "alice")
    first, second = racing_ingests(monkeypatch, ingest)
    assert second.status == "ingested"
    assert first.error is None and first.status == "unchanged"
    assert first.reused == second.created
    with Catalog(catalog_url) as catalog:
        assert sorted(a.id for a in catalog.assets("alice")) == sorted(second.created.values())
        assert find_orphans(open_lake(str(tmp_path / "lake")), catalog) == []
    assert ingest().status == "unchanged"


def test_racing_runs_over_a_changed_file_make_one_new_version(tmp_path, monkeypatch):
    _, catalog_url, ingest = pose_with_labels(tmp_path, "alice")
    original = ingest().created
    pose = tmp_path / "m1DLC_resnet50.csv"
    pose.write_text(pose.read_text().replace("0.", "0.0", 1))
    os.utime(pose)
    first, second = racing_ingests(monkeypatch, ingest)
    assert set(second.created) == {"pose"}
    assert first.reused["pose"] == second.created["pose"]
    with Catalog(catalog_url) as catalog:
        poses = catalog.assets("alice", kind="pose")
    assert sorted(a.id for a in poses) == sorted([original["pose"], second.created["pose"]])
