"""A small lake with every asset kind the report site reads: two labs, three sessions, one model."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.figure import Figure
from pipeline_helpers import add_sessions

from etholake.catalog import BehaviorSummaryRows, Catalog, SessionKey, UnitSummaryRows
from etholake.inference.bouts import runs
from etholake.inference.summary import behavior_summary
from etholake.jobs.context import JobContext
from etholake.lake import Lake, publish_dataset, publish_file, publish_json, publish_table
from etholake.schema import make_labels_dataset

USER = "tester"
BEHAVIORS = ["attack", "sniff"]
FRAMES, FPS = 1200, 30.0
UNITS = ["0", "1", "2"]
REGIONS = {"0": "VMHvl", "1": "VMHvl", "2": None}
"""Regions the catalog holds; the modulation tables, like those of older lakes, have none."""
SESSIONS = {"alpha": ["s1", "s2"], "beta": ["s1"]}


def _truth(seed: int) -> np.ndarray:
    starts = np.random.default_rng(seed).integers(0, FRAMES - 90, (4, len(BEHAVIORS)))
    frames = np.arange(FRAMES)[:, None, None]
    return ((frames >= starts) & (frames < starts + 60)).any(axis=1).astype(np.int8)


def _bouts(predicted: np.ndarray) -> pd.DataFrame:
    rows = []
    for index, behavior in enumerate(BEHAVIORS):
        starts, stops = runs(predicted[:, index])
        rows += [
            {
                "behavior": behavior,
                "start_frame": int(a),
                "stop_frame": int(b),
                "start_time": a / FPS,
                "stop_time": (b + 1) / FPS,
                "duration": (b - a + 1) / FPS,
                "mean_probability": 0.9,
                "max_probability": 1.0,
            }
            for a, b in zip(starts, stops, strict=True)
        ]
    return pd.DataFrame(rows)


def _report_html() -> str:
    figure = Figure(figsize=(2, 2))
    figure.subplots().plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return (
        f'<!DOCTYPE html><html><head><title>r</title></head><body><h1>social v1</h1><img alt="pr" src="{uri}">'
        "<h3>Per lab</h3></body></html>"
    )


def _publish_session(lake: Lake, catalog: Catalog, key: SessionKey, seed: int) -> None:
    truth = _truth(seed)
    place = {"lab": key.lab, "session": key}
    for annotator in ("a1", "a2"):
        label = truth.copy()
        label[:100] = -1 if annotator == "a2" else label[:100]
        labels = make_labels_dataset(label, behaviors=BEHAVIORS, annotator=annotator, label_set="social", fps=FPS)
        publish_dataset(lake, catalog, USER, labels, kind="labels", params={"identity": f"{annotator}:social"}, **place)
    time = np.arange(FRAMES) / FPS
    annotations = xr.Dataset(
        {
            "probability": (("time", "behavior"), truth.astype(np.float32)),
            "predicted": (("time", "behavior"), truth == 1),
        },
        coords={"time": time, "frame": ("time", np.arange(FRAMES)), "behavior": BEHAVIORS},
        attrs={"fps": FPS, "schema": "etholake.annotations/1"},
    )
    model = {"model_name": "social", "model_version": 1}
    published = publish_dataset(lake, catalog, USER, annotations, kind="annotations", params=model, **place)
    bouts = _bouts(truth == 1)
    publish_table(lake, catalog, USER, bouts, kind="bouts", params=model, **place)
    summary = behavior_summary(bouts, BEHAVIORS, session_start_s=0.0, session_duration_s=FRAMES / FPS)
    catalog.replace_behavior_summaries(USER, BehaviorSummaryRows(published.record.id, summary, "model", "social", 1))
    drift = 250.0 if key.session == "s2" else 40.0
    clock_map = {
        "drift_ppm": drift,
        "matched_fraction": 0.99,
        "residual_sd": 0.004,
        "source_clock": "video",
        "target_clock": "neural",
        "qc": {"n_matched": 40, "passed": drift < 200},
        "notes": [],
    }
    publish_json(lake, catalog, USER, clock_map, kind="clock_map", **place)
    rng = np.random.default_rng(seed)
    modulation = pd.DataFrame(
        {
            "unit_id": np.repeat(UNITS, len(BEHAVIORS)),
            "behavior": BEHAVIORS * len(UNITS),
            "n_bouts": 4,
            "rate_bout_hz": rng.uniform(5, 20, len(UNITS) * len(BEHAVIORS)),
            "rate_baseline_hz": 5.0,
            "modulation_index": rng.uniform(-1, 1, len(UNITS) * len(BEHAVIORS)),
            "wilcoxon_p": 0.1,
            "wilcoxon_q": 0.2,
            "permutation_p": [0.002, 0.5] * len(UNITS),
            "permutation_q": [0.01, 0.6] * len(UNITS),
        }
    )
    published = publish_table(lake, catalog, USER, modulation, kind="modulation", **place)
    units = pd.DataFrame(
        {
            "unit": modulation["unit_id"],
            "region": modulation["unit_id"].map(REGIONS),
            "behavior": modulation["behavior"],
            "q_value": modulation["permutation_q"],
            "method": "circular-shift permutation, BH FDR",
        }
    )
    catalog.replace_unit_summaries(USER, UnitSummaryRows(published.record.id, units))
    lags = np.arange(-2, 2, 0.05) + 0.025
    rate = rng.uniform(2, 10, (len(BEHAVIORS), len(UNITS), lags.size)).astype(np.float32)
    peth = xr.Dataset(
        {
            "rate_mean": (("behavior", "unit", "lag"), rate),
            "rate_sem": (("behavior", "unit", "lag"), rate / 5),
            "n_events": ("behavior", np.array([4, 4])),
        },
        coords={"behavior": BEHAVIORS, "unit": UNITS, "lag": lags},
        attrs={"schema": "etholake.peth/1"},
    )
    publish_dataset(lake, catalog, USER, peth, kind="peth", **place)


@pytest.fixture(scope="session")
def report_lake(tmp_path_factory) -> JobContext:
    """A lake of two labs and three sessions, each with labels, annotations, bouts, sync and neural results."""
    root = tmp_path_factory.mktemp("report-lake")
    context = JobContext(str(root / "lake"), f"sqlite:///{root / 'catalog.sqlite'}", USER)
    lake = context.lake()
    with Catalog(context.catalog_url) as catalog:
        catalog.add_user(USER)
        for seed, (lab, names) in enumerate(SESSIONS.items()):
            add_sessions(lake, catalog, USER, lab, names, seed=seed)
            for index, name in enumerate(names):
                _publish_session(lake, catalog, SessionKey(lab, "m1", name), 10 * seed + index)
        model = {"model_name": "social", "model_version": 1}
        metrics = {
            b: {"behavior": b, "pooled_f1": 0.7, "pooled_precision": 0.8, "pooled_recall": 0.6, "random_split_f1": 0.9}
            for b in BEHAVIORS
        }
        evaluation = {"behaviors": BEHAVIORS, "group_by": "session", "metrics": metrics, "sessions": ["a", "b", "c"]}
        publish_json(lake, catalog, USER, evaluation, kind="evaluation", lab="alpha", params=model)
        page = root / "report.html"
        page.write_text(_report_html(), encoding="utf-8")
        publish_file(lake, catalog, USER, page, kind="model_report", lab="alpha", params=model)
    return context


@pytest.fixture(scope="session")
def report_site(report_lake, tmp_path_factory) -> Path:
    """The report site of :func:`report_lake`; the path of its index.html."""
    from etholake.report import build_site

    return build_site(report_lake, tmp_path_factory.mktemp("site"))
