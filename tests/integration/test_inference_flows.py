"""Batch inference and reprocessing through Prefect on Dask: killed workers, idempotency, schedules."""

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest
from pipeline_helpers import add_sessions, synthetic_pose, train_contact_model

from etholake.catalog import Catalog, SessionKey
from etholake.jobs.context import JobContext, open_dataset
from etholake.jobs.features import session_features
from etholake.jobs.inference import session_inference
from etholake.jobs.models import publish_model
from etholake.jobs.status import session_states
from etholake.lake import find_orphans, open_lake

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def make_lake(tmp_path, sessions: int, model: str = "contact", behavior: str = "contact") -> JobContext:
    context = JobContext(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'catalog.sqlite'}", "alice")
    lake = open_lake(context.lake_url)
    with Catalog(context.catalog_url) as catalog:
        add_sessions(lake, catalog, "alice", "labA", [f"s{i:02d}" for i in range(sessions)])
        promote_model(context, catalog, model, behavior, [SessionKey("labA", "m1", "s00")])
    return context


def promote_model(context: JobContext, catalog: Catalog, model: str, behavior: str, training: list[SessionKey]):
    outcomes = [session_features(context, key, "default") for key in training]
    features = [open_dataset(context, catalog.asset("alice", o.asset_id)).load() for o in outcomes]
    poses = [synthetic_pose(seed=int(key.session[1:])) for key in training]
    bundle = train_contact_model(features, poses, model, behavior)
    _, version = publish_model(context.lake(), catalog, "alice", bundle, lab="labA")
    catalog.set_model_stage("alice", model, version, "production")


def worker_processes() -> list[psutil.Process]:
    """The Dask worker processes (children of the `dask worker` nannies) of this test session."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if "distributed.cli.dask_worker" in command:
            found += process.children()
    return found


def test_inference_survives_a_killed_worker_and_leaves_one_annotation_per_session(tmp_path, flow_env):
    from etholake.flows.infer import infer_flow

    context = make_lake(tmp_path, 20)
    with Catalog(context.catalog_url) as catalog:

        def kill_when_busy():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(catalog.assets("alice", kind="bouts")) >= 3:
                    victims = worker_processes()
                    if victims:
                        os.kill(victims[0].pid, signal.SIGKILL)
                        killed.append(victims[0].pid)
                    return
                time.sleep(0.2)

        killed: list[int] = []
        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        outcomes = infer_flow(
            "contact", lake=context.lake_url, catalog=context.catalog_url, actor="alice", show_progress=False
        )
        killer.join()
        assert killed, "no worker was killed: the run finished before three sessions were annotated"
        assert len(outcomes) == 20
        states = session_states(context)
        assert len(states) == 20 and all(s.current for s in states)
        per_session = {}
        for asset in catalog.assets("alice", kind="bouts"):
            per_session.setdefault(asset.session, []).append(asset.id)
        assert sorted(len(v) for v in per_session.values()) == [1] * 20
        orphans = find_orphans(context.lake(), catalog)
        assert all("/annotations/" in o.path or "/bouts/" in o.path for o in orphans)


def test_reprocess_twice_in_a_row_does_nothing_the_second_time(tmp_path, flow_env):
    from etholake.flows.reprocess import reprocess_flow

    context = make_lake(tmp_path, 4)
    first = reprocess_flow(lake=context.lake_url, catalog=context.catalog_url, actor="alice")
    assert len(first.stale) == 4 and all(o.computed for o in first.outcomes)
    second = reprocess_flow(lake=context.lake_url, catalog=context.catalog_url, actor="alice")
    assert second.stale == [] and second.outcomes == [] and second.current == 4


def test_scheduled_reprocess_on_a_prefect_server_annotates_exactly_the_stale_sessions(tmp_path, dask_scheduler):
    from services import prefect_server

    context = make_lake(tmp_path, 3)
    keys = [SessionKey("labA", "m1", f"s{i:02d}") for i in range(5)]
    for key in keys[:3]:
        session_inference(context, key, "contact")
    with Catalog(context.catalog_url) as catalog:
        before = {a.id for a in catalog.assets("alice", kind="bouts")}
    environment = {
        **os.environ,
        "ETHOLAKE_LAKE": context.lake_url,
        "ETHOLAKE_CATALOG": context.catalog_url,
        "ETHOLAKE_USER": "alice",
        "ETHOLAKE_DASK_ADDRESS": dask_scheduler,
    }
    with prefect_server() as server:
        environment.update(server)
        serve = subprocess.Popen(
            [sys.executable, "-m", "etholake", "schedule", "--interval", "5", "--name", "test"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            time.sleep(10)
            with Catalog(context.catalog_url) as catalog:
                assert {a.id for a in catalog.assets("alice", kind="bouts")} == before
                add_sessions(context.lake(), catalog, "alice", "labA", ["s03", "s04"], seed=3)
                promote_model(context, catalog, "faraway", "faraway", [keys[1]])
                deadline = time.monotonic() + 240
                while time.monotonic() < deadline:
                    if all(s.current for s in session_states(context)):
                        break
                    assert serve.poll() is None, serve.stdout.read()
                    time.sleep(1)
                states = session_states(context)
                assert len(states) == 10 and all(s.current for s in states), [vars(s) for s in states]
                print(f"all sessions current {time.monotonic() - deadline + 240:.1f} s after the change")
                new = [a for a in catalog.assets("alice", kind="bouts") if a.id not in before]
                made = sorted((a.session.session, a.params["model_name"], a.params["model_version"]) for a in new)
                assert made == sorted(
                    [("s03", "contact", 1), ("s04", "contact", 1)] + [(k.session, "faraway", 1) for k in keys]
                )
                assert before <= {a.id for a in catalog.assets("alice", kind="bouts")}
        finally:
            os.killpg(serve.pid, signal.SIGINT)
            try:
                serve.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(serve.pid, signal.SIGKILL)
                serve.wait()


def test_a_session_the_model_cannot_annotate_fails_alone_and_the_others_are_annotated(tmp_path, dask_scheduler):
    from etholake.lake import publish_dataset

    context = make_lake(tmp_path, 3)
    odd = SessionKey("labA", "m1", "s02")
    one_animal = synthetic_pose(seed=2).isel(individual=[0])
    with Catalog(context.catalog_url) as catalog:
        publish_dataset(
            context.lake(),
            catalog,
            "alice",
            one_animal,
            kind="pose",
            lab="labA",
            session=odd,
            params={"identity": "pose"},
        )
    environment = {
        **os.environ,
        "ETHOLAKE_LAKE": context.lake_url,
        "ETHOLAKE_CATALOG": context.catalog_url,
        "ETHOLAKE_USER": "alice",
        "ETHOLAKE_DASK_ADDRESS": dask_scheduler,
    }
    run = subprocess.run(
        [sys.executable, "-m", "etholake", "infer", "--model", "contact", "--no-progress"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    assert "2 session(s): 2 annotated, 0 already up to date" in run.stdout, run.stdout
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert errors[-1].startswith(
        "error: 1 of 3 session(s) failed: labA/m1/s02 contact v1: model 'contact' cannot use these features"
    ), run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    with Catalog(context.catalog_url) as catalog:
        annotated = {a.session for a in catalog.assets("alice", kind="bouts")}
    assert annotated == {SessionKey("labA", "m1", "s00"), SessionKey("labA", "m1", "s01")}
