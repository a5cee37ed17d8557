"""Job: one session as an NWB file (pose, behavior probabilities and bouts, units) on the neural clock.

Times come from the session's recorded camera frame times when present (so
dropped frames are placed right), mapped through the clock map ``etholake align``
stored, or one fitted here from the session's sync pulses (with a warning) for a
session with units that was not aligned. A session without neural data is written on the video clock
(an identity map, named so in the file's notes). The newest version of each
human label set goes in too. A session without machine annotations is written
without behavior probabilities and model bouts, with a warning.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from etholake.catalog import AssetRecord, SessionKey
from etholake.errors import NotFoundError
from etholake.jobs.context import (
    JobContext,
    newest_asset,
    newest_label_sets,
    open_dataset,
    require_asset,
    require_bouts,
)
from etholake.lake.formats import read_json, read_parquet


def nwb_metadata(session: dict, key: SessionKey) -> tuple[dict, dict]:
    """NWB session and subject fields of a catalog session (1970-01-01 UTC with a warning when its start is unknown)."""
    start = session["start_time"]
    if start is None:
        start = datetime(1970, 1, 1, tzinfo=UTC)
        warnings.warn(
            f"session {key} has no start time in the catalog (the manifest's start_time): writing {start.isoformat()}",
            stacklevel=3,
        )
    session_meta = {
        "session_description": session["protocol"] or f"etholake session {key}",
        "session_start_time": start,
        "identifier": f"{key.lab}-{key.subject}-{key.session}",
        "session_id": key.session,
        "lab": key.lab,
        "protocol": session["protocol"],
    }
    if session["experimenter"]:
        session_meta["experimenter"] = session["experimenter"]
    subject_meta = {
        "subject_id": key.subject,
        "species": session["species"] or "Mus musculus",
        "sex": session["sex"] or "U",
    }
    for name in ("age", "genotype", "strain"):
        if session.get(name):
            subject_meta[name] = session[name]
    if "age" not in subject_meta:
        subject_meta["age"] = "P0D/"
    return {k: v for k, v in session_meta.items() if v is not None}, subject_meta


def _pulses_to_fit(catalog, user: str, key: SessionKey) -> tuple[AssetRecord, AssetRecord]:
    """The camera and neural sync pulses to fit a session's clock map from (NotFoundError saying what is missing)."""
    from etholake.jobs.align import session_pulses

    try:
        return session_pulses(catalog, user, key, True), session_pulses(catalog, user, key, False)
    except NotFoundError as error:
        raise NotFoundError(
            f"session {key} has units but no clock map from the video to their clock, and cannot fit one: {error}"
        ) from None


def export_session_to_nwb(context: JobContext, key: SessionKey, path: str | Path, model: str | None = None) -> Path:
    """Write a session's pose, newest machine annotations, human label sets and units to ``path`` (NWB, DANDI).

    Parameters
    ----------
    context
        Lake, catalog and user.
    key
        The session.
    path
        The ``.nwb`` file to write (its folder is created if missing).
    model
        Export this model's newest annotations. Without it the newest annotations
        of any model are exported, and a session that has none is written without
        behavior (warned).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    NotFoundError
        If the session has no pose, ``model`` is given and the session has no
        annotations by it, or the session has units but neither a clock map (``etholake
        align`` stores one) nor sync pulses on both clocks to fit one from.
    """
    from etholake.neural import ClockMap, export_session_nwb, fit_clock
    from etholake.neural.datasets import units_from_dataset

    key = SessionKey(*key)
    lake = context.lake()
    with context.catalog() as catalog:
        session = catalog.session(context.user, key)
        pose_asset = require_asset(catalog, context.user, key, "pose")
        bouts_asset = (
            require_bouts(catalog, context.user, key, model)
            if model is not None
            else newest_asset(catalog, context.user, key, "bouts")
        )
        annotations_asset = (
            catalog.asset(context.user, next(p for p, role in bouts_asset.parents.items() if role == "annotations"))
            if bouts_asset
            else None
        )
        clock_assets = catalog.assets(context.user, kind="clock_map", session=key)
        frame_assets = catalog.assets(context.user, kind="frame_times", session=key)
        units_assets = catalog.assets(context.user, kind="units", session=key)
        label_assets = list(newest_label_sets(catalog, context.user, key).values())
        pulse_assets = _pulses_to_fit(catalog, context.user, key) if units_assets and not clock_assets else None
    pose = open_dataset(context, pose_asset).load()
    annotations, bouts = None, None
    if annotations_asset is None:
        warnings.warn(
            f"session {key} has no machine annotations: the NWB file holds no behavior probabilities or model "
            "bouts (etholake infer --model MODEL adds them)",
            stacklevel=2,
        )
    else:
        annotations = open_dataset(context, annotations_asset).load()
        bouts = read_parquet(lake.fs, lake.path(bouts_asset.uri))
    fps = float(session["fps"] or pose.attrs.get("fps") or 30.0)
    frame_times = open_dataset(context, frame_assets[0])["times"].values if frame_assets else None
    label_sets = []
    for asset in label_assets:
        labels = open_dataset(context, asset).load()
        frames = labels["frame"].values
        label_sets.append(labels.assign_coords(time=frames / fps if frame_times is None else frame_times[frames]))
    if frame_times is not None:
        pose = pose.assign_coords(time=frame_times[pose["frame"].values])
    if frame_times is not None and annotations is not None:
        annotations = annotations.assign_coords(time=frame_times[annotations["frame"].values])
        bouts = bouts.assign(
            start_time=frame_times[bouts["start_frame"].to_numpy()],
            stop_time=frame_times[bouts["stop_frame"].to_numpy()] + 1.0 / fps,
        )
    if clock_assets:
        clock = ClockMap.from_dict(read_json(lake.fs, lake.path(clock_assets[0].uri)))
    elif pulse_assets is not None:
        camera, neural = (open_dataset(context, asset)["times"].values for asset in pulse_assets)
        clock = fit_clock(camera, neural, strict=True)
        warnings.warn(
            f"session {key} has no stored clock map (`etholake align` stores one): fitted one from its sync "
            f"pulses ({clock.drift_ppm:+.1f} ppm, {clock.matched_fraction:.1%} of pulses matched)",
            stacklevel=2,
        )
    else:
        times = pose["time"].values
        clock = ClockMap(
            1.0,
            0.0,
            0.0,
            1.0,
            (float(np.nanmin(times)), float(np.nanmax(times))),
            source_clock="video",
            target_clock="video",
        )
    probabilities = None
    if annotations is not None:
        probabilities = annotations["probability"]
        probabilities.attrs = {
            "model_name": annotations.attrs.get("model_name"),
            "model_version": annotations.attrs.get("model_version"),
        }
    units = None
    if units_assets:
        units = replace(units_from_dataset(open_dataset(context, units_assets[0]).load()), clock=clock.target_clock)
    session_meta, subject_meta = nwb_metadata(session, key)
    return export_session_nwb(
        path,
        pose=pose,
        probabilities=probabilities,
        bouts=bouts,
        clock_map=clock,
        session_meta=session_meta,
        subject_meta=subject_meta,
        units=units,
        label_sets=label_sets,
    )
