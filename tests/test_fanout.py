"""Per-session fan-out on Dask: an etholake error fails its task once, quietly; a lost connection is retried."""

import errno
import time
from pathlib import Path

import pytest
from prefect import flow

from etholake.errors import NotFoundError, SessionsFailedError
from etholake.fanout import fan_out

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def cluster(flow_env):
    """The test session's Dask cluster, whose workers can import this module."""
    from distributed import Client

    with Client(flow_env) as dask_client:
        dask_client.upload_file(__file__)
        yield dask_client


def noted_call(folder: str, name: str) -> str:
    """Note the call in ``folder/name``; ``bad`` is a missing session, ``flaky`` loses its connection once."""
    calls = Path(folder) / name
    with calls.open("a") as handle:
        handle.write("called\n")
    if name == "bad":
        raise NotFoundError("no session lab/m1/bad")
    if name == "flaky" and calls.read_text().count("called") == 1:
        raise ConnectionResetError("connection to the catalog was reset")
    if name == "slow":
        time.sleep(3)
    if name == "full":
        raise OSError(errno.ENOSPC, "No space left on device", str(calls))
    return name


@flow
def fan(folder: str, names: list[str]) -> list[str]:
    return fan_out(noted_call, [(folder, n) for n in names], names, description="test", show_progress=False)


def test_an_etholake_error_is_not_retried_nor_logged_as_a_worker_crash(tmp_path, cluster):
    with pytest.raises(SessionsFailedError, match=r"1 of 2 session\(s\) failed: bad: no session lab/m1/bad"):
        fan(str(tmp_path), ["good", "bad"])
    assert (tmp_path / "bad").read_text() == "called\n"
    logs = [message for records in cluster.get_worker_logs().values() for _, message in records]
    assert not [message for message in logs if "no session lab/m1/bad" in message]


def test_a_failed_session_does_not_stop_the_others(tmp_path, cluster):
    with pytest.raises(SessionsFailedError) as raised:
        fan(str(tmp_path), ["bad", "slow", "good"])
    assert raised.value.results == ["slow", "good"]
    assert [(label, type(error)) for label, error in raised.value.failures] == [("bad", NotFoundError)]
    assert raised.value.total == 3


def test_a_lost_connection_is_retried(tmp_path, cluster):
    assert fan(str(tmp_path), ["good", "flaky"]) == ["good", "flaky"]
    assert (tmp_path / "flaky").read_text() == "called\n" * 2


def test_a_full_disk_fails_its_session_once_and_the_others_finish(tmp_path, cluster):
    with pytest.raises(
        SessionsFailedError, match=r"1 of 3 session\(s\) failed: full: cannot write .*No space left"
    ) as raised:
        fan(str(tmp_path), ["full", "slow", "good"])
    assert raised.value.results == ["slow", "good"]
    assert (tmp_path / "full").read_text() == "called\n"
