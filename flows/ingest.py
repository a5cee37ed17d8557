"""Prefect flow: ingest a manifest.

Leave out the sessions whose manifest entry and file stamps are those of their
last ingest (nothing of them is copied or read), copy the other sessions'
remote files to a local staging folder and validate everything (nothing is
written if any problem is found), record lab, subjects and sessions, then
ingest the sessions in parallel: one Prefect task per session (retried on I/O
errors), its work on a Dask worker, an existing session taking the manifest's
metadata only if its ingest succeeds; then update the existing subjects unless
all their sessions failed, take back the new sessions whose ingest failed (and
a new subject or lab left empty), and summarise the reused label sets that
have no summary yet (ingested by an older etholake). The staging folder is
removed when the flow ends.
"""

from __future__ import annotations

from collections.abc import Collection

from prefect import flow

from etholake.catalog import Catalog, SessionKey
from etholake.catalog.migrate import is_current
from etholake.config import Settings, load_settings
from etholake.fanout import fan_out
from etholake.ingest import SessionOutcome, ingest_session
from etholake.ingest.label_summaries import summarise_unsummarised_label_sets
from etholake.ingest.manifest import Manifest
from etholake.ingest.preflight import SessionPlan, checked_manifests
from etholake.ingest.register import register_manifest, settle_registration
from etholake.ingest.session import fill_unchanged
from etholake.ingest.staging import Staging
from etholake.ingest.stamps import unchanged_sessions
from etholake.lake import Lake


def _ingest(plan, lake_url: str, storage_options: dict, catalog_url: str, user: str) -> SessionOutcome:
    return ingest_session(plan, lake_url=lake_url, storage_options=storage_options, catalog_url=catalog_url, user=user)


def _unchanged_finder(settings: Settings):
    """Given a manifest, its sessions recorded with the same entry and file stamps (none before the catalog exists)."""

    def unchanged(manifest: Manifest, staging: Staging) -> Collection[SessionKey]:
        if not is_current(settings.catalog_url):
            return set()
        with Catalog(settings.catalog_url, migrate_schema=False) as opened:
            return unchanged_sessions(opened, settings.user, manifest, staging.remote_stamps)

    return unchanged


def _left_out_outcome(catalog: Catalog, user: str, plan: SessionPlan) -> SessionOutcome:
    outcome = SessionOutcome(SessionKey(plan.lab, plan.entry.subject, plan.entry.name))
    fill_unchanged(catalog.session(user, outcome.session)["extra"] or {}, outcome)
    return outcome


@flow(name="etholake-ingest")
def ingest_flow(
    manifest_path: str | list[str],
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
    rehash: bool = False,
) -> list[SessionOutcome]:
    """Ingest every session of one or several manifests; return one outcome per session, in manifest order.

    Every manifest is checked before anything is written; any problem in any of them stops the flow.
    With ``rehash``, no session is left out for its stamps: every file is hashed (a file changed
    without changing its size or modification time is then found).
    """
    settings = load_settings(lake=lake, catalog=catalog, user=actor)
    paths = [manifest_path] if isinstance(manifest_path, str) else list(manifest_path)
    unchanged = None if rehash else _unchanged_finder(settings)
    with checked_manifests(paths, settings, show_progress=show_progress, unchanged=unchanged) as checked:
        with Catalog(settings.catalog_url) as opened:
            registrations = [register_manifest(opened, settings.user, manifest, plans) for manifest, plans in checked]
            plans = [plan for _, manifest_plans in checked for plan in manifest_plans]
            left_out = {id(plan): _left_out_outcome(opened, settings.user, plan) for plan in plans if plan.unchanged}
        todo = [plan for plan in plans if not plan.unchanged]
        calls = [(plan, settings.lake, settings.storage_options, settings.catalog_url, settings.user) for plan in todo]
        labels = [f"{plan.entry.subject}/{plan.entry.name}" for plan in todo]
        outcomes: list[SessionOutcome] | None = None
        try:
            ingested = iter(fan_out(_ingest, calls, labels, description="ingest", show_progress=show_progress))
            outcomes = [left_out[id(plan)] if plan.unchanged else next(ingested) for plan in plans]
        finally:
            with Catalog(settings.catalog_url, migrate_schema=False) as opened:
                for registration in registrations:
                    settle_registration(opened, settings.user, registration, outcomes)
    with Catalog(settings.catalog_url, migrate_schema=False) as opened:
        summarise_unsummarised_label_sets(
            Lake(settings.lake, settings.storage_options), opened, settings.user, outcomes
        )
    return outcomes
