"""Prefect flow: ingest a manifest.

Validate everything first (nothing is written if any problem is found), record
lab, subjects and sessions, then ingest the sessions in parallel: one Prefect
task per session (retried on I/O errors), its work running on a Dask worker.
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from etholake.catalog import Catalog
from etholake.compute import client
from etholake.config import load_settings
from etholake.ingest import ManifestError, SessionOutcome, SessionPlan, ingest_session, load_manifest, plan_manifest
from etholake.ingest.register import register_manifest
from etholake.progress import progress_bar


@task(retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def ingest_one(
    plan: SessionPlan, lake_url: str, storage_options: dict, catalog_url: str, user: str, scheduler: str
) -> SessionOutcome:
    """Ingest one session on the Dask cluster at ``scheduler``."""
    from distributed import Client

    with Client(scheduler, set_as_default=False) as dask_client:
        future = dask_client.submit(
            ingest_session,
            plan,
            lake_url=lake_url,
            storage_options=storage_options,
            catalog_url=catalog_url,
            user=user,
            pure=False,
        )
        return future.result()


@flow(name="etholake-ingest", log_prints=True)
def ingest_flow(
    manifest_path: str,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> list[SessionOutcome]:
    """Ingest every session of a manifest; return one outcome per session."""
    settings = load_settings(lake=lake, catalog=catalog, user=actor)
    manifest = load_manifest(Path(manifest_path))
    plans, problems = plan_manifest(manifest)
    if problems:
        raise ManifestError(manifest.source, problems)
    with Catalog(settings.catalog_url) as opened:
        register_manifest(opened, settings.user, manifest, plans)
    outcomes = []
    with client() as dask_client:
        futures = [
            ingest_one.submit(
                plan,
                settings.lake,
                settings.storage_options,
                settings.catalog_url,
                settings.user,
                dask_client.scheduler.address,
            )
            for plan in plans
        ]
        with progress_bar("ingest", total=len(futures), enabled=show_progress) as advance:
            for future in as_completed(futures):
                outcomes.append(future.result())
                advance()
    order = {plan.entry.name: index for index, plan in enumerate(plans)}
    return sorted(outcomes, key=lambda outcome: order[outcome.session.session])
