"""Benchmark: scheduled reprocessing from pose to bouts and catalog summaries.

Simulates N sessions of M minutes (default 200 x 30 min at 30 fps = 10.8 million frames),
ingests them, trains a small model on the first sessions, promotes it and times
``reprocess_flow`` (features + batch inference + bouts + summaries for every stale
session). Prints frames/s end to end, the Prefect overhead measured separately (the
same flow over sessions that are all current, so only orchestration runs) and the
ratio to SimBA's batch inference (about 3,200 frames/s measured here, features already
computed and the model reloaded per video).

The feature set is the model's: ``default`` (941 features for 2 x 8 keypoints, windows up
to 12 s) costs about 25,000 frames/s per core, ``simba`` (654 features) about 176,000.

Run: ``.venv/bin/python bench/reprocess.py [sessions] [minutes] [feature set]``
"""

import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

SIMBA_FRAMES_PER_S = 3200

if __name__ == "__main__":
    sessions = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    feature_set = sys.argv[3] if len(sys.argv) > 3 else "default"
    warnings.simplefilter("ignore")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "ERROR")
    from etholake.compute import client
    from etholake.flowrun import quiet_prefect

    quiet_prefect()
    from etholake.flows.ingest import ingest_flow
    from etholake.flows.reprocess import reprocess_flow
    from etholake.jobs.context import JobContext
    from etholake.jobs.train import EvaluationSettings, train_from_lake
    from etholake.sim import simulate

    out = Path(tempfile.mkdtemp(prefix="etholake-bench-reprocess-"))
    lake, catalog = str(out / "lake"), f"sqlite:///{out / 'lake' / 'catalog.sqlite'}"
    places = {"lake": lake, "catalog": catalog, "actor": "bench", "show_progress": False}
    with client() as cluster:
        os.environ["ETHOLAKE_DASK_ADDRESS"] = cluster.scheduler.address
        started = time.perf_counter()
        simulated = simulate(
            out / "raw",
            n_labs=1,
            sessions_per_lab=sessions,
            minutes=minutes,
            video=False,
            neural=False,
            client=cluster,
            progress=False,
        )
        print(
            f"simulated {len(simulated.sessions)} sessions x {minutes:g} min in {time.perf_counter() - started:.0f} s"
        )
        started = time.perf_counter()
        outcomes = ingest_flow([str(p) for p in simulated.manifests.values()], **places)
        print(f"ingested {len(outcomes)} sessions in {time.perf_counter() - started:.0f} s")
        context = JobContext(lake, catalog, "bench")
        lab = next(iter(simulated.manifests))
        started = time.perf_counter()
        trained = train_from_lake(
            context,
            name="bench",
            lab=lab,
            behaviors=["attack", "sniff"],
            n_splits=3,
            sessions_lab=lab,
            feature_set=feature_set,
            estimator={"params": {"n_estimators": 50}},
            settings=EvaluationSettings(inner_splits=2, stride=8, learning_curve=(), random_split=False),
        )
        with context.catalog() as opened:
            opened.set_model_stage("bench", "bench", trained.version, "production")
        print(f"trained bench v{trained.version} in {time.perf_counter() - started:.0f} s (not part of the figure)")
        started = time.perf_counter()
        report = reprocess_flow(**places)
        elapsed = time.perf_counter() - started
        frames = sum(o.frames for o in report.outcomes)
        started = time.perf_counter()
        idle = reprocess_flow(**places)
        overhead = time.perf_counter() - started
    print(
        f"reprocess: {len(report.outcomes)} stale sessions, {frames:,} frames, pose -> features -> bouts -> "
        f"summaries in {elapsed:.1f} s = {frames / elapsed:,.0f} frames/s "
        f"({frames / elapsed / SIMBA_FRAMES_PER_S:.1f}x SimBA's {SIMBA_FRAMES_PER_S:,} frames/s)"
    )
    print(
        f"Prefect + catalog overhead: a second run over {idle.current} current sessions took {overhead:.1f} s "
        f"({overhead / max(idle.current, 1) * 1000:.0f} ms per session)"
    )
    print(f"workers: {os.cpu_count()} cores; data in {out}")
