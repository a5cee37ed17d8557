"""CLI command ``etholake report``."""

from __future__ import annotations

from pathlib import Path

import typer

from etholake.console import command_console
from etholake.errors import EtholakeError

console = command_console()


def report(
    out: Path = typer.Option(Path("etholake-report"), "--out", "-o", help="Folder for the HTML pages."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions and the models they use."),
    lake: str | None = typer.Option(None, help="Lake URL (default: ETHOLAKE_LAKE or ./lake)."),
    screenshots: bool = typer.Option(
        False, help="Also open every page in headless Chromium, save PNG screenshots and check images and console."
    ),
) -> None:
    """Write the report site (summary, labs, models, ethograms, neural, sync) as self-contained HTML pages."""
    from etholake.jobs.context import command_context
    from etholake.report.site import build_site

    index = build_site(command_context(lake=lake), out, lab=lab)
    console.print(f"report  {index}")
    if screenshots:
        from etholake.report.browser import check_pages

        checks = check_pages(sorted(index.parent.glob("*.html")), index.parent / "screenshots")
        for check in checks:
            problems = check.broken_images + check.console_errors
            console.print(f"  {check.screenshot}  {check.images} images  {'ok' if check.ok else '; '.join(problems)}")
        if not all(check.ok for check in checks):
            raise EtholakeError("some report pages have broken images or console errors (see above)")


def register(app: typer.Typer) -> None:
    """Add ``report`` to the etholake CLI."""
    app.command()(report)
