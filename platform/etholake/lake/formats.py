"""Writing and reading the lake's asset formats: Zarr v3 datasets, Parquet tables, JSON documents.

Datasets are chunked along ``time`` only (:data:`TIME_CHUNK` frames a chunk); every
other dimension is one chunk. Two codecs: ``compact`` (zstd level 1, byte-shuffled) for
what is written once and kept (pose, labels, annotations), ``fast`` (lz4, byte-shuffled,
faster to write, larger) for bulky derived arrays such as features. ``fast`` also stores
2-D (time, x) variables x-major (a Zarr transpose filter), which is how the feature
engine lays them out in memory, so writing them needs no transposing copy. Every chunk
is written, even an all-NaN one (skipping those costs a full comparison per chunk).
String coordinates are stored as variable-length strings (Zarr v3 rejects fixed-width ``<U``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dask
import dask.base
import dask.system
import dask.threaded
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import xarray as xr
import zarr
from zarr.codecs import BloscCodec, TransposeCodec

TIME_CHUNK = 1 << 16
COMPRESSORS = {
    "compact": BloscCodec(cname="zstd", clevel=1, shuffle="shuffle"),
    "fast": BloscCodec(cname="lz4", clevel=1, shuffle="shuffle"),
}


def _plain_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes made JSON-safe (Paths and numpy scalars become plain values)."""
    return json.loads(json.dumps(attrs, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def prepare_dataset(
    ds: xr.Dataset, time_chunk: int = TIME_CHUNK, codec: str = "compact"
) -> tuple[xr.Dataset, dict[str, dict]]:
    """Return ``ds`` ready for Zarr v3 and its per-variable encoding.

    String coordinates become object arrays, attributes become JSON-safe, dask
    chunks are aligned with the Zarr chunks (one chunk per ``time_chunk`` frames).
    ``codec`` is a key of :data:`COMPRESSORS`.
    """
    compressor = COMPRESSORS[codec]
    ds = ds.copy()
    ds.attrs = _plain_attrs(ds.attrs)
    for name in list(ds.variables):
        variable = ds[name]
        variable.attrs = _plain_attrs(variable.attrs)
        if variable.dtype.kind in "UST":
            ds[name] = variable.astype(object)

    encoding: dict[str, dict] = {}
    for name, variable in ds.variables.items():
        chunks = tuple(
            min(time_chunk, size) if dim == "time" else size for dim, size in zip(variable.dims, variable.shape)
        )
        entry: dict[str, Any] = {}
        if variable.dtype.kind != "O" and variable.ndim > 0:
            entry["compressors"] = (compressor,)
            if codec == "fast" and variable.dims[:1] == ("time",) and variable.ndim == 2:
                entry["filters"] = (TransposeCodec(order=(1, 0)),)
        if variable.ndim > 0 and all(c > 0 for c in chunks):
            entry["chunks"] = chunks
        encoding[name] = entry
        variable.encoding = {}
    if ds.chunks and "time" in ds.dims:
        ds = ds.chunk({"time": min(time_chunk, max(ds.sizes["time"], 1))})
        for name, variable in ds.variables.items():
            if variable.dtype.kind == "O" and variable.chunks is not None:
                ds[name] = variable.compute()
    return ds, encoding


def write_zarr(
    ds: xr.Dataset,
    uri: str,
    storage_options: dict[str, Any],
    time_chunk: int = TIME_CHUNK,
    *,
    codec: str = "compact",
    companions: Sequence[Any] = (),
) -> list[Any]:
    """Write ``ds`` as a new Zarr v3 store at ``uri`` and compute ``companions`` in the same ``dask.compute``.

    Fails if something is at ``uri``. xarray's own writer optimises its sources on its
    own, so a task shared with a companion (a features chunk that is also predicted
    on) would run twice; here each dask variable's chunks are written by tasks of the
    same graph as the companions, so every shared task runs once.

    Returns
    -------
    list
        The computed companions, in order.
    """
    prepared, encoding = prepare_dataset(ds, time_chunk, codec)
    lazy = [name for name, variable in prepared.variables.items() if variable.chunks is not None]
    prepared.to_zarr(
        uri,
        mode="w-",
        zarr_format=3,
        consolidated=False,
        encoding=encoding,
        storage_options=storage_options or None,
        compute=False,
        write_empty_chunks=True,
    )
    writes = [
        prepared[name].data.map_blocks(
            _store_block,
            uri=uri,
            variable=name,
            storage_options=storage_options or None,
            dtype=bool,
            chunks=tuple((1,) * len(sizes) for sizes in prepared[name].data.chunks),
            meta=np.empty((0,) * prepared[name].ndim, dtype=bool),
        )
        for name in lazy
    ]
    return list(_compute_to_the_end(*writes, *companions)[len(writes) :])


def _compute_to_the_end(*collections: Any) -> tuple[Any, ...]:
    """``dask.compute``; on the local threaded scheduler, blocks still being written finish before an error is raised.

    Otherwise a block that another thread is writing when one block fails can
    land after the caller has removed the failed store, and leave an orphan.
    """
    if dask.base.get_scheduler(collections=list(collections)) is not dask.threaded.get:
        return dask.compute(*collections)
    with ThreadPoolExecutor(max_workers=dask.system.CPU_COUNT) as pool:
        return dask.compute(*collections, scheduler="threads", pool=pool)


def _store_block(
    block: np.ndarray, uri: str, variable: str, storage_options: dict[str, Any] | None, block_info: dict | None = None
) -> np.ndarray:
    """Write one chunk-aligned block into the Zarr array ``variable`` of the store at ``uri``."""
    region = tuple(slice(start, stop) for start, stop in block_info[0]["array-location"])
    with zarr.config.set({"array.write_empty_chunks": True}):
        target = zarr.open_array(uri, path=variable, mode="r+", zarr_format=3, storage_options=storage_options)
        target[region] = block
    return np.ones((1,) * block.ndim, dtype=bool)


def read_zarr(uri: str, storage_options: dict[str, Any], *, chunks: Any = "auto") -> xr.Dataset:
    """Open a Zarr v3 asset lazily (dask-backed, one dask chunk per Zarr chunk by default)."""
    ds = xr.open_zarr(
        uri,
        zarr_format=3,
        consolidated=False,
        storage_options=storage_options or None,
        chunks={} if chunks == "auto" else chunks,
    )
    for name, variable in ds.variables.items():
        if variable.dtype.kind == "O" and name in ds.coords:
            ds[name] = variable.astype(str).astype(object)
    return ds


def write_parquet(table: pd.DataFrame, fs, path: str, metadata: dict[str, Any] | None = None) -> None:
    """Write a DataFrame as one Parquet file (zstd), with optional JSON metadata in the schema."""
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    if metadata:
        existing = arrow.schema.metadata or {}
        arrow = arrow.replace_schema_metadata({**existing, b"etholake": json.dumps(_plain_attrs(metadata)).encode()})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, compression="zstd")
    with fs.open(path, "wb") as handle:
        handle.write(buffer.getvalue())


def read_parquet(fs, path: str) -> pd.DataFrame:
    """Read a Parquet asset into a DataFrame."""
    with fs.open(path, "rb") as handle:
        return pq.read_table(handle).to_pandas()


def write_json(document: Any, fs, path: str) -> None:
    """Write a JSON document (sorted keys, UTF-8)."""
    data = json.dumps(_plain_attrs(document) if isinstance(document, dict) else document, sort_keys=True, indent=1)
    with fs.open(path, "wb") as handle:
        handle.write(data.encode())


def read_json(fs, path: str) -> Any:
    """Read a JSON asset."""
    with fs.open(path, "rb") as handle:
        return json.loads(handle.read().decode())
