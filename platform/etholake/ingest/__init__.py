"""Manifest-driven ingest of videos, pose files and human labels into the lake (names load on first use)."""

from etholake.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        "etholake.ingest.manifest": ("Manifest", "ManifestError", "load_manifest"),
        "etholake.ingest.preflight": ("SessionPlan", "plan_manifest", "plan_session"),
        "etholake.ingest.session": ("SessionOutcome", "ingest_session"),
    },
)
