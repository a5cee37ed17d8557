"""Ingest manifests of simulated labs, validated against ``manifest.v1.json``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import jsonschema

import etholake
from etholake.errors import SchemaError
from etholake.sim.labs import LabProfile

MANIFEST_SCHEMA = Path(etholake.__file__).parent / "schemas" / "manifest.v1.json"


@lru_cache(maxsize=1)
def manifest_schema() -> dict:
    """The ingest manifest JSON Schema shipped with etholake."""
    return json.loads(MANIFEST_SCHEMA.read_text())


def validate_manifest(manifest: dict) -> dict:
    """Return ``manifest`` if it follows ``manifest.v1.json``, else raise :class:`SchemaError`."""
    try:
        jsonschema.validate(manifest, manifest_schema())
    except jsonschema.ValidationError as error:
        location = "/".join(str(part) for part in error.absolute_path) or "(root)"
        lab = manifest.get("lab")
        raise SchemaError(f"manifest of lab {lab!r} is invalid at {location}: {error.message}") from None
    return manifest


def build_manifest(lab: LabProfile, sessions: Iterable[dict], subjects: Iterable[dict]) -> dict:
    """One lab's submission: its subjects and sessions, sorted by name, validated.

    Parameters
    ----------
    lab
        The lab.
    sessions
        Manifest session entries (paths relative to the lab folder).
    subjects
        Manifest subject entries; duplicates (by name) are kept once.

    Returns
    -------
    dict
    """
    unique_subjects = {subject["name"]: subject for subject in subjects}
    manifest = {
        "manifest_version": 1,
        "lab": lab.name,
        "license": lab.license,
        "visibility": "shared",
        "subjects": [unique_subjects[name] for name in sorted(unique_subjects)],
        "sessions": sorted(sessions, key=lambda session: session["name"]),
    }
    return validate_manifest(manifest)


def write_manifest(path: str | Path, manifest: dict) -> Path:
    """Write a manifest as indented JSON."""
    path = Path(path)
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path
