import os

import dask.array as da
import pytest

from etholake.compute import client
from etholake.errors import ConfigError


def _pids_of_each_worker(dask_client) -> set[int]:
    workers = list(dask_client.scheduler_info()["workers"])
    futures = [dask_client.submit(os.getpid, pure=False, workers=[worker]) for worker in workers]
    return set(dask_client.gather(futures))


@pytest.mark.integration
def test_work_runs_on_an_external_scheduler_with_two_worker_processes(monkeypatch):
    from services import dask_cluster

    with dask_cluster(n_workers=2) as address:
        monkeypatch.setenv("ETHOLAKE_DASK_ADDRESS", address)
        with client() as dask_client:
            dask_client.wait_for_workers(2, timeout=60)
            assert dask_client.scheduler.address == address
            total = da.arange(1_000_000, chunks=100_000).sum().compute(scheduler=dask_client)
            pids = _pids_of_each_worker(dask_client)
    assert total == 999_999 * 1_000_000 // 2
    assert len(pids) == 2
    assert os.getpid() not in pids


def test_local_cluster_by_default(monkeypatch):
    monkeypatch.delenv("ETHOLAKE_DASK_ADDRESS", raising=False)
    with client(n_workers=2) as dask_client:
        assert len(dask_client.scheduler_info()["workers"]) == 2
        assert dask_client.submit(sum, [1, 2, 3]).result() == 6
        assert os.getpid() not in _pids_of_each_worker(dask_client)


def test_unreachable_scheduler_is_a_clear_error():
    from services import free_port

    with (
        pytest.raises(ConfigError, match="cannot reach the Dask scheduler"),
        client(f"tcp://127.0.0.1:{free_port()}", timeout=2),
    ):
        pass
