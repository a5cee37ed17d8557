"""The ``etholake`` command line.

Each area contributes its commands through a ``register(app)`` function in its
``commands`` module; this module only assembles them and turns etholake errors
into one-line messages with a non-zero exit code.
"""

from __future__ import annotations

import signal
import sys
import warnings
from pathlib import Path
from typing import TextIO

import typer

from etholake import __version__, demo_commands
from etholake.catalog import commands as catalog_commands
from etholake.catalog import lab_commands
from etholake.ingest import commands as ingest_commands
from etholake.jobs import commands as job_commands
from etholake.jobs import model_commands
from etholake.lake import commands as lake_commands
from etholake.report import commands as report_commands
from etholake.sim import commands as sim_commands

PACKAGE_DIR = Path(__file__).parent

app = typer.Typer(
    name="etholake",
    help="Pose tracking to trustworthy, shareable behavior data: ingest, features, models, inference, neural sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"etholake {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version."),
) -> None:
    """etholake: a data lake and batch engine for animal behavior."""


lake_commands.register(app)
ingest_commands.register(app)
job_commands.register(app)
model_commands.register(app)
catalog_commands.register(app)
lab_commands.register(app)
sim_commands.register(app)
report_commands.register(app)
demo_commands.register(app)


class WarningPrinter:
    """Prints each warning etholake raises as one ``warning: ...`` line on stderr, once; others keep Python's format.

    Python's format names the etholake source line that raised it and repeats that
    line, which tells a user of the command nothing; a job that warns the same
    thing for each behavior or task says it once.
    """

    def __init__(self) -> None:
        self.shown: set[str] = set()

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        stream = file or sys.stderr
        if not Path(filename).is_relative_to(PACKAGE_DIR):
            stream.write(warnings.formatwarning(message, category, filename, lineno, line))
        elif str(message) not in self.shown:
            self.shown.add(str(message))
            typer.secho(f"warning: {message}", fg=typer.colors.YELLOW, file=stream)


def _exit_on_termination(signal_number: int, frame: object) -> None:
    """Leave by SystemExit on SIGTERM, so the temporary Prefect server and the local Dask cluster are stopped."""
    raise SystemExit(128 + signal_number)


def run() -> None:
    """Console entry point: etholake errors (and an unreachable or unreadable catalog database) print as
    one line on stderr and exit with code 1.

    Warnings etholake raises print as one line each, once (:class:`WarningPrinter`).
    """
    from sqlalchemy.exc import DatabaseError, DataError, IntegrityError

    from etholake.catalog.engine import database_problem, missing_table, shown_url
    from etholake.config import load_settings
    from etholake.errors import EtholakeError
    from etholake.flowrun import explained_prefect_start_failure

    warnings.showwarning = WarningPrinter()
    signal.signal(signal.SIGTERM, _exit_on_termination)
    try:
        with explained_prefect_start_failure():
            app()
    except EtholakeError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None
    except DatabaseError as error:
        if isinstance(error, (IntegrityError, DataError)):
            raise
        problem = database_problem(error)
        message = (
            f"the catalog {shown_url(load_settings().catalog_url)} has no etholake tables: run `etholake init` first"
            if missing_table(error)
            else f"the catalog database cannot be used: {problem}"
        )
        typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
        raise SystemExit(1) from None
