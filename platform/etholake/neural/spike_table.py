"""Reading plain spike-time tables (one row per spike: unit, time)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import InputFileError
from etholake.neural.containers import Units
from etholake.neural.fixups import warn_fixup


def units_from_spike_table(
    table: pd.DataFrame, *, unit_column: str = "unit", time_column: str = "time", source_file: str = ""
) -> Units:
    """Build :class:`Units` from a long table of spikes.

    Rows with a missing unit or non-finite time are dropped and unsorted spikes sorted,
    each with a warning.
    """
    what = source_file or "spike table"
    missing = [c for c in (unit_column, time_column) if c not in table.columns]
    if missing:
        raise InputFileError(what, f"spike table lacks columns {missing} (columns: {list(table.columns)})")
    times = pd.to_numeric(table[time_column], errors="coerce").to_numpy(dtype=np.float64)
    unit = table[unit_column].to_numpy()
    valid = np.isfinite(times) & pd.notna(unit)
    if not valid.all():
        warn_fixup(f"{what}: dropped {int((~valid).sum())} spikes with no unit or a non-finite time")
        times, unit = times[valid], unit[valid]
    codes, ids = pd.factorize(unit, sort=True)
    order = np.lexsort((times, codes))
    if np.any(order != np.arange(order.size)):
        warn_fixup(f"{what}: spikes were not grouped by unit and sorted in time; sorted them")
    counts = np.bincount(codes, minlength=len(ids))
    metadata = pd.DataFrame(index=pd.Index(np.asarray(ids), name="unit_id"))
    return Units(times[order], np.cumsum(counts), metadata, source_file=source_file)


def read_spike_table(path: str | Path, *, unit_column: str = "unit", time_column: str = "time") -> Units:
    """Read a CSV/TSV or Parquet spike table (columns ``unit``, ``time`` by default)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, sep=None, engine="python")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputFileError(path, f"cannot read the spike table ({exc})") from exc
    return units_from_spike_table(table, unit_column=unit_column, time_column=time_column, source_file=str(path))
