"""Recording a manifest's lab, subjects and sessions in the catalog."""

from __future__ import annotations

from etholake.catalog import Catalog, SessionKey
from etholake.ingest.manifest import Manifest
from etholake.ingest.preflight import SessionPlan


def register_manifest(catalog: Catalog, actor: str, manifest: Manifest, plans: list[SessionPlan]) -> None:
    """Create (or update) the lab, subjects and sessions of ``manifest`` in ``catalog``.

    Sessions left out as unchanged keep their records.
    """
    catalog.create_lab(actor, manifest.lab)
    for name, metadata in manifest.subjects.items():
        catalog.register_subject(actor, manifest.lab, name, **metadata)
    for plan in plans:
        if plan.unchanged:
            continue
        entry = plan.entry
        metadata = entry.metadata
        arena = metadata.get("arena") or {}
        catalog.register_session(
            actor,
            SessionKey(manifest.lab, entry.subject, entry.name),
            start_time=metadata.get("start_time"),
            experimenter=metadata.get("experimenter"),
            protocol=metadata.get("protocol"),
            description=metadata.get("description"),
            fps=plan.fps,
            px_per_mm=metadata.get("px_per_mm"),
            arena_width_mm=arena.get("width_mm"),
            arena_height_mm=arena.get("height_mm"),
            license=manifest.license,
            visibility=metadata.get("visibility", manifest.visibility),
        )
