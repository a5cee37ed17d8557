"""The end-to-end demo on the embedded defaults: a local lake folder, a SQLite catalog, a local
Dask cluster and Prefect without a server.

Stages: simulate three labs -> ingest each lab's manifest -> features -> train with
grouped evaluation -> promote -> batch inference -> clock sync and behavior-neural
statistics -> NWB export of one session -> catalog queries -> HTML report. Every stage
is idempotent, so running the demo again reuses what is current and says so.
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from etholake.console import command_console

if TYPE_CHECKING:
    import pandas as pd

SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"n_labs": 3, "sessions_per_lab": 2, "minutes": 1.0, "folds": 3, "shifts": 200, "stride": 4, "curve": ()},
    "default": {
        "n_labs": 3,
        "sessions_per_lab": 4,
        "minutes": 2.0,
        "folds": 3,
        "shifts": 1000,
        "stride": 4,
        "curve": (2, 4),
    },
    "large": {
        "n_labs": 3,
        "sessions_per_lab": 10,
        "minutes": 10.0,
        "folds": 5,
        "shifts": 1000,
        "stride": 6,
        "curve": None,
    },
}
DEMO_ESTIMATOR = {"kind": "random_forest", "params": {"n_estimators": 60}}
MODEL = "social"
BEHAVIORS = ["attack", "chase", "sniff", "mount"]
OWNER_LAB = "ashby"
DEMO_USER = "demo"


@dataclass
class Stage:
    """One demo stage: what it did, whether it reused earlier results, and how long it took."""

    name: str
    result: str
    reused: bool
    seconds: float


@dataclass
class DemoResult:
    """Where the demo put things and what each stage did."""

    out_dir: Path
    lake: str
    catalog: str
    report: Path | None
    nwb: Path | None
    stages: list[Stage] = field(default_factory=list)
    queries: dict[str, pd.DataFrame] = field(default_factory=dict)


class _Stages:
    def __init__(self, result: DemoResult, console: Console) -> None:
        self.result, self.console = result, console

    def run(self, name: str, action: Callable[[], tuple[str, bool]]) -> None:
        self.console.rule(Text(name, style="bold"))
        started = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            message, reused = action()
        notes = {re.sub(r"[\d.]+", "N", str(w.message)): str(w.message) for w in caught}
        for note in list(notes.values())[:4]:
            self.console.print(Text.assemble(("note:", "yellow"), f" {note[:200]}"))
        if len(notes) > 4:
            self.console.print(Text.assemble(("note:", "yellow"), f" ... and {len(notes) - 4} more kinds of warning"))
        stage = Stage(name, message, reused, time.perf_counter() - started)
        self.result.stages.append(stage)
        self.console.print(Text.assemble(("reused: " if reused else "", "dim"), f"{message}  ({stage.seconds:.1f} s)"))


def run_demo(
    out_dir: str | Path = "etholake-demo",
    size: str = "default",
    seed: int = 0,
    console: Console | None = None,
    progress: bool = True,
) -> DemoResult:
    """Run the whole pipeline on simulated labs; see the module docstring.

    Parameters
    ----------
    out_dir
        Folder for the simulated raw data, the lake (with its SQLite catalog), the NWB file and the report.
    size
        ``tiny`` (3 labs x 2 sessions x 1 min), ``default`` (3 x 4 x 2 min) or ``large`` (3 x 10 x 10 min).
    seed
        Simulation seed.
    console
        Where to print (default: a new rich console).
    progress
        Show progress bars.

    Returns
    -------
    DemoResult
    """
    from etholake.compute import client
    from etholake.errors import EtholakeError
    from etholake.flowrun import prepare_prefect

    if size not in SIZES:
        raise EtholakeError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    prepare_prefect()
    from etholake.catalog import SessionKey
    from etholake.flows.align import align_flow
    from etholake.flows.features import features_flow
    from etholake.flows.infer import infer_flow
    from etholake.flows.ingest import ingest_flow
    from etholake.jobs.context import JobContext
    from etholake.jobs.nwb import export_session_to_nwb
    from etholake.jobs.train import EvaluationSettings, train_from_lake

    console = console or command_console()
    config = SIZES[size]
    out = Path(out_dir).resolve()
    raw = out / "raw"
    lake = str(out / "lake")
    catalog = f"sqlite:///{out / 'lake' / 'catalog.sqlite'}"
    context = JobContext(lake, catalog, DEMO_USER)
    result = DemoResult(out, lake, catalog, None, None)
    stages = _Stages(result, console)
    places = {"lake": lake, "catalog": catalog, "actor": DEMO_USER, "show_progress": progress}

    def simulate() -> tuple[str, bool]:
        from etholake.sim import simulate as simulate_labs

        marker = raw / "demo.json"
        wanted = {"size": size, "seed": seed}
        if marker.is_file() and json.loads(marker.read_text()) == wanted:
            return f"{config['n_labs']} labs x {config['sessions_per_lab']} sessions already simulated in {raw}", True
        simulated = simulate_labs(
            raw,
            n_labs=config["n_labs"],
            sessions_per_lab=config["sessions_per_lab"],
            minutes=config["minutes"],
            seed=seed,
            progress=progress,
        )
        marker.write_text(json.dumps(wanted))
        return f"{len(simulated.sessions)} sessions from {len(simulated.manifests)} labs written to {raw}", False

    def ingest() -> tuple[str, bool]:
        outcomes = ingest_flow([str(m) for m in sorted(raw.glob("*/manifest.json"))], **places)
        created = sum(len(o.created) for o in outcomes)
        failed = [o for o in outcomes if o.error]
        if failed:
            raise EtholakeError(f"ingest failed for {failed[0].session}: {failed[0].error}")
        return f"{len(outcomes)} sessions, {created} assets created", created == 0

    def features() -> tuple[str, bool]:
        outcomes = features_flow(spec="default", **places)
        computed = sum(o.computed for o in outcomes)
        return f"default feature set: {computed} computed, {len(outcomes) - computed} up to date", computed == 0

    def train() -> tuple[str, bool]:
        settings = EvaluationSettings(inner_splits=2, stride=config["stride"], learning_curve=config["curve"])
        outcome = train_from_lake(
            context,
            name=MODEL,
            lab=OWNER_LAB,
            behaviors=BEHAVIORS,
            policy="majority",
            n_splits=config["folds"],
            estimator=DEMO_ESTIMATOR,
            settings=settings,
        )
        figures = ", ".join(f"{b} {m.get('pooled_f1') or 0:.2f}" for b, m in outcome.metrics.items())
        return f"{MODEL} v{outcome.version}; held-out F1 grouped by session: {figures}", outcome.reused

    def promote() -> tuple[str, bool]:
        with context.catalog() as opened:
            latest = opened.model(DEMO_USER, MODEL, "latest")
            if latest["stage"] == "production":
                return f"{MODEL} v{latest['version']} already in production", True
            opened.set_model_stage(DEMO_USER, MODEL, latest["version"], "production")
        return f"{MODEL} v{latest['version']} promoted to production", False

    def infer() -> tuple[str, bool]:
        outcomes = infer_flow(model=MODEL, **places)
        done = sum(o.computed for o in outcomes)
        bouts = sum(o.bouts for o in outcomes)
        return f"{done} sessions annotated, {len(outcomes) - done} up to date; {bouts} bouts", done == 0

    def align() -> tuple[str, bool]:
        outcomes = align_flow(model=MODEL, n_shifts=config["shifts"], **places)
        done = sum(o.computed for o in outcomes)
        modulated = sum(o.modulated for o in outcomes)
        units = sum(o.units for o in outcomes)
        return f"{len(outcomes)} sessions synced; {modulated} of {units} unit x behavior tests at q < 0.05", done == 0

    def nwb() -> tuple[str, bool]:
        with context.catalog() as opened:
            first = opened.sessions(DEMO_USER).iloc[0]
        key = SessionKey(first["lab"], first["subject"], first["session"])
        path = out / f"{key.session}.nwb"
        reused = path.is_file()
        if not reused:
            export_session_to_nwb(context, key, path, model=MODEL)
        result.nwb = path
        return f"{key} -> {path}", reused

    def queries() -> tuple[str, bool]:
        with context.catalog() as opened:
            result.queries = {
                "sessions with >= 2 attack bouts": opened.find_sessions(DEMO_USER, behavior="attack", min_bouts=2),
                "units modulated by sniff (q < 0.05)": opened.find_units(DEMO_USER, behavior="sniff", max_q=0.05),
                "models": opened.models(DEMO_USER)[["name", "version", "stage", "created_at"]],
            }
        return "; ".join(f"{name}: {len(frame)}" for name, frame in result.queries.items()), False

    def report() -> tuple[str, bool]:
        from etholake.report.site import build_site

        result.report = build_site(context, out / "report")
        return f"open {result.report}", False

    plan = (
        ("simulate", simulate),
        ("ingest", ingest),
        ("features", features),
        ("train", train),
        ("promote", promote),
        ("infer", infer),
        ("align", align),
        ("nwb export", nwb),
        ("queries", queries),
        ("report", report),
    )
    with client() as cluster:
        previous = os.environ.get("ETHOLAKE_DASK_ADDRESS")
        os.environ["ETHOLAKE_DASK_ADDRESS"] = cluster.scheduler.address
        try:
            for name, action in plan:
                stages.run(name, action)
        finally:
            if previous is None:
                os.environ.pop("ETHOLAKE_DASK_ADDRESS", None)
            else:
                os.environ["ETHOLAKE_DASK_ADDRESS"] = previous
    return result
