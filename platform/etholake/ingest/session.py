"""Ingest of one session: read every file, check them against each other, then publish.

Everything is read and checked before the first asset is written, and the
session's new assets are recorded in one catalog transaction, so a file that
fails, or a write that fails, leaves the session as it was. Re-ingesting an
unchanged file (same sha256) creates nothing; a changed file creates a new
asset version whose parent is the previous one. Two runs that ingest the same
session at once record each new asset once: each asset claims a key made of
its session, identity, recipe and the version it follows, and the run that
commits second finds the other run's assets and reuses them.

The ingest flow leaves out a session whose manifest entry and file stamps
(size and modification time, or a remote file's ETag) are those recorded at
its last ingest (:mod:`etholake.ingest.stamps`). Otherwise the files are
hashed in a background thread. When their stamps are those recorded, the
hashes are awaited first, so an unchanged session is skipped without reading it;
otherwise the files are read while they are hashed, and the recipe is
compared once both are done. Which of the two orders runs only changes how
long an ingest takes, never what it creates.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import xarray as xr

from etholake.catalog import BehaviorSummaryRows, Catalog, SessionKey
from etholake.catalog.records import PREVIOUS_VERSION
from etholake.errors import DuplicateAssetError, EtholakeError, IntegrityError
from etholake.inference.summary import labels_summary
from etholake.ingest.field_changes import field_changes
from etholake.ingest.labels import read_label_entry, session_frames
from etholake.ingest.manifest import session_files
from etholake.ingest.preflight import SessionPlan
from etholake.ingest.staging import name_sources
from etholake.io import start_sha256
from etholake.lake import Lake, StagedAsset, commit, discard, stage_dataset, stage_file
from etholake.notes import warning_notes

PUBLISH_ATTEMPTS = 3
FileDigests = dict[str, Future[str]]


@dataclass
class SessionOutcome:
    """What ingesting one session did.

    ``created`` and ``reused`` map an asset description (``pose``,
    ``labels:alice:S1``, ...) to the asset id; ``notes`` holds QC findings and
    warnings, ``error`` the reason the session was not ingested.
    """

    session: SessionKey
    created: dict[str, str] = field(default_factory=dict)
    reused: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def status(self) -> str:
        """``failed``, ``unchanged`` (nothing new) or ``ingested``."""
        if self.error:
            return "failed"
        return "ingested" if self.created else "unchanged"


@dataclass
class _Pending:
    """An asset read and checked, waiting to be published.

    ``params`` identify how the asset was made (they make its recipe); ``described``
    is recorded with them but is read from the file, so it is not part of the recipe.
    """

    label: str
    kind: str
    source_sha256: str
    params: dict[str, Any]
    dataset: xr.Dataset | None = None
    file: str | None = None
    described: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        recipe = json.dumps([self.source_sha256, self.params], sort_keys=True, default=str)
        self.params = {**self.params, "recipe": hashlib.sha256(recipe.encode()).hexdigest(), **self.described}


def _versions(catalog: Catalog, actor: str, key: SessionKey, kind: str, params: dict[str, Any]):
    """Assets of ``kind`` in the session made with the same identifying parameters, newest first."""
    return [a for a in catalog.assets(actor, kind=kind, session=key) if a.params.get("identity") == params["identity"]]


def _read_pose(plan: SessionPlan) -> xr.Dataset:
    from etholake.io import read_pose

    entry = plan.entry.pose
    options = dict(entry.options)
    if plan.fps is not None:
        options.setdefault("fps", plan.fps)
    if entry.extra.get("individuals"):
        options.setdefault("individuals", entry.extra["individuals"])
    pose = read_pose(entry.path, format=plan.pose_format, **options)
    metadata = plan.entry.metadata
    if metadata.get("px_per_mm"):
        pose.attrs["px_per_mm"] = float(metadata["px_per_mm"])
    arena = metadata.get("arena") or {}
    if arena.get("bounds_px"):
        pose.attrs["arena_bounds_px"] = [float(v) for v in arena["bounds_px"]]
    return pose


def _read_labels(plan: SessionPlan, digests: FileDigests, n_frames: int, fps: float | None) -> list[_Pending]:
    found = []
    for entry, label_format in zip(plan.entry.labels, plan.label_formats):
        sha = digests[entry.path].result()
        for label_set, ds in read_label_entry(entry, label_format, n_frames, fps).items():
            identity = f"{entry.extra['annotator']}:{label_set}"
            params = {"identity": identity, "format": label_format, "options": entry.options}
            behaviors = {"behaviors": [str(b) for b in ds["behavior"].values]}
            found.append(_Pending(f"labels:{identity}", "labels", sha, params, dataset=ds, described=behaviors))
    return found


def _video_timestamps(plan: SessionPlan, sha256: Future[str]) -> xr.Dataset:
    """The session's video as a canonical video dataset; its hash is awaited after the demux."""
    from etholake.io.video import frame_timestamps
    from etholake.schema.video import make_video_dataset

    stamps = frame_timestamps(plan.entry.video.path)
    info = {**plan.video_info, "sha256": sha256.result()}
    return make_video_dataset(stamps, info, source_file=plan.entry.video.origin)


def _check_frames(plan: SessionPlan, pose: xr.Dataset, outcome: SessionOutcome) -> dict[str, Any]:
    qc: dict[str, Any] = {"pose_frames": int(pose.sizes["time"])}
    if plan.video_info is not None:
        video_frames = int(plan.video_info["packet_count"])
        qc["video_frames"] = video_frames
        if "image_path" not in pose.coords and int(pose["frame"].values[-1]) + 1 != video_frames:
            qc["frame_count_mismatch"] = True
            outcome.notes.append(
                f"pose covers frames 0-{int(pose['frame'].values[-1])} but the video has {video_frames} frames"
            )
        video_fps = plan.video_info.get("fps")
        pose_fps = pose.attrs.get("fps")
        if video_fps and pose_fps and abs(video_fps - pose_fps) > 1e-3 * video_fps:
            qc["fps_mismatch"] = True
            outcome.notes.append(f"pose fps {pose_fps:g} differs from the video's {video_fps:g}")
    return qc


def _gather(plan: SessionPlan, digests: FileDigests, outcome: SessionOutcome) -> tuple[list[_Pending], dict[str, Any]]:
    """Read and check every file of the session; nothing is published here."""
    pending: list[_Pending] = []
    qc: dict[str, Any] = {}
    entry = plan.entry
    if entry.video is not None:
        stamps = _video_timestamps(plan, digests[entry.video.path])
        store = entry.video.extra.get("store", "copy")
        pending.append(
            _Pending(
                "video",
                "video",
                stamps.attrs["sha256"],
                {"identity": "video", "store": store},
                dataset=stamps,
                file=entry.video.path if store == "copy" else entry.video.origin,
            )
        )
    if entry.pose is not None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pose = _read_pose(plan)
        outcome.notes += warning_notes(caught)
        qc = _check_frames(plan, pose, outcome)
        reader = {"format": plan.pose_format, "options": entry.pose.options, "fps": plan.fps}
        calibration = {k: pose.attrs.get(k) for k in ("px_per_mm", "arena_bounds_px")}
        pending.append(
            _Pending(
                "pose",
                "pose",
                digests[entry.pose.path].result(),
                {"identity": "pose", **reader, **calibration},
                dataset=pose,
            )
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pending += _read_labels(plan, digests, session_frames(pose), pose.attrs.get("fps"))
        outcome.notes += warning_notes(caught)
    pending += _read_neural(plan, digests, outcome)
    if entry.calibration is not None:
        pending.append(_read_calibration(plan, digests))
    _name_copied_sources(plan, pending, outcome)
    return pending, qc


def _name_copied_sources(plan: SessionPlan, pending: list[_Pending], outcome: SessionOutcome) -> None:
    """Name remote files by their URL, not their local copy, in the datasets' ``source_file`` and the notes."""
    files = session_files(plan.entry)
    sources = {f.path: f.source for f in files if f.source is not None}
    for item in pending:
        if item.dataset is not None and item.dataset.attrs.get("source_file") in sources:
            item.dataset.attrs["source_file"] = sources[item.dataset.attrs["source_file"]]
    outcome.notes = [name_sources(note, files) for note in outcome.notes]


def _read_calibration(plan: SessionPlan, digests: FileDigests) -> _Pending:
    from etholake.io.calibration import read_calibration

    entry = plan.entry.calibration
    calibration = read_calibration(entry.path, format=plan.calibration_format)
    params = {"identity": "calibration", "format": plan.calibration_format}
    return _Pending("calibration", "calibration", digests[entry.path].result(), params, dataset=calibration)


def _read_neural(plan: SessionPlan, digests: FileDigests, outcome: SessionOutcome) -> list[_Pending]:
    from etholake.ingest.neural import read_neural_entry

    found = []
    for entry in plan.entry.neural:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            identity, dataset = read_neural_entry(entry)
        outcome.notes += [f"{identity}: {note}" for note in warning_notes(caught)]
        params = {"identity": identity, "format": entry.format, "options": entry.options}
        if entry.companions:
            params["companions"] = {name: digests[c.path].result() for name, c in entry.companions.items()}
        found.append(
            _Pending(
                f"{entry.extra['kind']}:{identity}",
                entry.extra["kind"],
                digests[entry.path].result(),
                params,
                dataset=dataset,
            )
        )
    return found


def _stage_pending(
    lake: Lake, catalog: Catalog, actor: str, key: SessionKey, item: _Pending, outcome: SessionOutcome
) -> list[tuple[str, StagedAsset]]:
    """Write ``item`` under new ids (a copied video first), or record in ``outcome`` the version it equals."""
    versions = _versions(catalog, actor, key, item.kind, item.params)
    if versions and versions[0].params.get("recipe") == item.params["recipe"]:
        outcome.reused[item.label] = versions[0].id
        outcome.reused |= {role: id_ for id_, role in versions[0].parents.items() if role == "video_file"}
        return []
    staged = []
    previous = versions[0].id if versions else None
    parents = {previous: PREVIOUS_VERSION} if previous else {}
    if item.kind == "video":
        if item.params["store"] == "copy":
            copied = stage_file(
                lake,
                item.file,
                kind="video_file",
                lab=key.lab,
                session=key,
                params={"identity": "video_file"},
                source_sha256=item.source_sha256,
            )
            staged.append(("video_file", copied))
            parents[copied.id] = "video_file"
            item.params["video_uri"] = copied.relative
        else:
            item.params["video_uri"] = item.file
    dataset = stage_dataset(
        lake,
        item.dataset,
        kind=item.kind,
        lab=key.lab,
        session=key,
        parents=parents,
        params=item.params,
        source_sha256=item.source_sha256,
        unique_key=_ingest_key(key, item, previous),
    )
    return [*staged, (item.label, dataset)]


def _ingest_key(key: SessionKey, item: _Pending, previous: str | None) -> str:
    """The unique key an ingested asset claims: its session, kind, identity and recipe, and the version it follows."""
    claim = json.dumps([*key, item.kind, item.params["identity"], item.params["recipe"], previous])
    return "ingest:" + hashlib.sha256(claim.encode()).hexdigest()


def _label_summaries(pending: list[_Pending], staged: list[tuple[str, StagedAsset]]) -> list[BehaviorSummaryRows]:
    """The bout summary of each new label set, for ``query sessions --source human`` (named by its identity)."""
    datasets = {item.label: item.dataset for item in pending if item.kind == "labels"}
    summaries = []
    for label, asset in staged:
        rows = labels_summary(datasets[label]) if label in datasets else None
        if rows is not None:
            summaries.append(BehaviorSummaryRows(asset.id, rows, "human", label.removeprefix("labels:")))
    return summaries


def _publish_pending(
    lake: Lake, catalog: Catalog, actor: str, key: SessionKey, pending: list[_Pending], outcome: SessionOutcome
) -> None:
    """Stage every new asset of the session, then record them all (and each label set's summary) in one transaction.

    A failure while writing removes what this session staged; a refused commit
    removes it too (:func:`etholake.lake.commit`), so the session's assets
    change together or not at all. When another run recorded one of the same
    assets first, the session is looked at again and reuses what that run made.
    """
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        try:
            _publish_attempt(lake, catalog, actor, key, pending, outcome)
            return
        except DuplicateAssetError:
            if attempt == PUBLISH_ATTEMPTS:
                raise


def _publish_attempt(
    lake: Lake, catalog: Catalog, actor: str, key: SessionKey, pending: list[_Pending], outcome: SessionOutcome
) -> None:
    staged: list[tuple[str, StagedAsset]] = []
    try:
        for item in pending:
            staged += _stage_pending(lake, catalog, actor, key, item, outcome)
        summaries = _label_summaries(pending, staged)
    except BaseException:
        discard(lake, [asset for _, asset in staged])
        raise
    published = commit(lake, catalog, actor, [a for _, a in staged], behavior_summaries=summaries) if staged else []
    outcome.created = {label: asset.id for (label, _), asset in zip(staged, published)}


def ingest_session(
    plan: SessionPlan,
    *,
    lake_url: str,
    storage_options: dict[str, Any],
    catalog_url: str,
    user: str,
) -> SessionOutcome:
    """Ingest one planned session (its lab, subject and session rows must exist).

    When it succeeds, the session takes the catalog fields of ``plan.session_fields``, and
    ``outcome.notes`` says which of them changed (a note for this run, not kept with the
    session's QC notes).

    Parameters
    ----------
    plan
        From :func:`etholake.ingest.preflight.plan_session`.
    lake_url, storage_options, catalog_url
        Where to write; passed as plain values so the call can run on a Dask worker.
    user
        The user ingesting (not ``actor``: that keyword means something else to ``Client.submit``).

    Returns
    -------
    SessionOutcome
        Never raises for a bad input file: the error is in ``outcome.error`` and
        nothing of that session was published.
    """
    key = SessionKey(plan.lab, plan.entry.subject, plan.entry.name)
    outcome = SessionOutcome(key)
    lake = Lake(lake_url, storage_options)
    digests = start_file_hashes(plan)
    with Catalog(catalog_url, migrate_schema=False) as catalog:
        record = catalog.session(user, key)
        extra = dict(record["extra"] or {})
        changes = field_changes(record, plan.session_fields)

        def succeed(recorded: dict[str, Any]) -> SessionOutcome:
            catalog.register_session(user, key, extra=recorded, **plan.session_fields)
            if changes:
                outcome.notes = [*outcome.notes, f"session fields updated: {'; '.join(changes)}"]
            return outcome

        if extra.get("ingest_files") == plan.file_stamps and _unchanged(plan, digests, extra, outcome):
            return succeed({**extra, "ingest_entry": plan.entry_digest})
        try:
            pending, qc = _gather(plan, digests, outcome)
        except EtholakeError as error:
            outcome.error = name_sources(str(error), session_files(plan.entry))
            return outcome
        if _unchanged(plan, digests, extra, outcome):
            return succeed({**extra, "ingest_files": plan.file_stamps, "ingest_entry": plan.entry_digest})
        try:
            _publish_pending(lake, catalog, user, key, pending, outcome)
        except (IntegrityError, DuplicateAssetError) as error:
            outcome.error = name_sources(str(error), session_files(plan.entry))
            return outcome
        if qc:
            extra["qc"] = {**qc, "notes": outcome.notes}
        extra["ingest_assets"] = {**outcome.reused, **outcome.created}
        extra["ingest_recipe"] = session_recipe(plan, digests)
        extra["ingest_files"] = plan.file_stamps
        extra["ingest_entry"] = plan.entry_digest
        return succeed(extra)


def _unchanged(plan: SessionPlan, digests: FileDigests, extra: dict[str, Any], outcome: SessionOutcome) -> bool:
    """Whether the session's recipe is the one recorded at its last ingest; if so, fill ``outcome`` with what exists."""
    if "ingest_assets" not in extra or extra.get("ingest_recipe") != session_recipe(plan, digests):
        return False
    fill_unchanged(extra, outcome)
    return True


def fill_unchanged(extra: dict[str, Any], outcome: SessionOutcome) -> None:
    """Fill the ``outcome`` of a session that needs nothing new from its last ingest's record (``extra``).

    The assets are those the last ingest made or reused, by label; the notes are its notes.
    """
    outcome.reused = dict(extra.get("ingest_assets", {}))
    outcome.notes = list(extra.get("qc", {}).get("notes", []))


def start_file_hashes(plan: SessionPlan) -> FileDigests:
    """Start hashing every file the session reads, each file once, in reading order (video first)."""
    return {item.path: start_sha256(item.path) for item in session_files(plan.entry)}


def session_recipe(plan: SessionPlan, digests: FileDigests) -> str:
    """Hash of everything a session's ingest reads: file contents, formats, options and metadata.

    Waits for the file hashes. When the recipe equals the one recorded at the
    last ingest, nothing needs reading again.
    """
    entry = plan.entry
    document = {
        "files": [[f.origin, digests[f.path].result(), f.format, f.options, f.extra] for f in session_files(entry)],
        "metadata": entry.metadata,
        "formats": [plan.pose_format, plan.label_formats, plan.calibration_format],
        "fps": plan.fps,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
