"""Prefect flow: ingest a manifest.

Copy remote files to a local staging folder and validate everything first
(nothing is written if any problem is found), record lab, subjects and
sessions, then ingest the sessions in parallel: one Prefect task per session
(retried on I/O errors), its work on a Dask worker. The staging folder is
removed when the flow ends.
"""

from __future__ import annotations

from prefect import flow

from etholake.catalog import Catalog
from etholake.config import load_settings
from etholake.fanout import fan_out
from etholake.ingest import SessionOutcome, ingest_session
from etholake.ingest.preflight import checked_manifests
from etholake.ingest.register import register_manifest


def _ingest(plan, lake_url: str, storage_options: dict, catalog_url: str, user: str) -> SessionOutcome:
    return ingest_session(plan, lake_url=lake_url, storage_options=storage_options, catalog_url=catalog_url, user=user)


@flow(name="etholake-ingest")
def ingest_flow(
    manifest_path: str | list[str],
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> list[SessionOutcome]:
    """Ingest every session of one or several manifests; return one outcome per session, in manifest order.

    Every manifest is checked before anything is written; any problem in any of them stops the flow.
    """
    settings = load_settings(lake=lake, catalog=catalog, user=actor)
    paths = [manifest_path] if isinstance(manifest_path, str) else list(manifest_path)
    with checked_manifests(paths, settings, show_progress=show_progress) as checked:
        with Catalog(settings.catalog_url) as opened:
            for manifest, plans in checked:
                register_manifest(opened, settings.user, manifest, plans)
        plans = [plan for _, manifest_plans in checked for plan in manifest_plans]
        calls = [(plan, settings.lake, settings.storage_options, settings.catalog_url, settings.user) for plan in plans]
        labels = [f"{plan.entry.subject}/{plan.entry.name}" for plan in plans]
        return fan_out(_ingest, calls, labels, description="ingest", show_progress=show_progress)
