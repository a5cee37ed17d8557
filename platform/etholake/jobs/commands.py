"""CLI commands that run pipeline steps over the lake: ``features``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from etholake.catalog import SessionKey
from etholake.errors import EtholakeError

console = Console()


def parse_session_key(text: str) -> SessionKey:
    """Read ``lab/subject/session`` into a SessionKey."""
    parts = text.split("/")
    if len(parts) != 3:
        raise EtholakeError(f"session {text!r} must be written lab/subject/session")
    return SessionKey(*parts)


def features(
    spec: str = typer.Option("default", help="Feature set: default, simba, jaaba, or a spec file."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    session: list[str] = typer.Option([], help="Only these sessions (lab/subject/session); repeatable."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Compute a feature set for every session with pose (up-to-date sessions are skipped)."""
    from etholake.flowrun import quiet_prefect

    quiet_prefect()
    from etholake.flows.features import features_flow

    keys = [parse_session_key(s) for s in session] or None
    outcomes = features_flow(spec=spec, sessions=keys, lab=lab, show_progress=progress)
    table = Table("session", "features asset", "status", "frames", "frames/s")
    for outcome in outcomes:
        rate = f"{outcome.frames / outcome.seconds:,.0f}" if outcome.computed and outcome.seconds else ""
        table.add_row(
            str(outcome.session),
            outcome.asset_id,
            "computed" if outcome.computed else "up to date",
            f"{outcome.frames:,}",
            rate,
        )
    console.print(table)
    computed = sum(o.computed for o in outcomes)
    console.print(f"{len(outcomes)} session(s): {computed} computed, {len(outcomes) - computed} already up to date")


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the etholake CLI."""
    app.command()(features)
