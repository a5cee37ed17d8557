"""Benchmark: scheduled reprocessing from pose to bouts and catalog summaries.

The daily job after a lab uploads: N new sessions of M minutes (default 200 x 30 min at
30 fps = 10.8 million frames) arrive in a lake whose production model was trained
earlier on other sessions, and ``reprocess_flow`` annotates every stale session:
features (computed and stored; none exist yet), batch inference, bouts, summaries.

Steps: simulate 4 training sessions (at most 10 min each) and the N new ones (one
lab); ingest the training sessions, train a random forest (the project's default
estimator, 100 trees per behavior) on them with the chosen feature set, promote it and annotate them; then
ingest the N new sessions and time ``reprocess_flow`` over them. Prints frames/s end
to end, how many sessions needed features, the Prefect + Dask orchestration measured
separately (a flow with one task per session, as reprocess makes, whose work is a
no-op on a worker; and the reprocess flow again when every session is current) and the
ratio to SimBA's batch inference (about 3,200 frames/s measured here, features already
computed and the model reloaded per video).

Run: ``.venv/bin/python bench/reprocess.py [sessions] [minutes] [feature set]``. The data
(about 24 GB at the default size, most of it stored features) is removed at the end unless
``ETHOLAKE_BENCH_KEEP=1``.
"""

import argparse
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

SIMBA_FRAMES_PER_S = 3200
TRAINING_SESSIONS = 4
TRAINING_MINUTES = 10.0


def orchestration_only(sessions: int) -> None:
    """The reprocess flow's orchestration without its work: one Prefect task per session, a no-op on Dask."""
    from prefect import flow

    from etholake.fanout import fan_out

    @flow(name="etholake-bench-orchestration")
    def no_op_flow() -> None:
        fan_out(len, [((),)] * sessions, [f"no-op {i}" for i in range(sessions)], description="", show_progress=False)

    no_op_flow()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sessions", nargs="?", type=int, default=200, help="sessions to reprocess")
    parser.add_argument("minutes", nargs="?", type=float, default=30.0, help="minutes per simulated session")
    parser.add_argument("feature_set", nargs="?", default="default", help="built-in feature set")
    arguments = parser.parse_args()
    sessions, minutes, feature_set = arguments.sessions, arguments.minutes, arguments.feature_set
    warnings.simplefilter("ignore")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    from etholake.compute import client
    from etholake.flowrun import prepare_prefect

    prepare_prefect()
    from etholake.flows.ingest import ingest_flow
    from etholake.flows.reprocess import reprocess_flow
    from etholake.jobs.context import JobContext
    from etholake.jobs.train import EvaluationSettings, train_from_lake
    from etholake.sim.generate import session_specs, simulate_specs

    out = Path(tempfile.mkdtemp(prefix="etholake-bench-reprocess-"))
    lake, catalog = str(out / "lake"), f"sqlite:///{out / 'lake' / 'catalog.sqlite'}"
    places = {"lake": lake, "catalog": catalog, "actor": "bench", "show_progress": False}
    specs = session_specs(
        out, n_labs=1, sessions_per_lab=TRAINING_SESSIONS + sessions, minutes=minutes, seed=0, video=False, neural=False
    )
    lab = specs[0].lab.name
    with client() as cluster:
        os.environ["ETHOLAKE_DASK_ADDRESS"] = cluster.scheduler.address
        started = time.perf_counter()
        training = simulate_specs(
            [
                replace(s, out_dir=str(out / "train"), minutes=min(minutes, TRAINING_MINUTES))
                for s in specs[:TRAINING_SESSIONS]
            ],
            out / "train",
            client=cluster,
            progress=False,
        )
        batch = simulate_specs(
            [replace(s, out_dir=str(out / "new")) for s in specs[TRAINING_SESSIONS:]],
            out / "new",
            client=cluster,
            progress=False,
        )
        print(f"simulated {len(specs)} sessions x {minutes:g} min in {time.perf_counter() - started:.0f} s")
        ingest_flow([str(p) for p in training.manifests.values()], **places)
        context = JobContext(lake, catalog, "bench")
        started = time.perf_counter()
        trained = train_from_lake(
            context,
            name="bench",
            lab=lab,
            behaviors=["attack", "sniff"],
            n_splits=2,
            sessions_lab=lab,
            feature_set=feature_set,
            settings=EvaluationSettings(inner_splits=2, stride=8, learning_curve=(), random_split=False),
        )
        with context.catalog() as opened:
            opened.set_model_stage("bench", "bench", trained.version, "production")
        reprocess_flow(**places)
        print(
            f"trained bench v{trained.version} ({feature_set} features) on {TRAINING_SESSIONS} sessions and "
            f"annotated them in {time.perf_counter() - started:.0f} s (not part of the figure)"
        )
        started = time.perf_counter()
        ingest_flow([str(p) for p in batch.manifests.values()], **places)
        print(f"ingested {sessions} new sessions in {time.perf_counter() - started:.0f} s (not part of the figure)")
        started = time.perf_counter()
        report = reprocess_flow(**places)
        elapsed = time.perf_counter() - started
        frames = sum(o.frames for o in report.outcomes)
        with_features = sum(o.features_computed for o in report.outcomes)
        started = time.perf_counter()
        idle = reprocess_flow(**places)
        idle_seconds = time.perf_counter() - started
        started = time.perf_counter()
        orchestration_only(len(report.outcomes))
        overhead = time.perf_counter() - started
    print(
        f"reprocess: {len(report.outcomes)} stale sessions ({with_features} needed features), {frames:,} frames, "
        f"pose -> features -> bouts -> summaries in {elapsed:.1f} s = {frames / elapsed:,.0f} frames/s "
        f"({frames / elapsed / SIMBA_FRAMES_PER_S:.1f}x SimBA's {SIMBA_FRAMES_PER_S:,} frames/s)"
    )
    print(
        f"Prefect + Dask orchestration alone (a flow with one task per session that runs a no-op on a worker): "
        f"{overhead:.1f} s for {len(report.outcomes)} sessions ({overhead / max(len(report.outcomes), 1) * 1000:.0f} "
        f"ms per session); the same reprocess again, every session current: {idle_seconds:.1f} s"
    )
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"workers: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    if os.environ.get("ETHOLAKE_BENCH_KEEP"):
        print(f"data kept in {out} ({size / 1e9:.1f} GB)")
    else:
        shutil.rmtree(out)
        print(f"removed the bench's {size / 1e9:.1f} GB of data (set ETHOLAKE_BENCH_KEEP=1 to keep it)")
