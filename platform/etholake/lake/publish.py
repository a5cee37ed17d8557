"""Publishing assets: write under a new id, verify, then record in the catalog in one transaction.

A reader finds assets only through the catalog, so until the catalog row is
committed the new files are invisible. A crash before that leaves unreferenced
files, which :func:`etholake.lake.gc.find_orphans` lists and ``etholake gc``
removes; it never leaves a half-visible asset.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from etholake.catalog import AssetRecord, Catalog, NewAsset, SessionKey
from etholake.errors import IntegrityError
from etholake.lake import formats
from etholake.lake.hashing import BLOCK_SIZE, tree_sha256
from etholake.lake.store import Lake, new_asset_id


@dataclass(frozen=True)
class PublishedAsset:
    """A published asset: its catalog record and its full URL."""

    record: AssetRecord
    url: str

    @property
    def id(self) -> str:
        """The asset id."""
        return self.record.id


def _schema_parts(schema: str | None) -> tuple[str | None, int | None]:
    if not schema:
        return None, None
    name, _, version = schema.partition("/")
    return name, int(version) if version.isdigit() else None


def _discard(lake: Lake, relative: str) -> None:
    """Remove a failed publish's files; what cannot be removed now is left for ``etholake gc``."""
    try:
        lake.remove(relative)
    except OSError as error:
        warnings.warn(f"could not remove {relative} after a failed publish ({error}); `etholake gc` will", stacklevel=3)


def _publish(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    *,
    kind: str,
    extension: str,
    lab: str,
    session: SessionKey | None,
    write: Callable[[str], None],
    verify: Callable[[str], None],
    schema: str | None,
    parents: dict[str, str] | None,
    params: dict[str, Any] | None,
    source_sha256: str | None,
    visibility: str,
) -> PublishedAsset:
    asset_id = new_asset_id()
    key = SessionKey(*session) if session is not None else None
    relative = lake.asset_path(
        kind,
        asset_id,
        extension,
        lab=lab,
        subject=key.subject if key else None,
        session=key.session if key else None,
    )
    target = lake.path(relative)
    try:
        write(target)
        verify(target)
        sha256 = tree_sha256(lake.fs, target)
        size = int(lake.fs.du(target))
    except BaseException:
        _discard(lake, relative)
        raise
    schema_name, schema_version = _schema_parts(schema)
    try:
        record = catalog.register_asset(
            actor,
            NewAsset(
                id=asset_id,
                kind=kind,
                uri=relative,
                format=extension,
                sha256=sha256,
                lab=lab,
                session=key,
                size_bytes=size,
                schema_name=schema_name,
                schema_version=schema_version,
                visibility=visibility,
                source_sha256=source_sha256,
                params=json.loads(json.dumps(params or {}, default=str)),
                parents=dict(parents or {}),
            ),
        )
    except BaseException:
        _discard(lake, relative)
        raise
    return PublishedAsset(record, lake.uri(relative))


def publish_dataset(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    ds: xr.Dataset,
    *,
    kind: str,
    lab: str,
    session: SessionKey | None = None,
    parents: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    source_sha256: str | None = None,
    visibility: str = "private",
    time_chunk: int = formats.TIME_CHUNK,
) -> PublishedAsset:
    """Publish an xarray dataset as a Zarr v3 asset.

    Parameters
    ----------
    lake, catalog
        Where to store and where to record.
    actor
        The user publishing (must be owner or member of ``lab``).
    ds
        The dataset; in memory or dask-backed (computed while writing). Its
        ``schema`` attribute (``"etholake.pose/1"``) is recorded.
    kind
        Asset kind: ``pose``, ``labels``, ``features``, ``annotations``, ...
    lab, session
        Owner; ``session`` = (lab, subject, session) for session assets.
    parents
        Parent asset id -> role, for lineage.
    params
        Parameters that made the asset (JSON-serialisable).
    source_sha256
        sha256 of the external file the asset was made from (ingest idempotency).
    visibility
        For assets without a session: private, shared or public.
    time_chunk
        Frames per Zarr chunk along ``time``.

    Returns
    -------
    PublishedAsset
    """
    expected = {name: dict(ds[name].sizes) for name in ds.data_vars}

    def write(target: str) -> None:
        formats.write_zarr(ds, lake.uri(lake.relative(target)), lake.storage_options, time_chunk)

    def verify(target: str) -> None:
        written = formats.read_zarr(lake.uri(lake.relative(target)), lake.storage_options)
        found = {name: dict(written[name].sizes) for name in written.data_vars}
        if found != expected:
            raise IntegrityError(f"written dataset {target} has variables/shapes {found}, expected {expected}")

    return _publish(
        lake,
        catalog,
        actor,
        kind=kind,
        extension="zarr",
        lab=lab,
        session=session,
        write=write,
        verify=verify,
        schema=ds.attrs.get("schema"),
        parents=parents,
        params=params,
        source_sha256=source_sha256,
        visibility=visibility,
    )


def publish_table(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    table: pd.DataFrame,
    *,
    kind: str,
    lab: str,
    session: SessionKey | None = None,
    schema: str | None = None,
    parents: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    visibility: str = "private",
) -> PublishedAsset:
    """Publish a DataFrame as a Parquet asset (see :func:`publish_dataset` for the parameters)."""

    def write(target: str) -> None:
        formats.write_parquet(table, lake.fs, target, metadata={"schema": schema, **(params or {})})

    def verify(target: str) -> None:
        lake.fs.invalidate_cache()
        written = formats.read_parquet(lake.fs, target)
        if len(written) != len(table) or list(written.columns) != [str(c) for c in table.columns]:
            raise IntegrityError(f"written table {target} has {len(written)} rows and columns {list(written.columns)}")

    return _publish(
        lake,
        catalog,
        actor,
        kind=kind,
        extension="parquet",
        lab=lab,
        session=session,
        write=write,
        verify=verify,
        schema=schema,
        parents=parents,
        params=params,
        source_sha256=None,
        visibility=visibility,
    )


def publish_json(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    document: dict[str, Any],
    *,
    kind: str,
    lab: str,
    session: SessionKey | None = None,
    schema: str | None = None,
    parents: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    source_sha256: str | None = None,
    visibility: str = "private",
) -> PublishedAsset:
    """Publish a JSON document as an asset (see :func:`publish_dataset` for the parameters)."""
    expected = json.loads(json.dumps(document, default=str))

    def write(target: str) -> None:
        formats.write_json(document, lake.fs, target)

    def verify(target: str) -> None:
        lake.fs.invalidate_cache()
        if formats.read_json(lake.fs, target) != expected:
            raise IntegrityError(f"written document {target} differs from what was given")

    return _publish(
        lake,
        catalog,
        actor,
        kind=kind,
        extension="json",
        lab=lab,
        session=session,
        write=write,
        verify=verify,
        schema=schema,
        parents=parents,
        params=params,
        source_sha256=source_sha256,
        visibility=visibility,
    )


def publish_file(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    source: str | Path,
    *,
    kind: str,
    lab: str,
    session: SessionKey | None = None,
    schema: str | None = None,
    parents: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    visibility: str = "private",
    source_storage_options: dict[str, Any] | None = None,
) -> PublishedAsset:
    """Copy a file (a video, say) into the lake as an asset; its sha256 is checked after the copy."""
    import fsspec

    source_fs, source_path = fsspec.core.url_to_fs(str(source), **(source_storage_options or {}))
    extension = Path(source_path).suffix.lstrip(".").lower() or "bin"
    digest = hashlib.sha256()

    def write(target: str) -> None:
        with source_fs.open(source_path, "rb") as reader, lake.fs.open(target, "wb") as writer:
            while block := reader.read(BLOCK_SIZE):
                digest.update(block)
                writer.write(block)

    def verify(target: str) -> None:
        if tree_sha256(lake.fs, target) != digest.hexdigest():
            raise IntegrityError(f"copy of {source} at {target} does not match the source's sha256")

    return _publish(
        lake,
        catalog,
        actor,
        kind=kind,
        extension=extension,
        lab=lab,
        session=session,
        write=write,
        verify=verify,
        schema=schema,
        parents=parents,
        params=params,
        source_sha256=None,
        visibility=visibility,
    )
