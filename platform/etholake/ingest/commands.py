"""CLI command ``etholake ingest``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from etholake.ingest.session import SessionOutcome

console = Console()


def summary_table(outcomes: list[SessionOutcome]) -> Table:
    """One row per session: status, assets created and reused, QC notes or the error."""
    table = Table("session", "status", "created", "reused", "notes")
    for outcome in outcomes:
        notes = outcome.error or "; ".join(outcome.notes)
        colour = {"failed": "red", "ingested": "green", "unchanged": "dim"}[outcome.status]
        table.add_row(
            str(outcome.session),
            f"[{colour}]{outcome.status}[/{colour}]",
            str(len(outcome.created)),
            str(len(outcome.reused)),
            notes,
        )
    return table


def ingest(
    manifest: list[Path] = typer.Argument(..., help="Manifest file(s) (JSON or YAML, schemas/manifest.v1.json)."),
    lake: str | None = typer.Option(None, help="Lake URL (default: ETHOLAKE_LAKE or ./lake)."),
    catalog: str | None = typer.Option(None, help="Catalog URL (default: ETHOLAKE_CATALOG or inside the lake)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Validate manifests, then ingest their videos, pose files, labels and neural data into the lake."""
    from etholake.flowrun import quiet_prefect

    quiet_prefect()
    from etholake.flows.ingest import ingest_flow

    outcomes = ingest_flow([str(m) for m in manifest], lake=lake, catalog=catalog, show_progress=progress)
    console.print(summary_table(outcomes))
    created = sum(len(o.created) for o in outcomes)
    failed = [o for o in outcomes if o.error]
    console.print(f"{len(outcomes)} session(s): {created} asset(s) created, {len(failed)} failed")
    if failed:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the etholake CLI."""
    app.command()(ingest)
