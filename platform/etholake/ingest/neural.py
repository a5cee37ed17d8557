"""Reading the ``neural:`` entries of a manifest into lake datasets.

Kinds: ``units`` (NWB Units table, or a spike table CSV/Parquet with ``format:
spike_table``), ``pulses`` (TTL/sync pulse times from NWB, CSV or NPY; the NWB
series name in ``options.name``), ``frame_times`` (camera timestamps, CSV/NPY/BIN)
and ``calcium`` (NWB RoiResponseSeries named ``options.name``, or suite2p
``F.npy`` with ``options.iscell`` and ``options.frame_rate``). Every entry names
the clock its times are on (``clock``); warnings raised by the readers about
fixed-up input (unsorted times, NaN stop times) are kept as session notes.
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from etholake.errors import InputFileError
from etholake.ingest.manifest import FileEntry


def read_neural_entry(entry: FileEntry) -> tuple[str, xr.Dataset]:
    """Read one neural entry; return its identity (``kind:clock:name``) and dataset."""
    from etholake.neural import read_frame_times, read_nwb_roi_response, read_nwb_units, read_pulses, read_suite2p
    from etholake.neural.datasets import times_to_dataset, traces_to_dataset, units_to_dataset
    from etholake.neural.spike_table import read_spike_table

    kind = entry.extra["kind"]
    clock = entry.extra.get("clock") or ("camera" if kind == "frame_times" else "neural")
    options = dict(entry.options)
    name = options.get("name", "")
    fmt = entry.format or Path(entry.path).suffix.lstrip(".").lower()
    if kind == "units":
        units = (
            read_spike_table(entry.path)
            if fmt in ("spike_table", "csv", "tsv", "parquet")
            else read_nwb_units(entry.path)
        )
        dataset = units_to_dataset(units)
        dataset.attrs["clock"] = clock
    elif kind == "pulses":
        times = read_pulses(entry.path, name or None, **{k: v for k, v in options.items() if k != "name"})
        dataset = times_to_dataset(times, clock=clock, what="pulses", source_file=entry.path)
    elif kind == "frame_times":
        times = read_frame_times(entry.path, options.get("column"))
        dataset = times_to_dataset(times, clock=clock, what="frame_times", source_file=entry.path)
    elif kind == "calcium":
        if fmt in ("suite2p", "npy"):
            if "frame_rate" not in options:
                raise InputFileError(
                    entry.path,
                    "suite2p fluorescence needs options.frame_rate (suite2p's ops.npy "
                    "is a pickle etholake does not open)",
                )
            iscell = entry.companions.get("iscell")
            traces = read_suite2p(entry.path, iscell and iscell.path, frame_rate=float(options["frame_rate"]))
        else:
            traces = read_nwb_roi_response(entry.path, name)
        traces.attrs["clock"] = clock
        dataset = traces_to_dataset(traces)
    else:
        raise InputFileError(entry.path, f"unknown neural kind {kind!r}")
    return f"{kind}:{clock}:{name}", dataset
