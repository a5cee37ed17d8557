"""Recording a manifest's lab, subjects and sessions in the catalog, and taking back what stayed empty."""

from __future__ import annotations

from dataclasses import dataclass, field

from etholake.catalog import Catalog, SessionKey
from etholake.ingest.manifest import Manifest
from etholake.ingest.preflight import SessionPlan


@dataclass
class Registration:
    """What :func:`register_manifest` created (rather than found) in the catalog."""

    lab: str
    lab_created: bool = False
    subjects: list[str] = field(default_factory=list)
    sessions: list[SessionKey] = field(default_factory=list)


def register_manifest(catalog: Catalog, actor: str, manifest: Manifest, plans: list[SessionPlan]) -> Registration:
    """Create (or update) the lab, subjects and sessions of ``manifest`` in ``catalog``.

    Sessions left out as unchanged keep their records.

    Returns
    -------
    Registration
        The lab, subjects and sessions that did not exist before.
    """
    registration = Registration(manifest.lab, lab_created=catalog.create_lab(actor, manifest.lab))
    for name, metadata in manifest.subjects.items():
        if catalog.register_subject(actor, manifest.lab, name, **metadata):
            registration.subjects.append(name)
    for plan in plans:
        if plan.unchanged:
            continue
        entry = plan.entry
        metadata = entry.metadata
        arena = metadata.get("arena") or {}
        key = SessionKey(manifest.lab, entry.subject, entry.name)
        created = catalog.register_session(
            actor,
            key,
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
        if created:
            registration.sessions.append(key)
    return registration


def take_back_empty(catalog: Catalog, actor: str, registration: Registration) -> None:
    """Remove what ``registration`` created and no ingest filled: a failed new session leaves no trace.

    Sessions whose ingest failed hold no asset; subjects and the lab that then
    hold nothing go too. Anything holding data stays.
    """
    catalog.remove_empty(
        actor,
        registration.lab,
        sessions=registration.sessions,
        subjects=registration.subjects,
        lab_too=registration.lab_created,
    )
