"""Export of one session to NWB: pose, behavior probabilities and bouts on the neural clock.

Layout: ``processing/behavior`` holds one ndx-pose ``PoseEstimation`` per individual
(``PoseEstimation`` alone for one individual, else ``PoseEstimation_<individual>``) with
a ``Skeletons`` container, and a ``BehavioralTimeSeries`` named
``behavior_probabilities`` holding one ``TimeSeries`` per behavior, named by the
behavior. ``intervals/bouts_<behavior>`` is one ``TimeIntervals`` table per behavior that has bouts
(columns ``score``, ``model_version``, ``annotator``, frames and probabilities).
``intervals/labels_<annotator>_<label set>`` (characters other than letters, digits,
``.``, ``_`` and ``-`` written ``_``) is one ``TimeIntervals`` table per human
label set: its runs of frames labelled present (``state`` ``present``) and of frames
not scored (``state`` ``not scored``) per behavior, so that the frames in neither were
scored absent. All timestamps are on the neural clock (the video-clock times passed
through the clock map); the clock map itself is stored as JSON in the file's ``notes``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from etholake.errors import SchemaError
from etholake.io.export.nwb import series_timing, shared_timing
from etholake.io.labels.tables import label_runs
from etholake.names import validate_name
from etholake.neural.clock import ClockMap
from etholake.neural.containers import Units
from etholake.neural.fixups import warn_fixup
from etholake.output_files import output_path
from etholake.schema.pose import validate_pose

PROBABILITY_CONTAINER = "behavior_probabilities"
BOUT_TABLE_PREFIX = "bouts_"
LABEL_TABLE_PREFIX = "labels_"
UNIT_NAMES = {"px": "pixels", "mm": "millimeters"}
SESSION_FIELDS = (
    "session_description",
    "identifier",
    "session_start_time",
    "session_id",
    "experimenter",
    "institution",
    "lab",
    "keywords",
    "protocol",
    "experiment_description",
    "related_publications",
    "data_collection",
)
SUBJECT_FIELDS = (
    "subject_id",
    "species",
    "sex",
    "age",
    "date_of_birth",
    "genotype",
    "strain",
    "description",
    "weight",
    "age__reference",
)


def export_session_nwb(
    path: str | Path,
    *,
    pose: xr.Dataset,
    probabilities: xr.DataArray | None,
    bouts: pd.DataFrame | None,
    clock_map: ClockMap,
    session_meta: dict,
    subject_meta: dict,
    units: Units | None = None,
    label_sets: Sequence[xr.Dataset] = (),
) -> Path:
    """Write one session's behavior (and optionally units) to an NWB file.

    Parameters
    ----------
    path
        Output ``.nwb`` file (overwritten).
    pose
        Canonical pose dataset (``time`` on the video clock).
    probabilities
        (time, behavior) float32 with attrs ``model_name`` and ``model_version``; ``time``
        on the video clock. None: the file holds no behavior (nor bouts).
    bouts
        Columns behavior, start_frame, stop_frame, start_time, stop_time (video clock),
        duration, mean_probability, max_probability; optional ``score`` (defaults to
        ``mean_probability``) and ``annotator`` (defaults to ``model:<model_name>``).
        Needed with ``probabilities``.
    clock_map
        Video-to-neural clock map; every timestamp written is ``clock_map(video time)``.
    session_meta
        ``session_description``, ``session_start_time`` (timezone-aware datetime or ISO
        string) and optional ``identifier``, ``session_id``, ``experimenter``,
        ``institution``, ``lab``, ``keywords``, ``protocol``, ...
    subject_meta
        ``subject_id``, ``species`` (Latin binomial), ``sex`` (M/F/U/O), ``age`` (ISO 8601
        duration, e.g. ``"P90D"``) or ``date_of_birth``, optional ``genotype``, ``strain``, ...
    units
        Spike-sorted units on the neural clock.
    label_sets
        Canonical human label sets (``time`` on the video clock), one table each.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.behavior import BehavioralTimeSeries
    from pynwb.epoch import TimeIntervals
    from pynwb.file import Subject

    validate_pose(pose)
    if probabilities is not None and bouts is None:
        raise SchemaError("probabilities were given without their bouts")
    behaviors = [] if probabilities is None else [str(b) for b in probabilities["behavior"].to_numpy()]
    behaviors = [validate_name(behavior, "behavior") for behavior in behaviors]
    session = {k: v for k, v in session_meta.items() if k in SESSION_FIELDS}
    if "session_description" not in session or "session_start_time" not in session:
        raise SchemaError("session_meta needs session_description and session_start_time")
    start = session["session_start_time"]
    session["session_start_time"] = datetime.fromisoformat(start) if isinstance(start, str) else start
    if session["session_start_time"].tzinfo is None:
        raise SchemaError("session_start_time must carry a time zone")
    session.setdefault("identifier", str(uuid.uuid4()))
    if isinstance(session.get("experimenter"), str):
        session["experimenter"] = [session["experimenter"]]
    session["notes"] = "etholake clock map (video -> neural): " + json.dumps(clock_map.to_dict())
    nwbfile = NWBFile(**session)
    nwbfile.subject = Subject(**{k: v for k, v in subject_meta.items() if k in SUBJECT_FIELDS})

    behavior_module = nwbfile.create_processing_module(
        name="behavior", description="pose, behavior probabilities and bouts on the neural clock (etholake)"
    )
    for interface in _pose_estimations(pose, clock_map, nwbfile.subject):
        behavior_module.add(interface)
    if probabilities is not None:
        behavior_module.add(_probability_series(probabilities, behaviors, clock_map, BehavioralTimeSeries))
        scored = set(bouts["behavior"].astype(str))
        for behavior in [b for b in behaviors if b in scored]:
            nwbfile.add_time_intervals(_bout_table(bouts, behavior, probabilities.attrs, clock_map, TimeIntervals))
    for labels in label_sets:
        nwbfile.add_time_intervals(_label_table(labels, clock_map, TimeIntervals))
    if units is not None:
        _add_units(nwbfile, units)
    path = output_path(path)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _neural_times(times: np.ndarray, clock_map: ClockMap, what: str) -> np.ndarray:
    times = np.asarray(times, dtype=np.float64)
    if not np.all(np.isfinite(times)):
        raise SchemaError(f"{what}: time coordinate has NaN (frame rate unknown?); cannot place it on the neural clock")
    mapped = clock_map(times)
    if np.any(np.diff(mapped) <= 0):
        raise SchemaError(f"{what}: times are not strictly increasing")
    return mapped


def _pose_estimations(pose: xr.Dataset, clock_map: ClockMap, subject) -> list:
    from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons

    timing = series_timing(_neural_times(pose["time"].to_numpy(), clock_map, "pose"))
    individuals = [str(i) for i in pose["individual"].to_numpy()]
    keypoints = [str(k) for k in pose["keypoint"].to_numpy()]
    space = [str(s) for s in pose["space"].to_numpy()]
    unit = UNIT_NAMES.get(pose.attrs.get("units", "px"), str(pose.attrs.get("units")))
    skeletons, estimations = [], []
    for individual in individuals:
        suffix = "" if len(individuals) == 1 else f"_{individual}"
        skeleton = Skeleton(
            name=f"skeleton{suffix}",
            nodes=keypoints,
            edges=np.zeros((0, 2), dtype=np.uint8),
            subject=subject if len(individuals) == 1 else None,
        )
        skeletons.append(skeleton)
        series = []
        for keypoint in keypoints:
            position = pose["position"].sel(individual=individual, keypoint=keypoint).transpose("time", "space")
            confidence = pose["confidence"].sel(individual=individual, keypoint=keypoint).to_numpy()
            has_confidence = bool(np.isfinite(confidence).any())
            item = PoseEstimationSeries(
                name=keypoint,
                description=f"position of {keypoint} of {individual}",
                data=position.to_numpy().astype(np.float32),
                unit=unit,
                reference_frame=f"image origin at the top-left corner, axes {', '.join(space)} in {unit}",
                **shared_timing(timing, series[0] if series else None),
                confidence=confidence.astype(np.float32) if has_confidence else None,
                confidence_definition=str(pose.attrs.get("confidence_kind", "")) if has_confidence else None,
            )
            series.append(item)
        estimations.append(
            PoseEstimation(
                name=f"PoseEstimation{suffix}",
                pose_estimation_series=series,
                description=f"pose of {individual} from {pose.attrs.get('source_software', 'unknown')}, "
                f"timestamps on the neural clock",
                source_software=str(pose.attrs.get("source_software", "unknown")),
                skeleton=skeleton,
            )
        )
    return [Skeletons(skeletons=skeletons), *estimations]


def _probability_series(probabilities: xr.DataArray, behaviors: list[str], clock_map: ClockMap, container_type):
    from pynwb import TimeSeries

    timing = series_timing(_neural_times(probabilities["time"].to_numpy(), clock_map, "probabilities"))
    model = (
        f"{probabilities.attrs.get('model_name', 'unknown')} version {probabilities.attrs.get('model_version', '?')}"
    )
    values = probabilities.transpose("time", "behavior").to_numpy().astype(np.float32)
    series = []
    for column, behavior in enumerate(behaviors):
        item = TimeSeries(
            name=behavior,
            data=values[:, column],
            unit="n.a.",
            **shared_timing(timing, series[0] if series else None),
            description=f"probability of behavior {behavior!r} per video frame from model {model}",
            comments="values are probabilities between 0 and 1",
        )
        series.append(item)
    return container_type(name=PROBABILITY_CONTAINER, time_series=series)


def _bout_table(bouts: pd.DataFrame, behavior: str, attrs: dict, clock_map: ClockMap, table_type):
    chosen = bouts[bouts["behavior"].astype(str) == behavior].sort_values("start_time", kind="stable")
    model_version = str(attrs.get("model_version", ""))
    columns = {
        "score": "bout score (mean probability unless the bouts table gives one)",
        "model_version": "version of the model that produced the bout",
        "annotator": "who or what marked the bout",
        "start_frame": "first video frame of the bout",
        "stop_frame": "last video frame of the bout",
        "mean_probability": "mean behavior probability over the bout",
        "max_probability": "maximum behavior probability over the bout",
    }
    rows = chosen.assign(
        score=chosen["score"] if "score" in chosen.columns else chosen["mean_probability"],
        model_version=model_version,
        annotator=chosen["annotator"].astype(str)
        if "annotator" in chosen.columns
        else f"model:{attrs.get('model_name', '')}",
    )
    return _interval_table(
        table_type(
            name=f"{BOUT_TABLE_PREFIX}{behavior}",
            description=f"bouts of behavior {behavior!r} (model {attrs.get('model_name', '')} {model_version}), "
            "times on the neural clock",
        ),
        columns,
        rows,
        clock_map,
    )


def _interval_table(table, columns: dict[str, str], rows: pd.DataFrame, clock_map: ClockMap):
    """Fill an empty ``TimeIntervals`` with ``rows``: start and stop times (video clock) and ``columns``."""
    for name, description in columns.items():
        table.add_column(name=name, description=description)
    start = clock_map(rows["start_time"].to_numpy(dtype=np.float64))
    stop = clock_map(rows["stop_time"].to_numpy(dtype=np.float64))
    for row, values in enumerate(rows[list(columns)].itertuples(index=False)):
        cells = {name: _plain_value(value) for name, value in zip(columns, values)}
        table.add_interval(start_time=float(start[row]), stop_time=float(stop[row]), **cells)
    return table


def _add_units(nwbfile, units: Units) -> None:
    from pynwb.misc import Units as NWBUnits

    if units.clock != "neural":
        raise SchemaError(f"units are on the {units.clock!r} clock; export needs them on the neural clock")
    resolution = units.attrs.get("resolution")
    if not resolution:
        warn_fixup(
            "units have no spike-time resolution (attrs['resolution'] = 1 / sampling rate); "
            "the NWB units table is written without one"
        )
    table_options = {"resolution": float(resolution)} if resolution else {}
    nwbfile.units = NWBUnits(name="units", description="spike-sorted units", **table_options)
    metadata = units.metadata.copy()
    integer_ids = pd.api.types.is_integer_dtype(metadata.index.dtype)
    if not integer_ids:
        metadata.insert(0, "unit_name", metadata.index.astype(str))
    columns = {}
    for column in metadata.columns:
        values = metadata[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns[str(column)] = values.to_numpy()
        else:
            columns[str(column)] = values.map(lambda v: "" if v is None or v is pd.NA else str(v)).to_numpy()
    for column in columns:
        nwbfile.add_unit_column(name=column, description=f"{column} (from {units.source_file or 'etholake'})")
    for position, unit_id in enumerate(units.unit_ids):
        nwbfile.add_unit(
            id=int(unit_id) if integer_ids else position,
            spike_times=units.spike_train(position),
            **{column: _plain_value(values[position]) for column, values in columns.items()},
        )


def _plain_value(value):
    return value.item() if isinstance(value, np.generic) else value


def _label_table(labels: xr.Dataset, clock_map: ClockMap, table_type):
    annotator, label_set = str(labels.attrs["annotator"]), str(labels.attrs["label_set"])
    if not labels.attrs.get("fps") or not np.isfinite(labels["time"].to_numpy()).all():
        raise SchemaError(
            f"labels of {annotator} ({label_set}): no frame rate or NaN times; cannot place them on the neural clock"
        )
    columns = {
        "behavior": "the behavior labelled",
        "state": "'present' or 'not scored'",
        "annotator": "who labelled the frames",
        "start_frame": "first video frame of the run",
        "stop_frame": "last video frame of the run",
    }
    return _interval_table(
        table_type(
            name=LABEL_TABLE_PREFIX + re.sub(r"[^A-Za-z0-9._-]", "_", f"{annotator}_{label_set}"),
            description=f"human labels by {annotator} (label set {label_set}): per behavior, the runs of frames "
            "labelled present (state 'present') and of frames not scored (state 'not scored'); the frames in "
            "neither were scored absent. Times on the neural clock",
        ),
        columns,
        label_runs(labels).assign(annotator=annotator),
        clock_map,
    )
