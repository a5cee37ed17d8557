"""Exports of a session's current assets to the field's formats (pose files, SimBA and BORIS tables)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.catalog import SessionKey
from etholake.errors import EtholakeError
from etholake.jobs.context import JobContext, open_dataset, require_asset, require_bouts
from etholake.lake.formats import read_parquet
from etholake.output_files import output_path, write_table

ANNOTATION_FORMATS = ("simba", "simba-summary", "simba-bouts", "boris", "bouts-csv")


def export_session_pose(context: JobContext, key: SessionKey, path: str | Path, format: str) -> Path:
    """Write the session's newest pose asset as DeepLabCut, SLEAP, NWB or movement netCDF.

    An NWB file gets the session's start time, protocol and subject from the catalog.
    """
    from etholake.io.export import export_pose
    from etholake.jobs.nwb import nwb_metadata

    key = SessionKey(*key)
    with context.catalog() as catalog:
        asset = require_asset(catalog, context.user, key, "pose")
        session = catalog.session(context.user, key)
    pose = open_dataset(context, asset).load()
    if format != "nwb":
        return export_pose(pose, path, format)
    session_meta, subject = nwb_metadata(session, key)
    return export_pose(
        pose,
        path,
        format,
        session_start_time=session_meta["session_start_time"],
        session_description=session_meta["session_description"],
        subject=subject,
    )


def _current_bouts(context: JobContext, key: SessionKey, model: str | None):
    with context.catalog() as catalog:
        bouts_asset = require_bouts(catalog, context.user, key, model)
        annotations_id = next(p for p, role in bouts_asset.parents.items() if role == "annotations")
        annotations = catalog.asset(context.user, annotations_id)
        pose = require_asset(catalog, context.user, key, "pose")
    lake = context.lake()
    return read_parquet(lake.fs, lake.path(bouts_asset.uri)), open_dataset(context, annotations).load(), pose


def export_session_annotations(
    context: JobContext, key: SessionKey, path: str | Path, format: str, model: str | None = None
) -> Path:
    """Write a session's newest machine annotations for another tool.

    Parameters
    ----------
    format
        ``simba`` (machine_results CSV), ``simba-summary`` (descriptive statistics),
        ``simba-bouts`` (detailed bout table), ``boris`` (BORIS tabular events) or
        ``bouts-csv`` (etholake's bouts table); tab-separated in a ``.tsv`` file.
    model
        Which model's annotations (default: the newest of any model).
    """
    from etholake.inference import exports

    if format not in ANNOTATION_FORMATS:
        raise EtholakeError(f"unknown annotations export format {format!r}; known: {', '.join(ANNOTATION_FORMATS)}")
    key = SessionKey(*key)
    bouts, annotations, pose_asset = _current_bouts(context, key, model)
    behaviors = [str(b) for b in annotations["behavior"].values]
    times = np.asarray(annotations["time"].values, dtype=float)
    fps = float(annotations.attrs.get("fps") or 0.0)
    duration = float(times[-1] - times[0] + 1.0 / fps) if times.size and fps else 0.0
    path = output_path(path)
    if format == "simba":
        table = exports.simba_machine_results(open_dataset(context, pose_asset).load(), annotations)
        write_table(table, path, index=True)
        return path
    tables: dict[str, pd.DataFrame] = {
        "simba-summary": lambda: exports.simba_data_summary(bouts, behaviors, key.session, duration),
        "simba-bouts": lambda: exports.simba_detailed_bouts(bouts, key.session),
        "boris": lambda: exports.boris_events(
            bouts, observation=key.session, media_file=f"{key.session}.mp4", fps=fps, media_duration_s=duration
        ),
        "bouts-csv": lambda: exports.bouts_table(bouts),
    }
    write_table(tables[format](), path)
    return path
