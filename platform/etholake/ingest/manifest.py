"""The ingest manifest: one lab's submission of subjects, sessions and their files.

A manifest is JSON or YAML following ``schemas/manifest.v1.json``. Relative
paths are relative to the manifest's folder. :func:`load_manifest` checks the
structure and lists every structural problem at once.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from etholake.errors import EtholakeError
from etholake.resources import json_schema

FILE_KEYS = ("name", "subject", "video", "pose", "labels", "neural", "calibration")
COMPANION_OPTIONS = ("iscell",)
"""Options of a ``neural`` entry that name a file read with the entry's own (suite2p's ``iscell.npy``)."""


class ManifestError(EtholakeError):
    """A manifest has problems; ``problems`` lists every one of them."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source}: {len(problems)} problem(s):\n{listed}")


@dataclass(frozen=True)
class FileEntry:
    """A file named in the manifest, with its absolute location and reader choices.

    ``path`` is what the readers open: a local path, or a URL until the file
    is copied to a local one; ``source`` is then the URL it was copied from.
    ``companions`` are the files named by options of :data:`COMPANION_OPTIONS`,
    by option name: they are checked, copied, hashed and stamped like the
    entry's own file.
    """

    path: str
    format: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    companions: dict[str, FileEntry] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        """Where the file comes from, as the manifest names it: the URL of a copied file, else its path."""
        return self.source or self.path

    @property
    def is_remote(self) -> bool:
        """Whether ``path`` is a URL (not yet copied to a local file)."""
        return "://" in self.path


@dataclass(frozen=True)
class SessionEntry:
    """One session of the manifest."""

    name: str
    subject: str
    metadata: dict[str, Any]
    video: FileEntry | None
    pose: FileEntry | None
    labels: tuple[FileEntry, ...]
    neural: tuple[FileEntry, ...]
    calibration: FileEntry | None = None


def session_fields(manifest: Manifest, entry: SessionEntry, fps: float | None) -> dict[str, Any]:
    """The catalog fields of a session as the manifest gives them (None: not given, the stored value stays).

    Parameters
    ----------
    manifest
        The manifest holding ``entry`` (its license and default visibility apply).
    entry
        The session's entry.
    fps
        The frame rate the check settled on (from the manifest, the video or the pose file).
    """
    metadata = entry.metadata
    arena = metadata.get("arena") or {}
    return {
        "start_time": metadata.get("start_time"),
        "experimenter": metadata.get("experimenter"),
        "protocol": metadata.get("protocol"),
        "description": metadata.get("description"),
        "fps": fps,
        "px_per_mm": metadata.get("px_per_mm"),
        "arena_width_mm": arena.get("width_mm"),
        "arena_height_mm": arena.get("height_mm"),
        "license": manifest.license,
        "visibility": metadata.get("visibility", manifest.visibility),
    }


def session_files(entry: SessionEntry) -> list[FileEntry]:
    """Every file the session names, in reading order: video, pose, labels, neural, calibration.

    An entry's companion files follow it.
    """
    named = [f for f in (entry.video, entry.pose, *entry.labels, *entry.neural, entry.calibration) if f is not None]
    return [file for item in named for file in (item, *item.companions.values())]


@dataclass(frozen=True)
class Manifest:
    """A validated manifest."""

    source: str
    lab: str
    license: str | None
    visibility: str
    subjects: dict[str, dict[str, Any]]
    sessions: tuple[SessionEntry, ...]


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text()
    except OSError as error:
        raise ManifestError(str(path), [f"cannot read the manifest: {error.strerror or error}"]) from error
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return yaml.safe_load(text)
        return json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ManifestError(str(path), [f"not valid {path.suffix.lstrip('.').upper() or 'JSON'}: {error}"]) from error


def _location(error: jsonschema.ValidationError) -> str:
    parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
    return parts.lstrip(".") or "(top level)"


def _resolve(base: Path, raw: str) -> str:
    if raw.startswith("file://"):
        raw = urllib.parse.unquote(urllib.parse.urlparse(raw).path)
    elif "://" in raw:
        return raw
    path = Path(raw).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _file(
    base: Path, entry: dict[str, Any] | None, known: tuple[str, ...], companion_options: tuple[str, ...] = ()
) -> FileEntry | None:
    if entry is None:
        return None
    extra = {k: v for k, v in entry.items() if k in known}
    options = dict(entry.get("options") or {})
    companions = {
        name: FileEntry(_resolve(base, options.pop(name)))
        for name in companion_options
        if isinstance(options.get(name), str)
    }
    return FileEntry(_resolve(base, entry["path"]), entry.get("format"), options, extra, companions=companions)


def load_manifest(path: str | Path) -> Manifest:
    """Read and validate a manifest.

    Parameters
    ----------
    path
        The manifest file (``.json``, ``.yaml`` or ``.yml``).

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        Listing every schema violation, unknown subject and duplicate session.
    """
    manifest, problems = read_manifest(path)
    if problems:
        raise ManifestError(manifest.source, problems)
    return manifest


def read_manifest(path: str | Path) -> tuple[Manifest, list[str]]:
    """Read a manifest; return it with its unknown subjects and duplicate sessions, as problems.

    The manifest is usable for checking its files even when it has such
    problems, so they can be listed together with what the files' check finds.

    Raises
    ------
    ManifestError
        The file cannot be read or violates the manifest schema (listing every violation).
    """
    path = Path(path).resolve()
    document = _read_document(path)
    validator = jsonschema.Draft202012Validator(json_schema("manifest.v1.json"))
    problems = [f"{_location(error)}: {error.message}" for error in sorted(validator.iter_errors(document), key=str)]
    if problems:
        raise ManifestError(str(path), problems)
    subjects = {s["name"]: {k: v for k, v in s.items() if k != "name"} for s in document.get("subjects", [])}
    seen: set[tuple[str, str]] = set()
    sessions = []
    for index, raw in enumerate(document["sessions"]):
        where = f"sessions[{index}] ({raw['name']})"
        if raw["subject"] not in subjects:
            problems.append(f"{where}: subject {raw['subject']!r} is not listed under subjects")
        if (raw["subject"], raw["name"]) in seen:
            problems.append(f"{where}: session {raw['name']!r} of subject {raw['subject']!r} appears twice")
        seen.add((raw["subject"], raw["name"]))
        metadata = {k: v for k, v in raw.items() if k not in FILE_KEYS}
        sessions.append(
            SessionEntry(
                name=raw["name"],
                subject=raw["subject"],
                metadata=metadata,
                video=_file(path.parent, raw.get("video"), ("store",)),
                pose=_file(path.parent, raw.get("pose"), ("individuals",)),
                labels=tuple(_file(path.parent, e, ("annotator", "label_set")) for e in raw.get("labels", [])),
                neural=tuple(
                    _file(path.parent, e, ("kind", "clock"), COMPANION_OPTIONS) for e in raw.get("neural", [])
                ),
                calibration=_file(path.parent, raw.get("calibration"), ()),
            )
        )
    return Manifest(
        source=str(path),
        lab=document["lab"],
        license=document.get("license"),
        visibility=document.get("visibility", "private"),
        subjects=subjects,
        sessions=tuple(sessions),
    ), problems
