"""The labelling loop through the lake: suggest -> label -> ingest -> retrain -> a better, traceable model."""

import json

import numpy as np
import pandas as pd
import pytest

from etholake.catalog import Catalog, SessionKey
from etholake.errors import NotFoundError
from etholake.jobs.context import JobContext, open_dataset
from etholake.jobs.suggest import suggest_from_lake
from etholake.jobs.train import EvaluationSettings, train_from_lake

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BEHAVIOR = "sniff"


def f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    hits = np.sum(truth & predicted)
    return 2 * hits / max(truth.sum() + predicted.sum(), 1)


def write_labels(path, states: np.ndarray, sniff_code: int, scored: np.ndarray) -> None:
    frames = np.flatnonzero(scored)
    pd.DataFrame({"frame": frames, BEHAVIOR: (states[frames] == sniff_code).astype(int)}).to_csv(path, index=False)


def test_suggest_label_ingest_retrain(tmp_path, flow_env):
    from etholake.flows.infer import infer_flow
    from etholake.flows.ingest import ingest_flow
    from etholake.sim import load_ground_truth, simulate

    simulated = simulate(
        tmp_path / "raw", n_labs=1, sessions_per_lab=5, minutes=1.0, seed=3, video=False, neural=False, progress=False
    )
    manifest_path = next(iter(simulated.manifests.values()))
    manifest = json.loads(manifest_path.read_text())
    truth, scored = {}, {}
    for index, (entry, session) in enumerate(zip(manifest["sessions"], simulated.sessions)):
        arrays, meta = load_ground_truth(tmp_path / "raw" / session["ground_truth"]["arrays"])
        truth[entry["name"]] = (arrays["states"], meta["states"].index(BEHAVIOR))
        held_out = index == 4
        scored[entry["name"]] = np.zeros(arrays["states"].size, dtype=bool)
        scored[entry["name"]][: arrays["states"].size // 20] = not held_out
        path = tmp_path / f"{entry['name']}_labels.csv"
        write_labels(path, *truth[entry["name"]], scored[entry["name"]])
        entry["labels"] = (
            []
            if held_out
            else [{"path": str(path), "format": "frame_csv", "annotator": "trainer", "label_set": "social"}]
        )
    manifest_path.write_text(json.dumps(manifest))
    places = {
        "lake": str(tmp_path / "lake"),
        "catalog": f"sqlite:///{tmp_path / 'catalog.sqlite'}",
        "actor": "alice",
        "show_progress": False,
    }
    context = JobContext(places["lake"], places["catalog"], "alice")
    lab = manifest["lab"]
    held_out = SessionKey(lab, manifest["sessions"][4]["subject"], manifest["sessions"][4]["name"])

    def train_and_score() -> tuple[int, float]:
        outcome = train_from_lake(
            context,
            name="loop",
            lab=lab,
            behaviors=[BEHAVIOR],
            n_splits=2,
            estimator={"params": {"n_estimators": 40}},
            settings=EvaluationSettings(inner_splits=2, learning_curve=(), random_split=False),
        )
        with Catalog(context.catalog_url) as catalog:
            catalog.set_model_stage("alice", "loop", outcome.version, "production")
        infer_flow(model="loop", **places)
        with Catalog(context.catalog_url) as catalog:
            bouts = next(
                a
                for a in catalog.assets("alice", kind="bouts", session=held_out)
                if a.params["model_version"] == outcome.version
            )
            annotations = catalog.asset("alice", next(p for p, r in bouts.parents.items() if r == "annotations"))
        predicted = open_dataset(context, annotations)["predicted"].sel(behavior=BEHAVIOR).values
        states, code = truth[held_out.session]
        return outcome.version, f1(states == code, predicted)

    assert all(o.error is None for o in ingest_flow(str(manifest_path), **places))
    first_version, first_score = train_and_score()
    with pytest.raises(NotFoundError, match=r"loop v1 does not predict 'groom'; it predicts sniff"):
        suggest_from_lake(context, model="loop", behavior="groom")
    tasks = suggest_from_lake(context, model="loop", behavior=BEHAVIOR, n_tasks=40, segment_s=2.0)
    assert len(tasks) == 40 and tasks["session"].nunique() >= 3
    for row in tasks.itertuples():
        name = row.session.split("/")[-1]
        if name in scored and name != held_out.session:
            scored[name][row.start_frame : row.stop_frame + 1] = True
    for entry in manifest["sessions"][:4]:
        write_labels(tmp_path / f"{entry['name']}_labels.csv", *truth[entry["name"]], scored[entry["name"]])
    again = ingest_flow(str(manifest_path), **places)
    assert sum(o.status == "ingested" for o in again) >= 3
    second_version, second_score = train_and_score()
    assert second_version == first_version + 1
    print(f"held-out F1 of v{first_version} {first_score:.3f} -> v{second_version} {second_score:.3f}")
    assert second_score > first_score, (first_score, second_score)
    with Catalog(context.catalog_url) as catalog:
        model_asset = catalog.asset("alice", catalog.model("alice", "loop", second_version)["asset_id"])
        label_parents = [p for p, role in model_asset.parents.items() if role == "labels"]
        versions = [catalog.asset("alice", p).parents for p in label_parents]
        assert any("previous_version" in parents.values() for parents in versions)
