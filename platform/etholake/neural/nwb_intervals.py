"""Reading NWB interval tables (trials, epochs, bouts) with their quirks repaired."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from etholake.errors import InputFileError
from etholake.neural.fixups import repaired_intervals
from etholake.neural.nwb_files import find_nwb_object, open_nwb


def read_nwb_intervals(path: str | Path, name: str = "trials") -> pd.DataFrame:
    """Read an NWB ``TimeIntervals`` table as a DataFrame.

    NaN stop times are filled and overlaps reported as in
    :func:`etholake.neural.fixups.repaired_intervals`; list-valued columns (tags)
    are joined with ``";"`` so the frame can be written to Parquet.

    Parameters
    ----------
    path
        NWB file.
    name
        Table name (``"trials"``, ``"epochs"`` or any table under ``intervals/``).
    """
    with open_nwb(path) as nwbfile:
        table = find_nwb_object(nwbfile, name, path)
        if not hasattr(table, "to_dataframe") or "start_time" not in getattr(table, "colnames", ()):
            raise InputFileError(path, f"{name!r} is not an interval table with start_time/stop_time")
        frame = table.to_dataframe().reset_index()
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(lambda v: isinstance(v, list | tuple)).any():
            frame[column] = frame[column].map(lambda v: ";".join(map(str, v)) if isinstance(v, list | tuple) else v)
    return repaired_intervals(frame, f"{path}:{name}")
