"""Manifest-driven ingest through the Prefect flow, on the 16 real rat-dyad videos."""

import json
import re
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import delete, select
from typer.testing import CliRunner

from etholake.catalog import Catalog, SessionKey
from etholake.catalog.models import BehaviorSummary, Subject
from etholake.cli import app
from etholake.ingest import ManifestError
from etholake.lake import find_orphans, open_lake
from etholake.lake.formats import read_zarr

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def rat_manifest(tmp_path, shared_data):
    pose_folder = shared_data("rat_dyad/pose")
    sessions, subjects = [], []
    for pose in sorted(pose_folder.glob("*DLC_*.csv")):
        number = re.match(r"(\d+)DLC", pose.name).group(1)
        labels = shared_data(f"rat_dyad/labels/{number}_annot.txt")
        subjects.append({"name": f"pair{number}", "species": "Rattus norvegicus"})
        sessions.append(
            {
                "name": f"video{number}",
                "subject": f"pair{number}",
                "fps": 30,
                "pose": {"path": str(pose), "format": "dlc_csv"},
                "labels": [{"path": str(labels), "annotator": "blossom", "options": {"clip": True}}],
            }
        )
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {"manifest_version": 1, "lab": "ratlab", "license": "MIT", "subjects": subjects, "sessions": sessions}
        )
    )
    return path


def test_rat_dyad_ingests_in_one_command_and_twice_creates_nothing(rat_manifest, tmp_path, flow_env, monkeypatch):
    import etholake.flows.ingest as flow_module
    from etholake.flows.ingest import ingest_flow

    fanned_out = []
    original_fan_out = flow_module.fan_out

    def recording_fan_out(function, calls, *args, **kwargs):
        fanned_out.append(len(calls))
        return original_fan_out(function, calls, *args, **kwargs)

    monkeypatch.setattr(flow_module, "fan_out", recording_fan_out)

    lake_url, catalog_url = str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    outcomes = ingest_flow(str(rat_manifest), lake=lake_url, catalog=catalog_url, actor="alice", show_progress=False)
    assert len(outcomes) == 16
    assert [o.error for o in outcomes if o.error] == []
    clipped = sorted(o.session.session for o in outcomes if any("were dropped (clip=True)" in n for n in o.notes))
    assert clipped == ["video13", "video25"]
    with Catalog(catalog_url) as catalog:
        assert len(catalog.sessions("alice", lab="ratlab")) == 16
        poses = catalog.assets("alice", kind="pose")
        labels = catalog.assets("alice", kind="labels")
        assert len(poses) == 16
        label_sets = {a.params["identity"] for a in labels}
        assert label_sets == {"blossom:S1", "blossom:S2"}
        assert 16 < len(labels) < 32
        summaries = catalog.behavior_summaries("alice")
        assert set(summaries["source"]) == {"human"}
        lake = open_lake(lake_url)
        opened = {a.id: read_zarr(lake.uri(a.uri), {}) for a in labels}
        with_behaviors = [a for a in labels if opened[a.id].sizes["behavior"]]
        assert set(summaries["annotations_id"]) == {a.id for a in with_behaviors}
        labels_asset = with_behaviors[0]
        present = opened[labels_asset.id]["label"].transpose("time", "behavior").to_pandas() == 1
        onsets = (present & ~present.shift(1, fill_value=False)).sum()
        summary = summaries[summaries["annotations_id"] == labels_asset.id].set_index("behavior")
        assert summary["bout_count"].to_dict() == onsets.to_dict()
        assert set(summary["model_name"]) == {labels_asset.params["identity"]}
        busiest = onsets.idxmax()
        found = catalog.find_sessions("alice", behavior=busiest, source="human")
        assert labels_asset.session.session in set(found["session"])
        assert list(found.columns[-3:]) == ["bout_count", "total_duration_s", "label_set"]
        assert set(found["label_set"]) <= label_sets
        first_count = len(catalog.assets("alice"))
        with catalog.transaction() as db:
            db.execute(delete(BehaviorSummary))
        again = ingest_flow(str(rat_manifest), lake=lake_url, catalog=catalog_url, actor="alice", show_progress=False)
        assert all(o.status == "unchanged" for o in again)
        pd.testing.assert_frame_equal(catalog.behavior_summaries("alice"), summaries)
        assert [o.reused for o in again] == [o.created for o in outcomes]
        assert [o.notes for o in again] == [o.notes for o in outcomes]
        rehashed = ingest_flow(
            str(rat_manifest), lake=lake_url, catalog=catalog_url, actor="alice", show_progress=False, rehash=True
        )
        assert all(o.status == "unchanged" for o in rehashed)
        assert fanned_out == [16, 0, 16], "the second run left every session out unread; --rehash hashed them all"
        assert len(catalog.assets("alice")) == first_count
        assert find_orphans(open_lake(lake_url), catalog) == []
        kinds = Counter(a.kind for a in catalog.assets("alice", session=SessionKey("ratlab", "pair13", "video13")))
        video13_pose = next(a for a in poses if a.session.session == "video13")

    for variable, value in (("ETHOLAKE_LAKE", lake_url), ("ETHOLAKE_CATALOG", catalog_url), ("ETHOLAKE_USER", "alice")):
        monkeypatch.setenv(variable, value)
    shown = CliRunner().invoke(app, ["query", "session", "ratlab/pair13/video13", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    (overview,) = json.loads(shown.output)
    (video13,) = [o for o in outcomes if o.session.session == "video13"]
    assert overview["qc_notes"] == video13.notes and any("clip=True" in note for note in overview["qc_notes"])
    assert overview["pose_frames"] == read_zarr(lake.uri(video13_pose.uri), {}).sizes["time"]
    assert overview["assets"] == {kind: str(count) for kind, count in sorted(kinds.items())}
    assert (overview["species"], overview["license"], overview["ingested"]) == ("Rattus norvegicus", "MIT", True)


def test_a_bad_manifest_writes_nothing(tmp_path, flow_env, shared_data):
    from etholake.flows.ingest import ingest_flow

    pose = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {
                "manifest_version": 1,
                "lab": "ratlab",
                "subjects": [{"name": "p1"}],
                "sessions": [
                    {"name": "ok", "subject": "p1", "fps": 30, "pose": {"path": str(pose)}},
                    {"name": "bad", "subject": "p1", "pose": {"path": "nope.csv"}},
                ],
            }
        )
    )
    with pytest.raises(ManifestError) as caught:
        ingest_flow(
            str(path),
            lake=str(tmp_path / "lake"),
            catalog=f"sqlite:///{tmp_path / 'c.sqlite'}",
            actor="alice",
            show_progress=False,
        )
    assert len(caught.value.problems) == 2
    assert not (tmp_path / "c.sqlite").exists()
    assert not (tmp_path / "lake" / "labs").exists()


def test_a_corrupt_file_fails_its_session_only_and_a_changed_file_makes_a_new_version(tmp_path, flow_env, shared_data):
    from etholake.flows.ingest import ingest_flow

    source = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    good, broken = tmp_path / "good.csv", tmp_path / "broken.csv"
    lines = source.read_text().splitlines(keepends=True)
    good.write_text("".join(lines[:2004]))
    broken.write_text("".join(lines[:4]) + "1,2,3\nnot,a,number\n")
    path = tmp_path / "manifest.json"

    def manifest(second_pose):
        path.write_text(
            json.dumps(
                {
                    "manifest_version": 1,
                    "lab": "ratlab",
                    "subjects": [{"name": "p1"}],
                    "sessions": [
                        {"name": "s1", "subject": "p1", "fps": 30, "pose": {"path": str(good), "format": "dlc_csv"}},
                        {
                            "name": "s2",
                            "subject": "p1",
                            "fps": 30,
                            "pose": {"path": str(second_pose), "format": "dlc_csv"},
                        },
                    ],
                }
            )
        )
        return str(path)

    kwargs = {
        "lake": str(tmp_path / "lake"),
        "catalog": f"sqlite:///{tmp_path / 'c.sqlite'}",
        "actor": "alice",
        "show_progress": False,
    }
    first, second = ingest_flow(manifest(broken), **kwargs)
    assert first.status == "ingested"
    assert second.status == "failed" and str(broken) in second.error
    with Catalog(kwargs["catalog"]) as catalog:
        assert [a.session.session for a in catalog.assets("alice", kind="pose")] == ["s1"]
        good.write_text("".join(lines[:3004]))
        first, _ = ingest_flow(manifest(broken), **kwargs)
        versions = catalog.assets("alice", kind="pose")
        assert first.status == "ingested" and len(versions) == 2
        assert versions[0].parents == {versions[1].id: "previous_version"}


def test_a_new_session_whose_file_fails_leaves_nothing_in_the_catalog(tmp_path, flow_env, shared_data):
    from etholake.flows.ingest import ingest_flow

    source = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    good, truncated = tmp_path / "good.csv", tmp_path / "truncated.csv"
    lines = source.read_text().splitlines(keepends=True)
    good.write_text("".join(lines[:1004]))
    truncated.write_text("".join(lines[:300]) + lines[300][:25])
    catalog_url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    kwargs = {"lake": str(tmp_path / "lake"), "catalog": catalog_url, "actor": "alice", "show_progress": False}

    def manifest(name: str, lab: str, sessions: list[tuple[str, str, object]]) -> str:
        path = tmp_path / f"{name}.json"
        entries = [
            {"name": session, "subject": subject, "fps": 30, "pose": {"path": str(pose), "format": "dlc_csv"}}
            for subject, session, pose in sessions
        ]
        subjects = [{"name": subject} for subject in dict.fromkeys(subject for subject, _, _ in sessions)]
        path.write_text(json.dumps({"manifest_version": 1, "lab": lab, "subjects": subjects, "sessions": entries}))
        return str(path)

    (failed,) = ingest_flow(manifest("new_lab", "newlab", [("p9", "s9", truncated)]), **kwargs)
    assert failed.status == "failed" and str(truncated) in failed.error
    with Catalog(catalog_url) as catalog:
        assert catalog.labs("alice").empty and catalog.count_sessions() == 0

    kept, failed = ingest_flow(manifest("mixed", "ratlab", [("p1", "s1", good), ("p2", "s2", truncated)]), **kwargs)
    assert kept.status == "ingested" and failed.status == "failed"
    with Catalog(catalog_url) as catalog:
        assert list(catalog.sessions("alice")["session"]) == ["s1"]
        assert list(catalog.labs("alice")["lab"]) == ["ratlab"]
        with catalog.transaction() as db:
            assert db.scalars(select(Subject.name)).all() == ["p1"]

    good.write_text("".join(lines[:300]) + lines[300][:25])
    (failed,) = ingest_flow(manifest("changed", "ratlab", [("p1", "s1", good)]), **kwargs)
    assert failed.status == "failed"
    with Catalog(catalog_url) as catalog:
        assert list(catalog.sessions("alice")["session"]) == ["s1"]
        assert len(catalog.assets("alice", kind="pose")) == 1


def test_a_failed_reingest_leaves_the_sessions_and_subjects_metadata_as_they_were(tmp_path, flow_env, shared_data):
    from etholake.flows.ingest import ingest_flow

    source = shared_data("rat_dyad/pose/24DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv")
    lines = source.read_text().splitlines(keepends=True)
    good, truncated = tmp_path / "good.csv", tmp_path / "truncated.csv"
    good.write_text("".join(lines[:1004]))
    truncated.write_text("".join(lines[:300]) + lines[300][:25])
    catalog_url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    kwargs = {"lake": str(tmp_path / "lake"), "catalog": catalog_url, "actor": "alice", "show_progress": False}

    def run(pose, *, fps: float, experimenter: str, strain: str) -> str:
        path = tmp_path / "manifest.json"
        subjects = [{"name": "p1", "strain": strain}, {"name": "p2", "strain": strain}]
        first = {"name": "s1", "subject": "p1", "fps": fps, "experimenter": experimenter, "pose": {"path": str(pose)}}
        first["start_time"] = "2024-03-01T10:00:00+01:00"
        sessions = [first, {"name": "s2", "subject": "p2", "fps": 30, "pose": {"path": str(good)}}]
        manifest = {"manifest_version": 1, "lab": "ratlab", "subjects": subjects, "sessions": sessions}
        path.write_text(json.dumps(manifest))
        outcome, _ = ingest_flow(str(path), **kwargs)
        reported.append([note for note in outcome.notes if note.startswith("session fields updated")])
        return outcome.status

    def stored() -> tuple[float, str, dict[str, str]]:
        with Catalog(catalog_url) as catalog:
            session = catalog.session("alice", SessionKey("ratlab", "p1", "s1"))
            with catalog.transaction() as db:
                strains = dict(db.execute(select(Subject.name, Subject.strain)).tuples().all())
        return session["fps"], session["experimenter"], strains

    reported: list[list[str]] = []
    assert run(good, fps=30, experimenter="ann", strain="Long-Evans") == "ingested"
    assert stored() == (30, "ann", {"p1": "Long-Evans", "p2": "Long-Evans"})

    assert run(truncated, fps=25, experimenter="bob", strain="Wistar") == "failed"
    assert stored() == (30, "ann", {"p1": "Long-Evans", "p2": "Wistar"})

    assert run(good, fps=25, experimenter="bob", strain="Wistar") == "ingested"
    assert stored() == (25, "bob", {"p1": "Wistar", "p2": "Wistar"})
    assert run(good, fps=25, experimenter="carol", strain="Wistar") == "unchanged"
    assert run(good, fps=25, experimenter="carol", strain="Wistar") == "unchanged"
    assert reported == [
        [],
        [],
        ["session fields updated: experimenter ann -> bob; fps 30 -> 25"],
        ["session fields updated: experimenter bob -> carol"],
        [],
    ]
