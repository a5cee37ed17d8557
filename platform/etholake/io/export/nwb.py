"""Write pose datasets to NWB with ndx-pose 0.4 (``PoseEstimation``, ``PoseEstimationSeries``, ``Skeleton``).

Layout, following ndx-pose and ``movement``'s NWB export:

- processing module ``behavior`` holds a ``Skeletons`` container with one
  ``Skeleton`` per individual (``skeleton_<individual>``: nodes = keypoints,
  edges from the ``skeleton_edges`` attribute or ``edges=``) and one
  ``PoseEstimation`` per individual, named ``PoseEstimation`` when the dataset
  has a single individual (movement's default) and
  ``PoseEstimation_<individual>`` otherwise, each description ending in
  "(individual <i> of <n>)": HDF5 lists groups by name, and readers use it to
  keep the dataset's order of individuals;
- each ``PoseEstimation`` holds one ``PoseEstimationSeries`` per keypoint
  (data (time, space) float32, NaN where missing; confidence when the dataset
  has any; described as DLC2NWB does, "Keypoint <k> from individual <i>.",
  which readers use to name the individual), links the ``camera`` device and
  the skeleton, and records the scorer and source software; given
  ``video=probe_video(...)``, the video is an external-file ``ImageSeries``
  ``video`` in acquisition, linked as ``source_video``;
- times are real times in seconds: the dataset's ``time`` coordinate, or
  ``timestamps=`` (e.g. :func:`etholake.io.video.frame_timestamps` of the
  video, indexed by the dataset's frames). Regular times are written as
  ``starting_time`` and ``rate``, as the NWB best practices ask; others as
  ``timestamps``, stored by the first series and linked by the others
  (:func:`series_timing`, :func:`shared_timing`).

NWB keeps no frame index: readers recover frames as ``round(time * fps)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
from pynwb import NWBHDF5IO, NWBFile, TimeSeries
from pynwb.device import Device
from pynwb.file import Subject
from pynwb.image import ImageSeries

from etholake.errors import ExportError
from etholake.output_files import output_path
from etholake.schema.pose import validate_pose

REFERENCE_FRAME = "(0,0) is the top-left corner of the video frame; x grows rightwards, y downwards"
CONFIDENCE_DEFINITIONS = {
    "probability": "probability (0-1) that the keypoint is at this position, as given by the pose estimator",
    "score": "unbounded score given by the pose estimator (not a probability)",
}
UNITS = {"px": "pixels", "mm": "millimeters"}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REGULAR_STEP_DECIMALS = 9
RATE_DIGITS = 12


def series_timing(times: np.ndarray) -> dict[str, Any]:
    """The keyword arguments that give an NWB ``TimeSeries`` its times.

    Parameters
    ----------
    times
        The series' times in seconds, increasing.

    Returns
    -------
    dict
        ``starting_time`` and ``rate`` when the times are regular (one step, to the
        nanosecond, as nwbinspector judges them, and rebuilt from the two to the
        nanosecond; the rate rounded to :data:`RATE_DIGITS` significant digits
        when that still rebuilds them, so frames / 30 give 30, not
        29.999999999999996); otherwise ``timestamps``. Several series with the same times
        share one result (:func:`shared_timing`).
    """
    times = np.asarray(times, dtype=np.float64)
    if times.size > 2 and np.ptp(np.diff(times).round(REGULAR_STEP_DECIMALS)) == 0:
        rate = (times.size - 1) / float(times[-1] - times[0])
        for candidate in (float(f"{rate:.{RATE_DIGITS}g}"), rate):
            if np.abs(times[0] + np.arange(times.size) / candidate - times).max() < 10.0**-REGULAR_STEP_DECIMALS:
                return {"starting_time": float(times[0]), "rate": candidate}
    return {"timestamps": times}


def shared_timing(timing: dict[str, Any], first: TimeSeries | None) -> dict[str, Any]:
    """``timing`` for one more series with the same times: timestamps link to the ``first`` series storing them."""
    return {"timestamps": first} if first is not None and "timestamps" in timing else timing


def _timestamps(ds: xr.Dataset, timestamps: np.ndarray | None) -> np.ndarray:
    if timestamps is None:
        times = ds["time"].values.astype(np.float64)
    else:
        timestamps = np.asarray(timestamps, dtype=np.float64)
        frames = ds["frame"].values
        if timestamps.shape == (ds.sizes["time"],):
            times = timestamps
        elif frames.size and frames.max() < timestamps.size:
            times = timestamps[frames]
        else:
            raise ExportError(
                f"timestamps has {timestamps.size} entries: give one per row ({ds.sizes['time']}) "
                f"or one per video frame (more than {int(frames.max())})"
            )
    if not np.all(np.isfinite(times)):
        raise ExportError("pose times are unknown (no fps): pass timestamps=, e.g. frame_timestamps(video)")
    if times.size > 1 and np.any(np.diff(times) <= 0):
        raise ExportError("NWB timestamps must increase strictly")
    return times


def _session_start(ds: xr.Dataset, session_start_time: datetime | None) -> datetime:
    if session_start_time is not None:
        return session_start_time
    stated = ds.attrs.get("session_start_time")
    if stated:
        return datetime.fromisoformat(str(stated))
    warnings.warn(
        "session start time unknown (no session_start_time= or attribute): writing 1970-01-01T00:00:00Z",
        UserWarning,
        stacklevel=3,
    )
    return _EPOCH


def _source_video(nwbfile: NWBFile, video: dict | None, camera: Device) -> ImageSeries | None:
    """The video as an external-file ImageSeries in acquisition, from :func:`etholake.io.video.probe_video`."""
    if video is None:
        return None
    series = ImageSeries(
        name="video",
        description="video the poses were estimated from",
        external_file=[str(video["path"])],
        format="external",
        starting_frame=[0],
        num_samples=int(video["packet_count"]),
        dimension=[int(video["width"]), int(video["height"])],
        rate=float(video["fps"]),
        device=camera,
    )
    nwbfile.add_acquisition(series)
    return series


def _skeleton(name: str, keypoints: list[str], edges: Sequence[tuple[str, str]], subject: Subject | None) -> Skeleton:
    unknown = sorted({node for pair in edges for node in pair} - set(keypoints))
    if unknown:
        raise ExportError(f"skeleton edges name keypoints {unknown} that the dataset does not have")
    index = np.array([[keypoints.index(a), keypoints.index(b)] for a, b in edges], dtype=np.uint8).reshape(-1, 2)
    return Skeleton(name=name, nodes=keypoints, edges=index, subject=subject)


def export_nwb(
    ds: xr.Dataset,
    path: str | Path,
    *,
    timestamps: np.ndarray | None = None,
    session_start_time: datetime | None = None,
    identifier: str | None = None,
    session_description: str | None = None,
    edges: Sequence[tuple[str, str]] | None = None,
    subject: dict | None = None,
    video: dict | None = None,
) -> Path:
    """Write a pose dataset to an NWB file with ndx-pose.

    Parameters
    ----------
    ds
        Canonical pose dataset.
    path
        Output ``.nwb`` file.
    timestamps
        Time of each row, or of each video frame (indexed by ``frame``), in
        seconds; defaults to the ``time`` coordinate.
    session_start_time
        Timezone-aware start of the session; defaults to the
        ``session_start_time`` attribute, else 1970-01-01 UTC with a warning.
    identifier
        NWB file identifier; defaults to the individual's name for one
        individual (movement reads it back as the individual), else the file stem.
    session_description
        Free text; defaults to a sentence naming the source file.
    edges
        Skeleton edges as (keypoint, keypoint) pairs; defaults to the
        ``skeleton_edges`` attribute, else none.
    subject
        Keyword arguments of :class:`pynwb.file.Subject` (``subject_id``,
        ``species``, ``sex``, ``age``, ...); DANDI requires one. With one
        individual, its skeleton links the subject.
    video
        :func:`etholake.io.video.probe_video` of the source video: stored as
        an external-file ``ImageSeries`` ``video`` (path, frame count, size,
        rate) in acquisition and linked as the ``source_video``.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    validate_pose(ds)
    path = output_path(path)
    times = _timestamps(ds, timestamps)
    keypoints = [str(k) for k in ds["keypoint"].values]
    individuals = [str(i) for i in ds["individual"].values]
    edges = [(str(a), str(b)) for a, b in (edges if edges is not None else ds.attrs.get("skeleton_edges") or [])]
    kind = ds.attrs["confidence_kind"]
    source_software = str(ds.attrs.get("source_software") or "unknown")
    nwbfile = NWBFile(
        session_description=session_description or f"poses from {ds.attrs.get('source_file') or 'etholake'}",
        identifier=identifier or (individuals[0] if len(individuals) == 1 else path.stem),
        session_start_time=_session_start(ds, session_start_time),
        subject=Subject(**subject) if subject else None,
    )
    camera = nwbfile.create_device(name="camera", description="camera that recorded the video the poses come from")
    behavior = nwbfile.create_processing_module(name="behavior", description="processed behavioral data")
    owner = nwbfile.subject if len(individuals) == 1 else None
    skeletons = {individual: _skeleton(f"skeleton_{individual}", keypoints, edges, owner) for individual in individuals}
    behavior.add(Skeletons(skeletons=list(skeletons.values())))
    position = ds["position"].transpose("individual", "keypoint", "time", "space").values.astype(np.float32)
    confidence = ds["confidence"].transpose("individual", "keypoint", "time").values.astype(np.float32)
    unit = UNITS[ds.attrs["units"]]
    source_video = _source_video(nwbfile, video, camera)
    timing = series_timing(times)
    first: PoseEstimationSeries | None = None
    for i, individual in enumerate(individuals):
        series = []
        for k, keypoint in enumerate(keypoints):
            series.append(
                PoseEstimationSeries(
                    name=keypoint,
                    description=f"Keypoint {keypoint} from individual {individual}.",
                    data=position[i, k],
                    unit=unit,
                    reference_frame=REFERENCE_FRAME,
                    **shared_timing(timing, first),
                    confidence=None if kind == "none" else confidence[i, k],
                    confidence_definition=CONFIDENCE_DEFINITIONS.get(kind),
                )
            )
            first = first or series[0]
        behavior.add(
            PoseEstimation(
                name="PoseEstimation" if len(individuals) == 1 else f"PoseEstimation_{individual}",
                pose_estimation_series=series,
                description=f"estimated positions of {', '.join(keypoints)} of {individual} by {source_software}"
                + (f" (individual {i + 1} of {len(individuals)})" if len(individuals) > 1 else ""),
                source_video=source_video,
                device=camera,
                scorer=str(ds.attrs["scorer"]) if ds.attrs.get("scorer") else None,
                source_software=source_software,
                skeleton=skeletons[individual],
            )
        )
    with NWBHDF5IO(str(path), mode="w") as io:
        io.write(nwbfile)
    return path
