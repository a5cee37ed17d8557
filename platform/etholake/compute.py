"""Dask clients: a local cluster of worker processes, or an external scheduler.

Work that is parallel over sessions or time chunks goes through
:func:`client`. With ``ETHOLAKE_DASK_ADDRESS`` set (or ``address=`` given) it
connects to that scheduler; otherwise it starts a ``LocalCluster`` of worker
processes on this machine and shuts it down on exit. Local workers do not get
distributed's ``MALLOC_TRIM_THRESHOLD_=65536``: returning memory to the system
that eagerly made the feature kernels 3-4x slower in workers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dask
from distributed import Client, LocalCluster

from etholake.config import load_settings
from etholake.errors import ConfigError


@contextmanager
def client(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str | float = "auto",
    set_as_default: bool = False,
    timeout: float = 30.0,
) -> Iterator[Client]:
    """A Dask distributed client for the configured cluster.

    Parameters
    ----------
    address
        Scheduler address (``tcp://host:8786``); default from the settings
        (``ETHOLAKE_DASK_ADDRESS``); None starts a local cluster.
    n_workers
        Worker processes of a local cluster; default the ``dask_workers`` setting.
    threads_per_worker
        Threads in each local worker process.
    memory_limit
        Memory limit of each local worker.
    set_as_default
        Make the client the default scheduler of dask collections in this process.
    timeout
        Seconds to wait for the scheduler.

    Yields
    ------
    distributed.Client

    Examples
    --------
    >>> from etholake.compute import client
    >>> with client(n_workers=2) as dask_client:  # doctest: +SKIP
    ...     dask_client.submit(sum, [1, 2]).result()
    3
    """
    settings = load_settings(dask_address=address)
    if settings.dask_address:
        try:
            dask_client = Client(settings.dask_address, set_as_default=set_as_default, timeout=timeout)
        except (OSError, TimeoutError) as error:
            raise ConfigError(f"cannot reach the Dask scheduler at {settings.dask_address}: {error}") from error
        try:
            yield dask_client
        finally:
            dask_client.close()
        return
    environment = {
        k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items() if k != "MALLOC_TRIM_THRESHOLD_"
    }
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environment}):
        cluster = LocalCluster(
            n_workers=n_workers or settings.dask_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            memory_limit=memory_limit,
            dashboard_address=None,
        )
    dask_client = Client(cluster, set_as_default=set_as_default)
    try:
        yield dask_client
    finally:
        dask_client.close()
        cluster.close()
