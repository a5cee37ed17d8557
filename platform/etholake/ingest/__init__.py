"""Manifest-driven ingest of videos, pose files and human labels into the lake."""

from etholake.ingest.manifest import Manifest, ManifestError, load_manifest
from etholake.ingest.preflight import SessionPlan, plan_manifest, plan_session
from etholake.ingest.session import SessionOutcome, ingest_session

__all__ = [
    "Manifest",
    "ManifestError",
    "SessionOutcome",
    "SessionPlan",
    "ingest_session",
    "load_manifest",
    "plan_manifest",
    "plan_session",
]
