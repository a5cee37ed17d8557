"""Job: behavior-neural alignment of one session.

Inputs from the lake: sync pulses on the camera clock and on the neural clock,
camera frame times (when recorded, so dropped frames are placed right), spike
units, and the session's machine bouts. Steps: fit the camera-to-neural clock
map (:func:`etholake.neural.fit_clock`, QC stored with it; a map that fails its
QC fails the session, rather than giving statistics on misplaced bouts), put
every bout edge on the neural clock, count spikes per bout, test every unit x
behavior within the part of the session both filmed and recorded (paired
Wilcoxon and circular-shift permutation, Benjamini-Hochberg q-values) and make
onset PETHs. Outputs, committed in one transaction: the clock map (JSON), the
aligned bout x unit table and the modulation table (Parquet), the PETHs (Zarr)
and the unit summaries in the catalog.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from etholake.catalog import AssetRecord, SessionKey, UnitSummaryRows
from etholake.errors import DuplicateAssetError, NotFoundError
from etholake.jobs.context import JobContext, open_dataset, require_asset, require_bouts
from etholake.lake import commit, stage_dataset, stage_json, stage_table
from etholake.lake.formats import read_parquet
from etholake.notes import warning_notes

PETH_WINDOW_S = (-2.0, 2.0)
PETH_BIN_S = 0.05


@dataclass(frozen=True)
class AlignOutcome:
    """What :func:`session_alignment` did for one session."""

    session: SessionKey
    modulation_id: str
    computed: bool
    drift_ppm: float
    matched_fraction: float
    units: int
    modulated: int
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def session_pulses(catalog, user: str, key: SessionKey, clock_is_camera: bool) -> AssetRecord:
    """The session's sync pulses on the camera clock, or on the neural clock (NotFoundError when it has none)."""
    candidates = [
        a
        for a in catalog.assets(user, kind="pulses", session=key)
        if (a.params["identity"].split(":")[1] == "camera") == clock_is_camera
    ]
    if not candidates:
        side = "camera" if clock_is_camera else "neural"
        raise NotFoundError(f"session {key} has no sync pulses on the {side} clock")
    return candidates[0]


def _camera_bouts(bouts: pd.DataFrame, frame_times: np.ndarray | None, fps: float) -> pd.DataFrame:
    """Bout edges on the camera clock: from the recorded frame times when present (dropped frames)."""
    if frame_times is None:
        return bouts
    placed = bouts.copy()
    placed["start_time"] = frame_times[placed["start_frame"].to_numpy()]
    placed["stop_time"] = frame_times[placed["stop_frame"].to_numpy()] + 1.0 / fps
    placed["duration"] = placed["stop_time"] - placed["start_time"]
    return placed


def _video_span(frame_times: np.ndarray | None, n_frames: int, fps: float) -> tuple[float, float]:
    """Start of the first and end of the last annotated frame, on the camera clock."""
    if frame_times is None or not frame_times.size:
        return 0.0, n_frames / fps
    last = min(n_frames, frame_times.size) - 1
    return float(frame_times[0]), float(frame_times[last]) + 1.0 / fps


def scored_window(clock, video_span: tuple[float, float], spike_times: np.ndarray) -> tuple[float, float]:
    """The part of the session that was both filmed (and so scored) and recorded, on the neural clock.

    The baseline of the modulation tests and their circular shifts stay inside
    it: time the camera did not see holds no behavior, only baseline that is not.

    Parameters
    ----------
    clock
        The camera-to-neural :class:`~etholake.neural.ClockMap`.
    video_span
        (start, stop) of the video on the camera clock.
    spike_times
        Every spike time on the neural clock (their range stands for the recording's).
    """
    start, stop = (float(t) for t in clock(np.asarray(video_span, dtype=np.float64)))
    if spike_times.size:
        start, stop = max(start, float(spike_times.min())), min(stop, float(spike_times.max()))
    return start, max(start, stop)


def _peths(units, aligned: pd.DataFrame, behaviors: list[str], session_range: tuple[float, float]) -> xr.Dataset:
    from etholake.neural import peth

    means, sems, counts = [], [], []
    for behavior in behaviors:
        onsets = aligned.loc[aligned["behavior"] == behavior, "start"].to_numpy()
        result = peth(
            units, onsets, window=PETH_WINDOW_S, bin_size=PETH_BIN_S, event_name=behavior, recording_range=session_range
        )
        means.append(result["rate_mean"])
        sems.append(result["rate_sem"])
        counts.append(int(result["n_events"]))
    dataset = xr.Dataset(
        {
            "rate_mean": xr.concat(means, dim="behavior").astype(np.float32),
            "rate_sem": xr.concat(sems, dim="behavior").astype(np.float32),
            "n_events": ("behavior", np.array(counts, dtype=np.int64)),
        },
        coords={"behavior": np.array(behaviors, dtype=object)},
        attrs={
            "schema": "etholake.peth/1",
            "window_s": list(PETH_WINDOW_S),
            "bin_s": PETH_BIN_S,
            "event": "bout onset",
            "clock": "neural",
        },
    )
    return dataset.rename({"time": "lag"}) if "time" in dataset.dims else dataset


def _with_regions(modulation: pd.DataFrame, units) -> pd.DataFrame:
    """The modulation table with each unit's ``region`` (its location; None where the file gives none)."""
    location = units.metadata["location"] if "location" in units.metadata.columns else pd.Series(dtype=object)
    regions = [str(location.get(u, "") or "") or None for u in modulation["unit_id"]]
    return modulation.assign(region=regions)[["unit_id", "region", *modulation.columns.drop("unit_id")]]


def _unit_rows(modulation: pd.DataFrame) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "unit": modulation["unit_id"].astype(str),
            "region": modulation["region"],
            "behavior": modulation["behavior"].astype(str),
            "rate_in_hz": modulation["rate_bout_hz"],
            "rate_out_hz": modulation["rate_baseline_hz"],
            "modulation_index": modulation["modulation_index"],
            "p_value": modulation["permutation_p"],
            "q_value": modulation["permutation_q"],
            "method": "circular-shift permutation, BH FDR",
        }
    )
    rows["params"] = [
        {"wilcoxon_p": _float(w), "wilcoxon_q": _float(q), "n_bouts": int(n)}
        for w, q, n in zip(modulation["wilcoxon_p"], modulation["wilcoxon_q"], modulation["n_bouts"])
    ]
    return rows


def _float(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def session_alignment(
    context: JobContext,
    key: SessionKey,
    model_name: str | None = None,
    n_shifts: int = 1000,
    max_lag: float | None = None,
) -> AlignOutcome:
    """Align a session's machine bouts to its units and test modulation, unless done already.

    Parameters
    ----------
    context
        Lake, catalog and user.
    key
        The session (it needs pulses on both clocks, units and machine bouts).
    model_name
        Whose bouts (default: the newest bouts of any model).
    n_shifts
        Circular shifts of the permutation test.
    max_lag
        Largest lag between the clocks (s) the clock fit may find: below half the period
        of periodic sync pulses, which align at every whole period otherwise.

    Returns
    -------
    AlignOutcome
    """
    from etholake.neural import align_bouts, bout_spike_table, fit_clock, modulation_tests
    from etholake.neural.datasets import units_from_dataset

    started = time.perf_counter()
    key = SessionKey(*key)
    lake = context.lake()
    with context.catalog() as catalog:
        units_asset = require_asset(catalog, context.user, key, "units")
        camera_pulses = session_pulses(catalog, context.user, key, clock_is_camera=True)
        neural_pulses = session_pulses(catalog, context.user, key, clock_is_camera=False)
        bouts_asset = require_bouts(catalog, context.user, key, model_name)
        frame_assets = catalog.assets(context.user, kind="frame_times", session=key)
        inputs = [bouts_asset, units_asset, camera_pulses, neural_pulses, *frame_assets[:1]]
        unique_key = "modulation:" + ":".join(a.id for a in inputs) + f":{n_shifts}"
        if max_lag is not None:
            unique_key += f":max_lag={max_lag:g}"
        existing = catalog.asset_by_key(context.user, unique_key)
        if existing is not None:
            return AlignOutcome(
                key,
                existing.id,
                False,
                existing.params["drift_ppm"],
                existing.params["matched_fraction"],
                existing.params["units"],
                existing.params["modulated"],
            )
        session_row = catalog.session(context.user, key)
        fps = float(session_row["fps"] or bouts_asset.params.get("fps") or 30.0)
        bouts = read_parquet(lake.fs, lake.path(bouts_asset.uri))
        frame_times = open_dataset(context, frame_assets[0])["times"].values if frame_assets else None
        units = units_from_dataset(open_dataset(context, units_asset).load())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clock = fit_clock(
                open_dataset(context, camera_pulses)["times"].values,
                open_dataset(context, neural_pulses)["times"].values,
                max_lag=max_lag,
                strict=True,
            )
            aligned = align_bouts(_camera_bouts(bouts, frame_times, fps), clock)
            recording = scored_window(
                clock, _video_span(frame_times, int(bouts_asset.params["frames"]), fps), units.spike_times
            )
            modulation = _with_regions(modulation_tests(units, aligned, session=recording, n_shifts=n_shifts), units)
            spikes = bout_spike_table(units, aligned, recording=recording)
            behaviors = sorted(aligned["behavior"].astype(str).unique())
            peths = _peths(units, aligned, behaviors, recording) if behaviors else None
        notes = warning_notes(caught)
        summary_rows = _unit_rows(modulation)
        modulated = int((summary_rows["q_value"] < 0.05).sum())
        clock_document = {**clock.to_dict(), "notes": notes}
        params = {
            "drift_ppm": float(clock.drift_ppm),
            "matched_fraction": float(clock.matched_fraction),
            "units": int(units.n_units),
            "modulated": modulated,
            "n_shifts": n_shifts,
            "max_lag": max_lag,
            "bouts_asset": bouts_asset.id,
            "model_name": bouts_asset.params.get("model_name"),
            "model_version": bouts_asset.params.get("model_version"),
        }
        parents = {a.id: a.kind for a in inputs}
        staged_clock = stage_json(
            lake,
            clock_document,
            kind="clock_map",
            lab=key.lab,
            session=key,
            schema="etholake.clock_map/1",
            parents={camera_pulses.id: "camera_pulses", neural_pulses.id: "neural_pulses"},
            params={k: params[k] for k in ("drift_ppm", "matched_fraction")},
        )
        parents[staged_clock.id] = "clock_map"
        staged = [staged_clock]
        staged.append(
            stage_table(
                lake,
                spikes,
                kind="aligned_bouts",
                lab=key.lab,
                session=key,
                schema="etholake.aligned_bouts/1",
                parents=parents,
                params=params,
            )
        )
        if peths is not None:
            staged.append(
                stage_dataset(lake, peths, kind="peth", lab=key.lab, session=key, parents=parents, params=params)
            )
        staged_modulation = stage_table(
            lake,
            modulation,
            kind="modulation",
            lab=key.lab,
            session=key,
            schema="etholake.modulation/1",
            parents=parents,
            params=params,
            unique_key=unique_key,
        )
        staged.append(staged_modulation)
        try:
            commit(
                lake,
                catalog,
                context.user,
                staged,
                unit_summaries=[UnitSummaryRows(staged_modulation.id, summary_rows)],
            )
        except DuplicateAssetError:
            return session_alignment(context, key, model_name, n_shifts, max_lag)
    return AlignOutcome(
        key,
        staged_modulation.id,
        True,
        float(clock.drift_ppm),
        float(clock.matched_fraction),
        int(units.n_units),
        modulated,
        notes,
        time.perf_counter() - started,
    )
