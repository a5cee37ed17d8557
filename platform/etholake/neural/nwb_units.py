"""Reading spike-sorted units (spike times, unit metadata, electrode locations) from NWB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etholake.errors import InputFileError
from etholake.neural.containers import Units
from etholake.neural.fixups import warn_fixup
from etholake.neural.nwb_files import open_nwb

RAGGED_OR_OBJECT_COLUMNS = ("spike_times", "obs_intervals", "electrodes", "waveforms", "waveform_mean", "waveform_sd")
ELECTRODE_COLUMNS = ("x", "y", "z", "location", "group_name")


def read_nwb_units(path: str | Path) -> Units:
    """Read the units table of an NWB file.

    Scalar unit columns (depth, quality, cell type, ...) become metadata columns;
    when a unit references electrodes, the first electrode's ``x, y, z``, ``location``
    and ``group_name`` are added as ``electrode_*`` columns, and an ``electrode_group``
    reference adds ``electrode_group`` and ``electrode_group_location``. A unit without a
    ``location`` of its own takes its electrode's, else its electrode group's; a location
    written as ``"brain_region: ALM; brain_subregion: ..."`` becomes its ``brain_region``.
    Spike times that are not sorted within a unit are sorted, with a warning.

    Parameters
    ----------
    path
        NWB file with a ``units`` table.

    Returns
    -------
    Units
        Spike times on the file's (neural) clock.

    Raises
    ------
    InputFileError
        If the file has no units table or it cannot be read.
    """
    with open_nwb(path) as nwbfile:
        table = nwbfile.units
        if table is None or len(table) == 0:
            raise InputFileError(path, "has no units table (or it is empty)")
        if "spike_times" not in table.colnames:
            raise InputFileError(path, "units table has no spike_times column")
        flat = np.asarray(table.spike_times.data[:], dtype=np.float64)
        index = np.asarray(table["spike_times"].data[:], dtype=np.int64)
        ids = np.asarray(table.id.data[:])
        resolution = getattr(table, "resolution", None)
        metadata = pd.DataFrame(index=pd.Index(ids, name="unit_id"))
        for column in table.colnames:
            if column in RAGGED_OR_OBJECT_COLUMNS or column == "electrode_group":
                continue
            values = table[column].data[:]
            if np.ndim(values) == 1 and len(values) == len(ids):
                metadata[column] = _decoded(values)
        if "electrodes" in table.colnames and nwbfile.electrodes is not None:
            metadata = metadata.join(_first_electrode_columns(table, nwbfile.electrodes, ids))
        if "electrode_group" in table.colnames:
            groups = table["electrode_group"].data[:]
            metadata["electrode_group"] = [getattr(g, "name", str(g)) for g in groups]
            metadata["electrode_group_location"] = [getattr(g, "location", "") for g in groups]
    if {"electrode_location", "electrode_group_location"} & set(metadata.columns):
        metadata["location"] = _unit_locations(metadata)
    if not np.all(np.isfinite(flat)):
        raise InputFileError(path, f"units table has {int(np.sum(~np.isfinite(flat)))} non-finite spike times")
    flat = _sorted_within_units(flat, index, str(path))
    attrs = {"resolution": float(resolution)} if resolution and resolution > 0 else {}
    return Units(flat, index, metadata, clock="neural", source_file=str(path), attrs=attrs)


def _unit_locations(metadata: pd.DataFrame) -> list[str]:
    """Each unit's own location, else its electrode's, else its electrode group's (first non-empty)."""
    sources = [c for c in ("location", "electrode_location", "electrode_group_location") if c in metadata.columns]
    texts = metadata[sources].fillna("").astype(str).map(str.strip)
    return [next((_brain_region(text) for text in row if text), "") for row in texts.itertuples(index=False)]


def _brain_region(location: str) -> str:
    """The ``brain_region`` of a ``"key: value; key: value"`` location, else the text itself."""
    fields = dict(part.split(":", 1) for part in location.split(";") if ":" in part)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    return fields.get("brain_region") or location


def _decoded(values) -> list | np.ndarray:
    values = np.asarray(values)
    if values.dtype.kind in "SO":
        return [v.decode() if isinstance(v, bytes) else v for v in values]
    return values


def _first_electrode_columns(table, electrodes, ids: np.ndarray) -> pd.DataFrame:
    electrode_table = electrodes.to_dataframe()
    wanted = [c for c in ELECTRODE_COLUMNS if c in electrode_table.columns]
    ragged = table["electrodes"]
    rows = []
    for position in range(len(ids)):
        referenced = ragged[position]
        rows.append(referenced.iloc[0][wanted] if len(referenced) else pd.Series(index=wanted, dtype=object))
    frame = pd.DataFrame(rows).reset_index(drop=True)
    frame.columns = [f"electrode_{c}" for c in wanted]
    frame.index = pd.Index(ids, name="unit_id")
    return frame


def _sorted_within_units(flat: np.ndarray, index: np.ndarray, what: str) -> np.ndarray:
    unit = np.repeat(np.arange(len(index)), np.diff(np.concatenate([[0], index])))
    order = np.lexsort((flat, unit))
    if np.any(order != np.arange(len(flat))):
        warn_fixup(f"{what}: spike times were not sorted within units; sorted them")
        return flat[order]
    return flat
