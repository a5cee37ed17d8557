"""What a model is trained from: the sessions whose labels score its behaviors, and only their assets."""

import json

import numpy as np
import pandas as pd
import pytest

from etholake.catalog import Catalog
from etholake.errors import OptionError
from etholake.jobs.context import JobContext
from etholake.jobs.train import assemble_training_data

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_session_whose_labels_do_not_score_the_behavior_is_left_out_of_sessions_and_lineage(
    tmp_path, flow_env, monkeypatch
):
    from etholake.flows.ingest import ingest_flow
    from etholake.sim import simulate

    simulated = simulate(
        tmp_path / "raw", n_labs=1, sessions_per_lab=3, minutes=0.25, seed=5, video=False, neural=False, progress=False
    )
    manifest_path = next(iter(simulated.manifests.values()))
    manifest = json.loads(manifest_path.read_text())
    for index, entry in enumerate(manifest["sessions"]):
        behavior = "groom" if index == 2 else "sniff"
        path = tmp_path / f"{entry['name']}_labels.csv"
        frames = np.arange(0, 200)
        pd.DataFrame({"frame": frames, behavior: (frames // 20) % 2}).to_csv(path, index=False)
        entry["labels"] = [{"path": str(path), "format": "frame_csv", "annotator": "trainer", "label_set": "social"}]
    manifest_path.write_text(json.dumps(manifest))
    context = JobContext(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}", "alice")
    outcomes = ingest_flow(
        str(manifest_path), lake=context.lake_url, catalog=context.catalog_url, actor="alice", show_progress=False
    )
    assert [o.status for o in outcomes] == ["ingested"] * 3

    with monkeypatch.context() as patched:
        patched.setattr("etholake.jobs.train.session_features", lambda *_: pytest.fail("features were computed"))
        with pytest.raises(OptionError, match=r"no label set scores 'fly'; the label sets score groom, sniff$"):
            assemble_training_data(context, behaviors=["sniff", "fly"])

    with pytest.warns(UserWarning, match=r"is left out: its label sets \(trainer:social\) do not list sniff"):
        data = assemble_training_data(context, behaviors=["sniff"])

    lab = manifest["lab"]
    used = [f"{lab}/{e['subject']}/{e['name']}" for e in manifest["sessions"][:2]]
    assert [s.session for s in data.sessions] == used
    assert sorted(set(data.trainset.session)) == used
    with Catalog(context.catalog_url) as catalog:
        sessions_of_parents = {str(catalog.asset("alice", asset_id).session) for asset_id in data.parents}
        assert sessions_of_parents == set(used)
        assert sorted(data.parents.values()) == ["features", "features", "labels", "labels"]


def test_a_model_learns_from_its_lab_and_shared_sessions_never_from_another_labs_private_ones(tmp_path, flow_env):
    from etholake.flows.ingest import ingest_flow
    from etholake.sim import simulate

    simulated = simulate(
        tmp_path / "raw", n_labs=3, sessions_per_lab=2, minutes=0.25, seed=5, video=False, neural=False, progress=False
    )
    lake, catalog_url = str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}"
    owners = {"ashby": ("alice", "private"), "bauer": ("bob", "shared"), "chen": ("bob", "private")}
    for lab, (owner, visibility) in owners.items():
        manifest = json.loads(simulated.manifests[lab].read_text())
        simulated.manifests[lab].write_text(json.dumps({**manifest, "visibility": visibility}))
        ingest_flow(str(simulated.manifests[lab]), lake=lake, catalog=catalog_url, actor=owner, show_progress=False)
    with Catalog(catalog_url) as catalog:
        catalog.add_member("bob", "chen", "alice", "member")
    context = JobContext(lake, catalog_url, "alice")

    with pytest.warns(UserWarning, match=r"2 private session\(s\) of chen left out: a model of ashby"):
        data = assemble_training_data(context, behaviors=["sniff"], model_lab="ashby")

    assert sorted({key.split("/")[0] for key in (s.session for s in data.sessions)}) == ["ashby", "bauer"]
    with Catalog(catalog_url) as catalog:
        assert {a.session.lab for a in catalog.assets("alice", kind="features")} == {"ashby"}
        bauer_parents = {
            role for asset_id, role in data.parents.items() if catalog.asset("alice", asset_id).session.lab == "bauer"
        }
    assert bauer_parents == {"pose", "labels"}


def test_two_runs_of_one_recipe_at_once_register_one_version(tmp_path, flow_env, monkeypatch):
    from etholake.flows.ingest import ingest_flow
    from etholake.jobs.train import train_from_lake
    from etholake.sim import simulate

    simulated = simulate(
        tmp_path / "raw", n_labs=1, sessions_per_lab=3, minutes=0.25, seed=5, video=False, neural=False, progress=False
    )
    manifest_path = next(iter(simulated.manifests.values()))
    context = JobContext(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}", "alice")
    ingest_flow(
        str(manifest_path), lake=context.lake_url, catalog=context.catalog_url, actor="alice", show_progress=False
    )
    lab = json.loads(manifest_path.read_text())["lab"]
    options = {
        "name": "soc",
        "lab": lab,
        "behaviors": ["sniff"],
        "n_splits": 3,
        "estimator": {"params": {"n_estimators": 5}},
    }
    first = train_from_lake(context, **options)
    import etholake.jobs.train

    looked_up = etholake.jobs.train._trained_before
    calls = []

    def not_yet_registered_at_first(*arguments):
        calls.append(arguments)
        return None if len(calls) == 1 else looked_up(*arguments)

    monkeypatch.setattr(etholake.jobs.train, "_trained_before", not_yet_registered_at_first)
    second = train_from_lake(context, **options)
    assert (second.version, second.asset_id, second.reused) == (first.version, first.asset_id, True)
    with Catalog(context.catalog_url) as catalog:
        assert catalog.models("alice", name="soc")["version"].tolist() == [1]
