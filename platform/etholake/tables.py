"""Printing DataFrames on the command line: a rich table, CSV or JSON."""

from __future__ import annotations

import enum
import json
import sys
from collections.abc import Iterable
from datetime import date, datetime

import numpy as np
import pandas as pd
from rich.table import Table

from etholake.console import command_console


class OutputFormat(enum.StrEnum):
    """How a command prints its table."""

    table = "table"
    csv = "csv"
    json = "json"


def cell_text(value: object) -> str:
    """A value as a table cell: floats to 4 significant digits, times to the second, lists and mappings as text."""
    if isinstance(value, float):
        return "" if value != value else f"{value:.4g}"
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} {cell_text(item)}" for key, item in value.items())
    return str(value)


def _json_value(value: object) -> object:
    """A value json cannot encode by itself: numpy scalars as Python ones, dates as ISO 8601 text."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _with_json_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its list and mapping cells as JSON text, which a script can parse (not Python reprs)."""
    nested = [
        column
        for column in frame.columns
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list | tuple | dict)).any()
    ]
    if not nested:
        return frame

    def as_json(value: object) -> object:
        if isinstance(value, list | tuple | dict):
            return json.dumps(value, ensure_ascii=False, default=_json_value)
        return value

    converted = frame.copy()
    for column in nested:
        converted[column] = frame[column].map(as_json)
    return converted


def _json_records(frame: pd.DataFrame) -> str:
    """``frame`` as a JSON list of row objects: floats at full precision, missing values as null, text unescaped."""
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return json.dumps(rows, indent=1, ensure_ascii=False, default=_json_value)


def print_frame(
    frame: pd.DataFrame, output: OutputFormat, *, title: str | None = None, shared: tuple[str, ...] = ()
) -> None:
    """Print ``frame`` as a table (terminal), CSV or JSON records (for scripts).

    Parameters
    ----------
    frame
        The rows to print.
    output
        Table, CSV or JSON.
    title
        The table's title.
    shared
        Columns that, when every row holds the same value, the table prints once below it
        instead of on every row (CSV and JSON keep them).
    """
    if output == OutputFormat.csv:
        _with_json_cells(frame).to_csv(sys.stdout, index=False)
        return
    if output == OutputFormat.json:
        sys.stdout.write(_json_records(frame) + "\n")
        return
    folded = [c for c in shared if c in frame.columns and len(frame) and frame[c].nunique(dropna=False) == 1]
    shown = frame.drop(columns=folded)
    table = Table(*[str(c) for c in shown.columns], title=title)
    for row in shown.itertuples(index=False):
        table.add_row(*[cell_text(value) for value in row])
    console = command_console()
    console.print(table)
    for column in folded:
        console.print(f"{column} (every row): {cell_text(frame[column].iloc[0])}")
    console.print(f"{len(frame)} row(s)")


def print_fields(fields: Iterable[tuple[str, object]], *, title: str | None = None) -> None:
    """Print name-value pairs as a two-column table without header or border (one record, read down)."""
    table = Table(show_header=False, box=None, title=title)
    for name, value in fields:
        table.add_row(name, cell_text(value))
    command_console().print(table)
