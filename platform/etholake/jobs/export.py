"""Exports of a session's current assets to the field's formats (pose files, label and annotation tables)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from etholake.catalog import AssetRecord, SessionKey
from etholake.errors import EtholakeError, NotFoundError
from etholake.jobs.context import JobContext, newest_label_sets, open_dataset, require_asset, require_bouts
from etholake.lake.formats import read_parquet
from etholake.output_files import output_path, write_table
from etholake.schema.labels import NOT_SCORED

ANNOTATION_FORMATS = ("simba", "simba-summary", "simba-bouts", "boris", "bouts-csv")
LABEL_FORMATS = ("frame-csv", "interval-csv", "boris")


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


def export_session_labels(
    context: JobContext, key: SessionKey, path: str | Path, format: str = "frame-csv", label_set: str | None = None
) -> Path:
    """Write the newest version of one of a session's human label sets for another tool.

    Parameters
    ----------
    format
        ``frame-csv`` (1 / 0 / -1 per frame and behavior: keeps everything),
        ``interval-csv`` (one row per bout) or ``boris`` (BORIS tabular events);
        tab-separated in a ``.tsv`` file. The last two have no "not scored": a
        label set with unscored frames is written with a warning that they read
        back as absent.
    label_set
        Which label set, as ``annotator:label_set``; needed when the session has several.

    Raises
    ------
    NotFoundError
        If the session has no label set, or none named ``label_set`` (the message lists them).
    """
    from etholake.io.labels.tables import boris_table, frame_csv_table, interval_csv_table

    if format not in LABEL_FORMATS:
        raise EtholakeError(f"unknown labels export format {format!r}; known: {', '.join(LABEL_FORMATS)}")
    key = SessionKey(*key)
    with context.catalog() as catalog:
        label_sets = newest_label_sets(catalog, context.user, key)
        if not label_sets:
            catalog.session(context.user, key)
    asset = _chosen_label_set(key, label_sets, label_set)
    labels = open_dataset(context, asset).load()
    unscored = int(np.any(labels["label"].to_numpy() == NOT_SCORED, axis=1).sum())
    if unscored and format != "frame-csv":
        warnings.warn(
            f"{unscored:,} frame(s) of label set {asset.params['identity']} are not scored for some behavior; "
            f"{format} has no 'not scored', so they read back as absent (frame-csv keeps them)",
            stacklevel=2,
        )
    tables = {
        "frame-csv": lambda: frame_csv_table(labels),
        "interval-csv": lambda: interval_csv_table(labels),
        "boris": lambda: boris_table(labels, observation=key.session, media_file=f"{key.session}.mp4"),
    }
    path = output_path(path)
    write_table(tables[format](), path)
    return path


def _chosen_label_set(key: SessionKey, label_sets: dict[str, AssetRecord], wanted: str | None) -> AssetRecord:
    if not label_sets:
        raise NotFoundError(f"session {key} has no human label set")
    if wanted is None and len(label_sets) == 1:
        return next(iter(label_sets.values()))
    if wanted in label_sets:
        return label_sets[wanted]
    problem = f"has no label set {wanted!r}" if wanted else "has several label sets: choose one with --label-set"
    raise NotFoundError(f"session {key} {problem}; its label sets are {', '.join(label_sets)}")
