"""Read what the report site shows from the catalog and the lake, as plain tables and arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from etholake.catalog import AssetRecord, Catalog, SessionKey
from etholake.jobs.context import JobContext, open_dataset
from etholake.lake.formats import read_json, read_parquet

MIN_MATCHED_FRACTION = 0.95
MAX_DRIFT_PPM = 200.0
MODEL_KINDS = ("evaluation", "model_report")


@dataclass(frozen=True)
class Inventory:
    """Everything in the catalog the site summarises, restricted to what the user may see.

    ``assets`` holds session and lab-wide assets alike, newest first.
    """

    user: str
    lab: str | None
    sessions: pd.DataFrame
    assets: list[AssetRecord]
    models: pd.DataFrame
    behavior_summaries: pd.DataFrame
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def session_keys(self) -> list[SessionKey]:
        """The sessions, ordered by lab, subject and name."""
        return [SessionKey(r.lab, r.subject, r.session) for r in self.sessions.itertuples()]

    def of_kind(self, kind: str, session: SessionKey | None = None) -> list[AssetRecord]:
        """Assets of ``kind`` (of one session when given), newest first."""
        return [a for a in self.assets if a.kind == kind and (session is None or a.session == session)]

    def newest(self, kind: str, session: SessionKey) -> AssetRecord | None:
        """The newest asset of ``kind`` in ``session``, or None."""
        found = self.of_kind(kind, session)
        return found[0] if found else None

    def asset_counts(self) -> pd.DataFrame:
        """Assets per kind and lab (columns: kind, one per lab, total)."""
        if not self.assets:
            return pd.DataFrame(columns=["kind", "total"])
        frame = pd.DataFrame({"kind": [a.kind for a in self.assets], "lab": [a.lab for a in self.assets]})
        counts = pd.crosstab(frame["kind"], frame["lab"])
        counts["total"] = counts.sum(axis=1)
        return counts.reset_index().rename_axis(columns=None)


def collect_inventory(catalog: Catalog, user: str, lab: str | None = None) -> Inventory:
    """Sessions, assets, models and behavior summaries visible to ``user`` (of one lab when given).

    With a lab, models are those the lab owns or whose annotations its sessions hold, with their
    evaluations and model reports wherever they are kept.
    """
    sessions = catalog.sessions(user, lab=lab)
    assets = catalog.assets(user, lab=lab)
    models = catalog.models(user)
    summaries = catalog.behavior_summaries(user)
    if lab is not None:
        used = {(a.params.get("model_name"), a.params.get("model_version")) for a in assets if a.kind == "annotations"}
        keep = (models["lab"] == lab) | pd.Series(
            [(n, v) in used for n, v in zip(models["name"], models["version"], strict=True)], index=models.index
        )
        models = models[keep]
        summaries = summaries[summaries["lab"] == lab]
        kept = {(n, str(v)) for n, v in used} | {
            (n, str(v)) for n, v in zip(models["name"], models["version"], strict=True)
        }
        assets += [
            a
            for kind in MODEL_KINDS
            for a in catalog.assets(user, kind=kind)
            if a.lab != lab and (a.params.get("model_name"), str(a.params.get("model_version"))) in kept
        ]
    return Inventory(user, lab, sessions, assets, models.reset_index(drop=True), summaries.reset_index(drop=True))


def read_table(context: JobContext, asset: AssetRecord) -> pd.DataFrame:
    """A Parquet asset as a DataFrame."""
    lake = context.lake()
    return read_parquet(lake.fs, lake.path(asset.uri))


def read_document(context: JobContext, asset: AssetRecord) -> Any:
    """A JSON asset."""
    lake = context.lake()
    return read_json(lake.fs, lake.path(asset.uri))


def read_text(context: JobContext, asset: AssetRecord) -> str:
    """A text file asset (an HTML model report) as a string."""
    lake = context.lake()
    with lake.fs.open(lake.path(asset.uri), "r", encoding="utf-8") as handle:
        return handle.read()


@dataclass(frozen=True)
class EthogramTracks:
    """Stacked raster rows of one session: 1 present, 0 absent, -1 not scored, per frame.

    ``rows`` name each track (``behavior``, ``source``); ``states`` is (row, frame).
    """

    rows: list[tuple[str, str]]
    states: np.ndarray
    fps: float


def _frame_states(ds: xr.Dataset, variable: str, behavior: str, n_frames: int) -> np.ndarray:
    states = np.full(n_frames, -1, dtype=np.int8)
    frames = ds["frame"].values.astype(np.int64)
    inside = (frames >= 0) & (frames < n_frames)
    states[frames[inside]] = ds[variable].sel(behavior=behavior).values.astype(np.int8)[inside]
    return states


def ethogram_tracks(context: JobContext, labels: list[AssetRecord], annotations: AssetRecord | None) -> EthogramTracks:
    """Human label sets and model predictions of one session on a common frame axis.

    For each behavior, one row per label set (``annotator:label_set``) that scored it, then the model's row.
    """
    sources: list[tuple[str, xr.Dataset, str]] = []
    for asset in sorted(labels, key=lambda a: str(a.params.get("identity", a.id))):
        sources.append((str(asset.params.get("identity", asset.id)), open_dataset(context, asset).load(), "label"))
    if annotations is not None:
        name = f"model {annotations.params.get('model_name', '')} v{annotations.params.get('model_version', '')}"
        sources.append((name, open_dataset(context, annotations)[["predicted"]].load(), "predicted"))
    if not sources:
        return EthogramTracks([], np.zeros((0, 0), dtype=np.int8), 1.0)
    n_frames = max(int(ds["frame"].values.max()) + 1 for _, ds, _ in sources)
    behaviors = list(dict.fromkeys(str(b) for _, ds, _ in sources for b in ds["behavior"].values))
    rows, states = [], []
    for behavior in behaviors:
        for name, ds, variable in sources:
            if behavior in ds["behavior"].values:
                rows.append((behavior, name))
                states.append(_frame_states(ds, variable, behavior, n_frames))
    fps = float(sources[0][1].attrs.get("fps") or 1.0)
    return EthogramTracks(rows, np.stack(states), fps)


def read_peth(context: JobContext, asset: AssetRecord) -> xr.Dataset:
    """A PETH asset, loaded: rate_mean and rate_sem (behavior, unit, lag), n_events (behavior)."""
    return open_dataset(context, asset).load()


def sync_row(key: SessionKey, clock_map: dict[str, Any]) -> dict[str, Any]:
    """One session's clock-sync QC figures and their pass/fail against the QC limits.

    The limits are the ones recorded with the clock map, else 95 % matched pulses and 200 ppm drift.
    """
    qc = clock_map.get("qc") or {}
    min_fraction = float(qc.get("min_matched_fraction", MIN_MATCHED_FRACTION))
    max_drift = float(qc.get("max_drift_ppm", MAX_DRIFT_PPM))
    drift = float(clock_map.get("drift_ppm", np.nan))
    fraction = float(clock_map.get("matched_fraction", np.nan))
    residual = float(clock_map.get("residual_sd", qc.get("residual_sd_s", np.nan)))
    return {
        "lab": key.lab,
        "subject": key.subject,
        "session": key.session,
        "clocks": f"{clock_map.get('source_clock', '?')} -> {clock_map.get('target_clock', '?')}",
        "drift_ppm": drift,
        "residual_sd_ms": residual * 1e3,
        "matched_fraction": fraction,
        "matched_pulses": qc.get("n_matched"),
        "drift_ok": bool(abs(drift) <= max_drift),
        "matched_ok": bool(fraction >= min_fraction),
        "passed": bool(abs(drift) <= max_drift and fraction >= min_fraction),
        "max_drift_ppm": max_drift,
        "min_matched_fraction": min_fraction,
        "notes": "; ".join(clock_map.get("notes") or []),
    }
