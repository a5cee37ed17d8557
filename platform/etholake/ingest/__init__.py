"""Manifest-driven ingest of videos, pose files and human labels into the lake (names load on first use)."""

from etholake.lazy_exports import lazy_exports

_EXPORTS = {
    "Manifest": "etholake.ingest.manifest",
    "ManifestError": "etholake.ingest.manifest",
    "SessionOutcome": "etholake.ingest.session",
    "SessionPlan": "etholake.ingest.preflight",
    "ingest_session": "etholake.ingest.session",
    "load_manifest": "etholake.ingest.manifest",
    "plan_manifest": "etholake.ingest.preflight",
    "plan_session": "etholake.ingest.preflight",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
