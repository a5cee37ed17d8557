"""Checks of a whole manifest before anything is ingested, reporting every problem at once."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from etholake.catalog import SessionKey
from etholake.config import Settings
from etholake.errors import EtholakeError
from etholake.ingest.manifest import (
    FileEntry,
    Manifest,
    ManifestError,
    SessionEntry,
    read_manifest,
    session_fields,
    session_files,
)
from etholake.ingest.staging import Staging, name_sources, stage_session, staging_folder
from etholake.ingest.stamps import Stamp, entry_digest, file_stamp

FORMATS_STATING_FPS = ("sleap_slp", "nwb")
"""Pose formats whose files may state the frame rate (read when neither the manifest nor a video gives it)."""


@dataclass
class SessionPlan:
    """What one session's ingest will read: formats resolved, fps known, video probed (not hashed: ingest does)."""

    lab: str
    entry: SessionEntry
    pose_format: str | None = None
    label_formats: list[str] = field(default_factory=list)
    calibration_format: str | None = None
    video_info: dict[str, Any] | None = None
    fps: float | None = None
    fps_source: str | None = None
    pose_frames: int | None = None
    """Frames the pose covers, when the check counted or read them."""
    file_stamps: dict[str, Stamp | None] = field(default_factory=dict)
    """Each file's stamp by origin, taken before it is read (:mod:`etholake.ingest.stamps`)."""
    entry_digest: str | None = None
    """Hash of the session's manifest entry (:func:`etholake.ingest.stamps.entry_digest`)."""
    unchanged: bool = False
    """Whether the session was left out: its entry and file stamps are those of its last ingest."""
    label_sets: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """Each label set the check read: its format, identity (``annotator:label_set``) and behaviors."""
    session_fields: dict[str, Any] = field(default_factory=dict)
    """The session's catalog fields from the manifest (:func:`etholake.ingest.manifest.session_fields`).

    A new session is created with them; an existing one takes them only when its ingest succeeds.
    """


def _format(entry: FileEntry, detect, known: Collection[str], what: str, problems: list[str], where: str) -> str | None:
    if entry.format is not None:
        if entry.format not in known:
            problems.append(
                f"{where}: unknown {what} format {entry.format!r} for {entry.path} (known: {', '.join(sorted(known))})"
            )
            return None
        return entry.format
    try:
        return detect(entry.path)
    except EtholakeError as error:
        problems.append(f"{where}: cannot tell the {what} format of {entry.path}: {error}")
        return None


def plan_session(lab: str, entry: SessionEntry, staging: Staging | None = None) -> tuple[SessionPlan, list[str]]:
    """Resolve one session's formats and frame rate; return the plan and the problems found.

    Remote files are first copied into ``staging``; the plan reads the copies.
    """
    from etholake.io import POSE_FORMATS, detect_pose_format
    from etholake.io.calibration import CALIBRATION_FORMATS, detect_calibration_format
    from etholake.io.labels import READERS as LABEL_READERS
    from etholake.io.labels import detect_labels_format
    from etholake.io.video import probe_video

    where = f"session {entry.subject}/{entry.name}"
    entry, problems = stage_session(entry, staging)
    problems = [f"{where}: {problem}" for problem in problems]
    plan = SessionPlan(lab=lab, entry=entry)
    files = session_files(entry)
    remote_stamps = staging.stamps if staging is not None else {}
    plan.file_stamps = {item.origin: file_stamp(item, remote_stamps) for item in files}
    missing = [f.path for f in files if f.is_remote or not Path(f.path).is_file()]
    problems += [f"{where}: file not found: {f.path}" for f in files if not f.is_remote and f.path in missing]
    if entry.pose is None and entry.labels:
        problems.append(f"{where}: labels without a pose file cannot be placed on video frames")
    if entry.video is not None and entry.video.path not in missing:
        try:
            plan.video_info = probe_video(entry.video.path, sha256=False)
        except EtholakeError as error:
            problems.append(f"{where}: {error}")
    if entry.pose is not None and entry.pose.path not in missing:
        plan.pose_format = _format(entry.pose, detect_pose_format, POSE_FORMATS, "pose", problems, where)
    if entry.calibration is not None and entry.calibration.path not in missing:
        plan.calibration_format = _format(
            entry.calibration, detect_calibration_format, CALIBRATION_FORMATS, "calibration", problems, where
        )
    for label in entry.labels:
        if label.path not in missing:
            detected = _format(label, detect_labels_format, LABEL_READERS, "labels", problems, where)
            plan.label_formats.append(detected)
    extent = None
    if entry.pose is not None and entry.pose.options.get("fps"):
        plan.fps, plan.fps_source = float(entry.pose.options["fps"]), "pose options"
    elif entry.metadata.get("fps"):
        plan.fps, plan.fps_source = float(entry.metadata["fps"]), "manifest"
    elif plan.video_info and plan.video_info.get("fps"):
        plan.fps, plan.fps_source = float(plan.video_info["fps"]), "video"
    elif plan.pose_format in FORMATS_STATING_FPS:
        extent = _pose_extent(plan)
        if extent is not None and extent[1]:
            plan.fps, plan.fps_source = float(extent[1]), "pose file"
        elif extent is not None:
            problems.append(
                f"{where}: fps missing and not derivable: give 'fps' in the manifest or a video "
                f"({entry.pose.path} does not state it)"
            )
    elif entry.pose is not None and (entry.video is None or plan.video_info is not None):
        problems.append(
            f"{where}: fps missing and not derivable: give 'fps' in the manifest or a video "
            f"({plan.pose_format or 'this pose format'} files do not state it)"
        )
    if entry.pose is not None and entry.labels and not problems:
        extent = extent or _pose_extent(plan)
        problems += _labels_against_pose(plan, where, extent)
    if extent is not None:
        plan.pose_frames = extent[0]
    elif plan.video_info is not None and plan.pose_format is not None:
        plan.pose_frames = _counted_frames(plan)
    return plan, [name_sources(problem, files) for problem in problems]


def _counted_frames(plan: SessionPlan) -> int | None:
    """Frames of the session's pose file when its format can be counted without reading its values."""
    from etholake.io import count_pose_frames

    try:
        return count_pose_frames(plan.entry.pose.path, plan.pose_format, **plan.entry.pose.options)
    except (EtholakeError, ValueError, TypeError):
        return None


def _pose_extent(plan: SessionPlan) -> tuple[int, float | None] | None:
    """Frames the session's pose covers and its frame rate (the plan's, else the one the file states).

    Files that :func:`etholake.io.pose_extent` covers are counted, and their
    frame rate read, without reading their values; other files
    are read (not hashed: the ingest does). None if the file cannot be read:
    the ingest then fails that session alone.
    """
    from etholake.ingest.labels import session_frames
    from etholake.io import pose_extent, read_pose

    pose = plan.entry.pose
    try:
        extent = pose_extent(pose.path, plan.pose_format, **pose.options)
        if extent is not None:
            return extent[0], plan.fps if plan.fps is not None else extent[1]
        options = {**pose.options, **({"fps": plan.fps} if plan.fps is not None else {})}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read = read_pose(pose.path, format=plan.pose_format, sha256=False, **options)
    except (EtholakeError, ValueError, TypeError):
        return None
    return session_frames(read), read.attrs.get("fps")


def _labels_against_pose(plan: SessionPlan, where: str, extent: tuple[int, float | None] | None) -> list[str]:
    """Read the session's label files onto the pose's ``extent`` (frames, fps); each that does not fit is a problem.

    The label sets read are listed in ``plan.label_sets``.
    """
    from etholake.ingest.labels import read_label_entry

    if extent is None:
        return []
    n_frames, fps = extent
    problems = []
    source_of: dict[str, str] = {}
    for label, label_format in zip(plan.entry.labels, plan.label_formats):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = read_label_entry(label, label_format, n_frames, fps)
        except (EtholakeError, ValueError, TypeError) as error:
            problems.append(f"{where}: {label.path}: {error}" if isinstance(error, TypeError) else f"{where}: {error}")
            continue
        for name, ds in found.items():
            identity = f"{label.extra['annotator']}:{name}"
            if identity in source_of:
                problems.append(
                    f"{where}: {source_of[identity]} and {label.path} both give the label set {identity}: "
                    "give each labels entry its own label_set"
                )
            source_of[identity] = label.path
            plan.label_sets.append((label_format, identity, [str(b) for b in ds["behavior"].values]))
    return problems


def plan_manifest(
    manifest: Manifest,
    *,
    staging: Staging | None = None,
    show_progress: bool = False,
    unchanged: Collection[SessionKey] = (),
) -> tuple[list[SessionPlan], list[str]]:
    """Plan every session of ``manifest``; return the plans and every problem found.

    Parameters
    ----------
    manifest
        From :func:`etholake.ingest.load_manifest`.
    staging
        Where remote files (URLs) are copied, several at once, before the
        sessions are checked; without it each remote file is a problem.
    show_progress
        Show a bar over the sessions (copying remote files, probing videos
        and reading label files take a while for large manifests).
    unchanged
        Sessions to leave out (:func:`etholake.ingest.stamps.unchanged_sessions`):
        their plans say ``unchanged``, and their files are neither copied nor read.
    """
    from etholake.progress import progress_bar

    def left_out(entry: SessionEntry) -> bool:
        return SessionKey(manifest.lab, entry.subject, entry.name) in unchanged

    checked = [entry for entry in manifest.sessions if not left_out(entry)]
    if staging is not None:
        remote = [f.path for entry in checked for f in session_files(entry) if f.is_remote]
        staging.fetch_all(remote, show_progress=show_progress)
    plans, problems = [], []
    with progress_bar("check", len(checked), enabled=show_progress and bool(checked)) as advance:
        for entry in manifest.sessions:
            if left_out(entry):
                plans.append(SessionPlan(lab=manifest.lab, entry=entry, unchanged=True))
                continue
            plan, found = plan_session(manifest.lab, entry, staging)
            plan.entry_digest = entry_digest(manifest, entry)
            plan.session_fields = session_fields(manifest, plan.entry, plan.fps)
            plans.append(plan)
            problems += found
            advance()
    return plans, problems


def _read_or_error(path: str) -> tuple[Manifest | ManifestError, list[str]]:
    """The manifest at ``path`` and its reference problems, or the error that stops it being read."""
    try:
        return read_manifest(path)
    except ManifestError as error:
        return error, []


@contextmanager
def checked_manifests(
    paths: Sequence[str],
    settings: Settings,
    *,
    show_progress: bool = False,
    unchanged: Callable[[Manifest, Staging], Collection[SessionKey]] | None = None,
) -> Iterator[list[tuple[Manifest, list[SessionPlan]]]]:
    """Load and check manifests, their remote files copied to a staging folder that lives until the block ends.

    Parameters
    ----------
    paths
        Manifest files.
    settings
        Where remote files are staged and how they are reached.
    show_progress
        Show bars over the copies and the sessions.
    unchanged
        Given a manifest and the staging folder (whose remote file stamps it
        may ask), the sessions to leave out unchecked (see :func:`plan_manifest`).

    Yields
    ------
    list of (Manifest, list of SessionPlan)
        Every manifest with its session plans, when no manifest has a problem.

    Raises
    ------
    ManifestError
        Listing every problem of every manifest (each prefixed with its
        manifest's file when several have problems).
    """
    read = [_read_or_error(path) for path in paths]
    with staging_folder(settings.staging_dir, settings.filesystem_options) as staging:
        checked, found = [], {}
        for manifest, problems in read:
            if isinstance(manifest, ManifestError):
                found[manifest.source] = manifest.problems
                continue
            left_out = unchanged(manifest, staging) if unchanged is not None and not problems else ()
            plans, planned = plan_manifest(manifest, staging=staging, show_progress=show_progress, unchanged=left_out)
            checked.append((manifest, plans))
            if problems + planned:
                found[manifest.source] = problems + planned
        if len(found) == 1:
            raise ManifestError(*next(iter(found.items())))
        if found:
            listed = [f"{source}: {problem}" for source, problems in found.items() for problem in problems]
            raise ManifestError(f"{len(found)} manifests", listed)
        yield checked
