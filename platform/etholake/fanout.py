"""Fan-out of per-session jobs: one Prefect task per session, its work on a Dask worker.

Prefect gives each session a task run with retries and a visible state; Dask runs
the work in worker processes (a local cluster, or the configured scheduler).
Results come back in the order of the calls; a progress bar advances as they finish.
A task is retried after a lost worker or connection, never after an etholake error
(a bad input or option fails the same way again, as does a full or read-only disk).
A session that fails with an etholake error does not stop the others: when all have finished,
:class:`~etholake.errors.SessionsFailedError` names every failure and carries
the results of the sessions that succeeded.

A session's work runs on dask's synchronous scheduler inside its worker: without it,
a lazy array computed inside the job (a coordinate read from Zarr, say) would be sent
back to the cluster as a task of its own, and the waiting job would leave its worker
thread to yet another session, so one single-threaded worker ran several sessions at
once.
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dask
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed

from etholake.compute import client
from etholake.errors import EtholakeError, SessionsFailedError, StorageError
from etholake.progress import progress_bar

_OPEN_CLIENTS: dict[str, Any] = {}
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


@dataclass(frozen=True)
class _Refused:
    """An etholake error a session's work raised, returned instead: the worker would log it as a crash."""

    error: EtholakeError


def _worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry after a lost worker or connection, not after an error in the session's input or options."""
    return not isinstance(state.data, EtholakeError)


@task(
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_worth_retrying,
    cache_policy=NO_CACHE,
    task_run_name="{label}",
)
def on_dask(function: Callable[..., Any], arguments: tuple, scheduler: str, label: str) -> Any:
    """Run ``function(*arguments)`` on the Dask cluster at ``scheduler`` and return its result.

    Uses the fan-out's own client when the task runs in its process (a new client
    per task costs a connection handshake on the scheduler, which shares the cores
    with the workers), otherwise connects for the task.
    """
    from distributed import Client

    shared = _OPEN_CLIENTS.get(scheduler)
    if shared is not None:
        result = shared.submit(run_synchronously, function, *arguments, pure=False).result()
    else:
        with Client(scheduler, set_as_default=False) as dask_client:
            result = dask_client.submit(run_synchronously, function, *arguments, pure=False).result()
    if isinstance(result, _Refused):
        raise result.error
    return result


def run_synchronously(function: Callable[..., Any], *arguments: Any) -> Any:
    """``function(*arguments)`` with dask's synchronous scheduler for everything it computes.

    An etholake error comes back as a :class:`_Refused` value, for :func:`on_dask` to raise;
    so does a file that cannot be written (a full disk, a read-only folder), as a
    :class:`~etholake.errors.StorageError`: retrying would fail the same way.
    """
    with dask.config.set(scheduler="synchronous"):
        try:
            return function(*arguments)
        except EtholakeError as error:
            return _Refused(error)
        except OSError as error:
            if error.errno not in _STORAGE_ERRNOS:
                raise
            return _Refused(StorageError(f"cannot write {error.filename or 'a file'}: {error.strerror}"))


def fan_out(
    function: Callable[..., Any],
    calls: Sequence[tuple],
    labels: Sequence[str],
    *,
    description: str,
    show_progress: bool = True,
) -> list[Any]:
    """Run ``function(*call)`` for every call as Prefect tasks on Dask; must be called inside a flow.

    Parameters
    ----------
    function
        An importable function (it is sent to the workers by reference).
    calls
        Argument tuples, one per task.
    labels
        Task-run names (a session key, say), one per call.
    description
        Shown beside the progress bar.
    show_progress
        Draw the progress bar.

    Returns
    -------
    list
        The results, in the order of ``calls``.

    Raises
    ------
    SessionsFailedError
        After every call has finished, when some failed with an etholake error.
    """
    if not calls:
        return []
    with client() as dask_client:
        address = dask_client.scheduler.address
        _OPEN_CLIENTS.setdefault(address, dask_client)
        try:
            futures = [on_dask.submit(function, call, address, label) for call, label in zip(calls, labels)]
            position = {future.task_run_id: index for index, future in enumerate(futures)}
            results: list[Any] = [None] * len(futures)
            failures: dict[int, EtholakeError] = {}
            with progress_bar(description, total=len(futures), enabled=show_progress) as advance:
                for future in as_completed(futures):
                    index = position[future.task_run_id]
                    try:
                        results[index] = future.result()
                    except EtholakeError as error:
                        failures[index] = error
                    advance()
        finally:
            if _OPEN_CLIENTS.get(address) is dask_client:
                del _OPEN_CLIENTS[address]
    if failures:
        succeeded = [result for index, result in enumerate(results) if index not in failures]
        raise SessionsFailedError(succeeded, [(labels[i], failures[i]) for i in sorted(failures)], len(calls))
    return results
