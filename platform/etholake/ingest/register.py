"""Recording a manifest's lab, subjects and sessions in the catalog, and settling them once the sessions ran."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from etholake.catalog import Catalog, SessionKey
from etholake.ingest.manifest import Manifest
from etholake.ingest.preflight import SessionPlan
from etholake.ingest.session import SessionOutcome


@dataclass
class Registration:
    """What :func:`register_manifest` created (rather than found) in the catalog, and the updates it held back."""

    lab: str
    lab_created: bool = False
    subjects: list[str] = field(default_factory=list)
    sessions: list[SessionKey] = field(default_factory=list)
    subject_updates: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The manifest's metadata of each subject that existed, applied by :func:`settle_registration`."""


def register_manifest(catalog: Catalog, actor: str, manifest: Manifest, plans: list[SessionPlan]) -> Registration:
    """Create the lab, subjects and sessions of ``manifest`` that ``catalog`` does not hold yet.

    Existing subjects and sessions are not changed here: an existing session
    takes the manifest's metadata when its ingest succeeds
    (:func:`etholake.ingest.ingest_session`), an existing subject when
    :func:`settle_registration` finds that not all of its sessions failed. A
    failed ingest so leaves the catalog as it was. Sessions left out as
    unchanged are not registered.

    Returns
    -------
    Registration
        The lab, subjects and sessions that did not exist before, and the held-back subject updates.
    """
    registration = Registration(manifest.lab, lab_created=catalog.create_lab(actor, manifest.lab))
    for name, metadata in manifest.subjects.items():
        if catalog.register_subject(actor, manifest.lab, name, update_existing=False, **metadata):
            registration.subjects.append(name)
        else:
            registration.subject_updates[name] = metadata
    for plan in plans:
        if plan.unchanged:
            continue
        key = SessionKey(manifest.lab, plan.entry.subject, plan.entry.name)
        if catalog.register_session(actor, key, update_existing=False, **plan.session_fields):
            registration.sessions.append(key)
    return registration


def settle_registration(
    catalog: Catalog, actor: str, registration: Registration, outcomes: Sequence[SessionOutcome] | None
) -> None:
    """Once the sessions ran: update the existing subjects, and take back what a failed ingest left empty.

    Parameters
    ----------
    catalog, actor
        Where and as whom the manifest was registered.
    registration
        From :func:`register_manifest`.
    outcomes
        Every session's outcome (of any manifest of the run), or None when the
        run was interrupted before all ended: then no subject is updated (the
        next run does it).

    Notes
    -----
    An existing subject takes the manifest's metadata unless every one of its
    sessions in the run failed. New sessions whose ingest failed hold no asset:
    they are removed, then the new subjects and the new lab that hold nothing.
    Anything holding data stays.
    """
    if outcomes is not None:
        in_lab = [o for o in outcomes if o.session.lab == registration.lab]
        failed = {o.session.subject for o in in_lab if o.status == "failed"}
        only_failed = failed - {o.session.subject for o in in_lab if o.status != "failed"}
        for name, metadata in registration.subject_updates.items():
            if name not in only_failed:
                catalog.register_subject(actor, registration.lab, name, **metadata)
    catalog.remove_empty(
        actor,
        registration.lab,
        sessions=registration.sessions,
        subjects=registration.subjects,
        lab_too=registration.lab_created,
    )
