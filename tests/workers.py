"""Programs the tests run as separate processes: ``python -m workers COMMAND ...``.

* ``register CATALOG_URL PROCESS_INDEX N``: register N sessions in lab ``labA``.
* ``publish LAKE_URL CATALOG_URL MEGABYTES``: publish one large dataset asset.
"""

from __future__ import annotations

import sys

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


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "register":
        register(arguments[0], int(arguments[1]), int(arguments[2]))
    elif command == "publish":
        publish(arguments[0], arguments[1], int(arguments[2]))
    else:
        raise SystemExit(f"unknown command {command!r}")
