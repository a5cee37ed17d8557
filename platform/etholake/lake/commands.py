"""CLI commands for the lake and catalog: ``init``, ``info``, ``gc``."""

from __future__ import annotations

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from etholake.catalog.engine import database_problem, shown_url
from etholake.config import Settings, load_settings
from etholake.console import command_console
from etholake.errors import ConfigError
from etholake.flowrun import prefect_server_status
from etholake.lake.store import Lake
from etholake.names import validate_name

console = command_console()


def _human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size} B"


def init(
    lab: str | None = typer.Option(None, help="Also create this lab, with you as its owner."),
    lake: str | None = typer.Option(None, help="Lake URL (default: ETHOLAKE_LAKE or ./lake)."),
) -> None:
    """Create the lake folder and the catalog (and optionally a lab)."""
    from etholake.catalog.catalog import Catalog

    if lab:
        validate_name(lab, "lab")
    settings = load_settings(lake=lake)
    lake_store = Lake(settings.lake, settings.storage_options)
    lake_store.require_reachable(create=True)
    with Catalog(settings.catalog_url) as catalog:
        catalog.add_user(settings.user)
        if lab:
            catalog.create_lab(settings.user, lab)
    console.print(f"lake    {lake_store.uri('')}")
    console.print(f"catalog {shown_url(settings.catalog_url)}")
    if lab:
        console.print(f"lab     {lab} (owner: {settings.user})")


def _check_lake(settings: Settings) -> str:
    Lake(settings.lake, settings.storage_options).require_reachable()
    return "reachable"


def _check_catalog(settings: Settings) -> str:
    from etholake.catalog.catalog import Catalog
    from etholake.catalog.migrate import current_revision, head_revision

    catalog = Catalog(settings.catalog_url, migrate_schema=False)
    try:
        with catalog.engine.connect() as connection:
            revision = current_revision(connection)
    finally:
        catalog.close()
    head = head_revision()
    if revision is None:
        return "reachable, empty (run `etholake init`)"
    return f"reachable, schema {revision}" + ("" if revision == head else f" (etholake expects {head})")


def _check_dask(settings: Settings) -> str:
    if not settings.dask_address:
        return f"local cluster of {settings.dask_workers} worker processes (started on demand)"
    from distributed import Client

    with Client(settings.dask_address, timeout=5, set_as_default=False) as dask_client:
        workers = len(dask_client.scheduler_info()["workers"])
    return f"reachable, {workers} workers"


def _check_prefect(settings: Settings) -> str:
    if not settings.prefect_api_url:
        return "no server: flows run on a temporary local API"
    return prefect_server_status(settings.prefect_api_url)


def _problem(error: Exception) -> str:
    if isinstance(error, DBAPIError):
        return f"unreachable: {database_problem(error)}"
    if isinstance(error, ConfigError):
        return str(error)
    return f"unreachable: {type(error).__name__}: {error}"


def info() -> None:
    """Show the lake, catalog, Dask and Prefect settings and whether each is reachable."""
    settings = load_settings()
    table = Table("service", "setting", "status")
    rows = [
        ("lake", settings.lake, _check_lake),
        ("catalog", shown_url(settings.catalog_url), _check_catalog),
        ("dask", settings.dask_address or "local", _check_dask),
        ("prefect", settings.prefect_api_url or "ephemeral", _check_prefect),
    ]
    unreachable = 0
    for service, setting, check in rows:
        try:
            status = check(settings)
        except Exception as error:
            status = Text(_problem(error), style="red")
            unreachable += 1
        table.add_row(service, setting, status)
    table.add_row("user", settings.user, "")
    console.print(table)
    if unreachable:
        raise typer.Exit(code=1)


def gc(
    delete: bool = typer.Option(False, "--delete", help="Remove the orphans (default: only list them)."),
    min_age: float = typer.Option(
        3600.0, help="Seconds: ignore files changed more recently (a publish may still be under way)."
    ),
) -> None:
    """List (or remove) lake files that no catalog row references.

    Only the orphans of labs the user may write to (owner or member) are listed and removed;
    the others are counted per lab, as their paths name the lab's subjects and sessions.
    """
    from etholake.catalog.catalog import Catalog
    from etholake.lake.gc import find_orphans, remove_orphans

    settings = load_settings()
    lake = Lake(settings.lake, settings.storage_options)
    with Catalog(settings.catalog_url, create=False) as catalog:
        orphans = find_orphans(lake, catalog, min_age_seconds=min_age)
        writable = catalog.writable_labs(settings.user)
    removable = [orphan for orphan in orphans if orphan.lab in writable]
    for orphan in removable:
        console.print(f"{orphan.path}\t{_human_bytes(orphan.size_bytes)}")
    if delete:
        freed = remove_orphans(lake, removable)
        console.print(f"removed {len(removable)} orphaned asset(s), freed {_human_bytes(freed)}")
    else:
        total = _human_bytes(sum(o.size_bytes for o in removable))
        console.print(f"{len(removable)} orphaned asset(s), {total}; dry run, use --delete to remove them")
    others = sorted({orphan.lab for orphan in orphans if orphan.lab not in writable})
    if others:
        console.print(
            f"{len(orphans) - len(removable)} orphaned asset(s) in labs {settings.user} may not write to "
            f"({', '.join(others)}) left alone: their members can list and remove them"
        )


def register(app: typer.Typer) -> None:
    """Add the lake commands to the etholake CLI."""
    app.command()(init)
    app.command()(info)
    app.command()(gc)
