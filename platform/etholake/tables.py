"""Printing DataFrames on the command line: a rich table, CSV or JSON."""

from __future__ import annotations

import enum
import sys
from datetime import datetime

import pandas as pd
from rich.table import Table

from etholake.console import command_console


class OutputFormat(enum.StrEnum):
    """How a command prints its table."""

    table = "table"
    csv = "csv"
    json = "json"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {_cell(item)}" for key, item in value.items())
    return str(value)


def print_frame(frame: pd.DataFrame, output: OutputFormat, *, title: str | None = None) -> None:
    """Print ``frame`` as a table (terminal), CSV or JSON records (for scripts)."""
    if output == OutputFormat.csv:
        frame.to_csv(sys.stdout, index=False)
        return
    if output == OutputFormat.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", indent=1) + "\n")
        return
    table = Table(*[str(c) for c in frame.columns], title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(value) for value in row])
    console = command_console()
    console.print(table)
    console.print(f"{len(frame)} row(s)")
