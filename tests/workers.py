"""Programs the tests run as separate processes: ``python -m workers COMMAND ...``.

* ``register CATALOG_URL PROCESS_INDEX N``: register N sessions in lab ``labA``.
* ``publish LAKE_URL CATALOG_URL MEGABYTES``: publish one large dataset asset.
* ``open-new-catalogs FOLDER TRIALS``: per trial, 4 processes connect to one new
  SQLite catalog at the same instant; print how many connections failed.
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np


def register(catalog_url: str, index: int, count: int) -> None:
    """Register ``count`` sessions of subject ``m<index>`` in lab ``labA`` as user ``alice``."""
    from etholake.catalog import Catalog, SessionKey

    with Catalog(catalog_url) as catalog:
        catalog.create_lab("alice", "labA")
        catalog.register_subject("alice", "labA", f"m{index}", species="Mus musculus")
        for number in range(count):
            catalog.register_session("alice", SessionKey("labA", f"m{index}", f"s{number:04d}"), fps=30.0)


def publish(lake_url: str, catalog_url: str, megabytes: int) -> None:
    """Publish a float32 dataset of about ``megabytes`` MB, written chunk by chunk."""
    import dask.array as da
    import xarray as xr

    from etholake.catalog import Catalog, SessionKey
    from etholake.lake import open_lake, publish_dataset

    frames = megabytes * (1 << 20) // (4 * 64)
    values = da.random.default_rng(0).random((frames, 64), chunks=(1 << 14, 64)).astype(np.float32)
    ds = xr.Dataset({"features": (("time", "feature"), values)}, coords={"time": np.arange(frames) / 30.0})
    with Catalog(catalog_url) as catalog:
        asset = publish_dataset(
            open_lake(lake_url),
            catalog,
            "alice",
            ds,
            kind="features",
            lab="labA",
            session=SessionKey("labA", "m1", "s1"),
            time_chunk=1 << 14,
        )
    print(asset.id, flush=True)


def _connect_at(catalog_url: str, start: float) -> bool:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from etholake.catalog.engine import create_catalog_engine

    engine = create_catalog_engine(catalog_url)
    while time.time() < start:
        pass
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError as error:
        print(error.orig, file=sys.stderr)
        return False
    finally:
        engine.dispose()


def open_new_catalogs(folder: str, trials: int) -> None:
    """Open each of ``trials`` new catalogs from 4 processes at once; print the number of failed connections."""
    processes = 4
    failures = 0
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for trial in range(trials):
            url = f"sqlite:///{Path(folder) / f'catalog{trial}.sqlite'}"
            start = time.time() + 0.05
            connected = pool.starmap(_connect_at, [(url, start)] * processes, chunksize=1)
            failures += connected.count(False)
    print(failures, flush=True)


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "register":
        register(arguments[0], int(arguments[1]), int(arguments[2]))
    elif command == "publish":
        publish(arguments[0], arguments[1], int(arguments[2]))
    elif command == "open-new-catalogs":
        open_new_catalogs(arguments[0], int(arguments[1]))
    else:
        raise SystemExit(f"unknown command {command!r}")
