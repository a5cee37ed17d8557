"""CLI command ``etholake demo``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from etholake.console import command_console
from etholake.demo import DEMO_USER, SIZES, run_demo

console = command_console()


def demo(
    out: Path = typer.Option(Path("etholake-demo"), help="Folder for simulated data, lake, NWB file and report."),
    size: str = typer.Option("default", help=f"Size: {', '.join(SIZES)}."),
    seed: int = typer.Option(0, help="Simulation seed."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Run the whole pipeline on three simulated labs, on this machine, in a few minutes."""
    result = run_demo(out, size, seed, console=console, progress=progress)
    table = Table("stage", "result", "reused", "seconds", title="etholake demo")
    for stage in result.stages:
        table.add_row(stage.name, stage.result, "yes" if stage.reused else "", f"{stage.seconds:.1f}")
    console.print(table)
    for name, frame in result.queries.items():
        console.print(name, style="bold")
        console.print(frame.head(8).to_string(index=False) if len(frame) else "  (none)")
    console.print(
        f"\nlake     {result.lake}\ncatalog  {result.catalog}\nNWB      {result.nwb}\nreport   {result.report}"
    )
    explore = f"ETHOLAKE_LAKE={result.lake} ETHOLAKE_USER={DEMO_USER} etholake query sessions --behavior attack"
    console.print(f"Explore (as the demo's user, the owner of its labs): {explore}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the etholake CLI."""
    app.command()(demo)
