"""Publishing assets: write under new ids, verify, then record in the catalog in one transaction.

Publishing has two steps. *Staging* writes an asset's files under a fresh id
and verifies them (re-open, compare shapes, hash what was written). *Committing*
records one or several staged assets in the catalog in a single transaction,
so related assets (annotations and their bouts, say) appear together or not at
all. A reader finds assets only through the catalog, so until the commit the
new files are invisible; a crash before it leaves unreferenced files, which
:func:`etholake.lake.gc.find_orphans` lists and ``etholake gc`` removes.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fsspec
import pandas as pd
import xarray as xr

from etholake.catalog import (
    AssetRecord,
    BehaviorSummaryRows,
    Catalog,
    NewAsset,
    NewModel,
    SessionKey,
    UnitSummaryRows,
)
from etholake.errors import IntegrityError
from etholake.lake import formats
from etholake.lake.hashing import BLOCK_SIZE, tree_sha256
from etholake.lake.store import Lake, new_asset_id


@dataclass(frozen=True)
class StagedAsset:
    """Files written and verified under a new id, not yet in the catalog."""

    asset: NewAsset
    relative: str

    @property
    def id(self) -> str:
        """The asset id."""
        return self.asset.id


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


def stage(
    lake: Lake,
    *,
    kind: str,
    extension: str,
    lab: str,
    write: Callable[[str], None],
    verify: Callable[[str], None] | None = None,
    session: SessionKey | None = None,
    schema: str | None = None,
    parents: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    source_sha256: str | None = None,
    unique_key: str | None = None,
    visibility: str = "private",
) -> StagedAsset:
    """Write and verify an asset under a new id with the given writer and verifier.

    Parameters
    ----------
    lake
        Where to write.
    kind, extension
        Asset kind (``pose``, ``model``, ...) and the extension of its entry (``zarr``, ``parquet``, ...).
    lab, session
        Owner; ``session`` = (lab, subject, session) for session assets, None for lab-wide ones.
    write
        Called with the target path (no protocol); writes the files there.
    verify
        Called with the target path after writing; raises if what was written is
        wrong. What was written is then read once more, to hash it.
    schema
        ``name/version`` of the content (``etholake.pose/1``).
    parents
        Parent asset id -> role, for lineage.
    params
        Parameters that made the asset (JSON-serialisable). Read after ``write``
        and ``verify`` have run, so a writer may add what it learns (a hash, say).
    source_sha256
        sha256 of the external file the asset was made from.
    unique_key
        Names the result this asset is (``features:<pose id>:<spec hash>``); the
        commit fails with :class:`~etholake.errors.DuplicateAssetError` if another
        asset already holds it, so concurrent runs cannot record a result twice.
    visibility
        For assets without a session: private, shared or public.

    Returns
    -------
    StagedAsset
    """
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
        if verify is not None:
            verify(target)
        sha256 = tree_sha256(lake.fs, target)
        size = int(lake.fs.du(target))
    except BaseException:
        _discard(lake, relative)
        raise
    schema_name, schema_version = _schema_parts(schema)
    asset = NewAsset(
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
        unique_key=unique_key,
        params=json.loads(json.dumps(params or {}, default=str)),
        parents=dict(parents or {}),
    )
    return StagedAsset(asset, relative)


def discard(lake: Lake, staged: Sequence[StagedAsset]) -> None:
    """Remove the files of staged assets that will not be committed (what cannot be removed is left for gc)."""
    for item in staged:
        _discard(lake, item.relative)


def commit(
    lake: Lake,
    catalog: Catalog,
    actor: str,
    staged: list[StagedAsset],
    *,
    behavior_summaries: list[BehaviorSummaryRows] | None = None,
    unit_summaries: list[UnitSummaryRows] | None = None,
    model: NewModel | None = None,
) -> list[PublishedAsset]:
    """Record staged assets (and their summaries or model version) in the catalog in one transaction.

    If the catalog refuses, the staged files are removed and the error is raised. An
    interrupt may arrive after the transaction committed: the files of assets the
    catalog holds are then kept, and when the catalog cannot be asked, every file is
    (an unrecorded one is an orphan ``etholake gc`` lists).
    """
    try:
        records = catalog.register_assets(
            actor,
            [s.asset for s in staged],
            behavior_summaries=behavior_summaries,
            unit_summaries=unit_summaries,
            model=model,
        )
    except BaseException:
        discard(lake, _unrecorded(catalog, staged))
        raise
    return [PublishedAsset(record, lake.uri(item.relative)) for record, item in zip(records, staged)]


def _unrecorded(catalog: Catalog, staged: list[StagedAsset]) -> list[StagedAsset]:
    try:
        recorded = catalog.recorded_asset_ids([item.asset.id for item in staged])
    except Exception:
        return []
    return [item for item in staged if item.asset.id not in recorded]


def stage_dataset(
    lake: Lake, ds: xr.Dataset, *, time_chunk: int = formats.TIME_CHUNK, codec: str = "compact", **asset: Any
) -> StagedAsset:
    """Stage an xarray dataset as a Zarr v3 asset (chunked along time).

    ``ds`` may be dask-backed (computed while writing); its ``schema`` attribute
    is recorded. ``codec`` is a key of :data:`etholake.lake.formats.COMPRESSORS`.
    Other keyword arguments are those of :func:`stage`.
    """
    staged, _ = stage_dataset_computing(lake, ds, [], time_chunk=time_chunk, codec=codec, **asset)
    return staged


def stage_dataset_computing(
    lake: Lake,
    ds: xr.Dataset,
    companions: Sequence[Any],
    *,
    time_chunk: int = formats.TIME_CHUNK,
    codec: str = "compact",
    **asset: Any,
) -> tuple[StagedAsset, list[Any]]:
    """Stage a dask-backed dataset and compute other dask collections in the same pass.

    The dataset's chunks and the ``companions`` (predictions made from the same
    features, say) are computed by one ``dask.compute``, so tasks they share run
    once and each chunk is released as soon as both have used it.

    Returns
    -------
    (StagedAsset, list)
        The staged asset and the computed companions, in order.
    """
    expected = {name: dict(ds[name].sizes) for name in ds.data_vars}
    computed: list[Any] = []

    def write(target: str) -> None:
        uri, options = lake.uri(lake.relative(target)), lake.storage_options
        computed.extend(formats.write_zarr(ds, uri, options, time_chunk, codec=codec, companions=companions))

    def verify(target: str) -> None:
        written = formats.read_zarr(lake.uri(lake.relative(target)), lake.storage_options)
        found = {name: dict(written[name].sizes) for name in written.data_vars}
        if found != expected:
            raise IntegrityError(f"written dataset {target} has variables/shapes {found}, expected {expected}")

    asset.setdefault("schema", ds.attrs.get("schema"))
    return stage(lake, extension="zarr", write=write, verify=verify, **asset), computed


def stage_table(lake: Lake, table: pd.DataFrame, **asset: Any) -> StagedAsset:
    """Stage a DataFrame as a Parquet asset (keyword arguments of :func:`stage`)."""

    def write(target: str) -> None:
        formats.write_parquet(table, lake.fs, target, metadata={"schema": asset.get("schema")})

    def verify(target: str) -> None:
        lake.fs.invalidate_cache()
        written = formats.read_parquet(lake.fs, target)
        if len(written) != len(table) or list(written.columns) != [str(c) for c in table.columns]:
            raise IntegrityError(f"written table {target} has {len(written)} rows and columns {list(written.columns)}")

    return stage(lake, extension="parquet", write=write, verify=verify, **asset)


def stage_json(lake: Lake, document: dict[str, Any], **asset: Any) -> StagedAsset:
    """Stage a JSON document as an asset (keyword arguments of :func:`stage`)."""
    expected = json.loads(json.dumps(document, default=str))

    def write(target: str) -> None:
        formats.write_json(document, lake.fs, target)

    def verify(target: str) -> None:
        lake.fs.invalidate_cache()
        if formats.read_json(lake.fs, target) != expected:
            raise IntegrityError(f"written document {target} differs from what was given")

    return stage(lake, extension="json", write=write, verify=verify, **asset)


def stage_file(
    lake: Lake, source: str | Path, *, source_storage_options: dict[str, Any] | None = None, **asset: Any
) -> StagedAsset:
    """Stage a copy of a file (a video, say), hashed as it is copied.

    The copy must hash to what was read, and, when ``source_sha256`` is given
    (keyword of :func:`stage`), to that too: a source that changed since it was
    hashed is not copied half-old, half-new.
    """
    source_fs, source_path = fsspec.core.url_to_fs(str(source), **(source_storage_options or {}))
    digest = hashlib.sha256()

    def write(target: str) -> None:
        with source_fs.open(source_path, "rb") as reader, lake.fs.open(target, "wb") as writer:
            while block := reader.read(BLOCK_SIZE):
                digest.update(block)
                writer.write(block)

    extension = Path(source_path).suffix.lstrip(".").lower() or "bin"
    staged = stage(lake, extension=extension, write=write, **asset)
    read = digest.hexdigest()
    problem = None
    if staged.asset.sha256 != read:
        problem = f"copy of {source} at {staged.relative} does not match the bytes read ({read})"
    elif asset.get("source_sha256") not in (None, read):
        problem = (
            f"{source} changed since it was hashed (is it still being written?): "
            f"sha256 {read}, expected {asset['source_sha256']}"
        )
    if problem:
        discard(lake, [staged])
        raise IntegrityError(problem)
    return staged


def _publish_one(lake: Lake, catalog: Catalog, actor: str, staged: StagedAsset) -> PublishedAsset:
    return commit(lake, catalog, actor, [staged])[0]


def publish_dataset(lake: Lake, catalog: Catalog, actor: str, ds: xr.Dataset, **asset: Any) -> PublishedAsset:
    """Stage and commit a dataset (see :func:`stage_dataset` and :func:`stage`)."""
    return _publish_one(lake, catalog, actor, stage_dataset(lake, ds, **asset))


def publish_table(lake: Lake, catalog: Catalog, actor: str, table: pd.DataFrame, **asset: Any) -> PublishedAsset:
    """Stage and commit a Parquet table (see :func:`stage_table`)."""
    return _publish_one(lake, catalog, actor, stage_table(lake, table, **asset))


def publish_json(lake: Lake, catalog: Catalog, actor: str, document: dict[str, Any], **asset: Any) -> PublishedAsset:
    """Stage and commit a JSON document (see :func:`stage_json`)."""
    return _publish_one(lake, catalog, actor, stage_json(lake, document, **asset))


def publish_file(lake: Lake, catalog: Catalog, actor: str, source: str | Path, **asset: Any) -> PublishedAsset:
    """Stage and commit a copy of a file (see :func:`stage_file`)."""
    return _publish_one(lake, catalog, actor, stage_file(lake, source, **asset))
