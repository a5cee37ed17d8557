"""Fixtures of the simulator tests: one small simulated experiment shared by the whole module set."""

from __future__ import annotations

import pytest
from distributed import Client

from etholake.sim import simulate


@pytest.fixture(scope="session")
def dask_client():
    """An in-process Dask client (threads), cheap to start; not the default scheduler of later tests."""
    with Client(
        processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0", set_as_default=False
    ) as client:
        yield client


@pytest.fixture(scope="session")
def experiment(tmp_path_factory, dask_client):
    """Three labs x two 30-second sessions with video and neural data."""
    out_dir = tmp_path_factory.mktemp("sim")
    return simulate(out_dir, n_labs=3, sessions_per_lab=2, minutes=0.5, seed=11, client=dask_client, progress=False)
