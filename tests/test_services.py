"""The test setup's services stop when the test run is terminated, not only when it ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

TESTS = Path(__file__).resolve().parent

CONFTEST = """
import pytest
import services


def pytest_configure(config):
    services.interrupt_on_sigterm()


@pytest.fixture(scope="session")
def cluster():
    with services.dask_cluster(n_workers=1) as address:
        yield address
"""

WAITING_TEST = """
import os
import pathlib
import time


def test_waits_to_be_terminated(cluster):
    pathlib.Path(os.environ["READY_FILE"]).write_text(cluster)
    time.sleep(300)
"""


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the inner test run never became ready: {process.communicate()[0]}")
        time.sleep(0.2)


@pytest.mark.slow
def test_a_terminated_test_run_stops_the_services_it_started(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_waiting.py").write_text(WAITING_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    ready = tmp_path / "ready"
    environment = {**os.environ, "PYTHONPATH": str(TESTS), "READY_FILE": str(ready)}
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    services = []
    try:
        _wait_for(ready, run)
        services = psutil.Process(run.pid).children(recursive=True)
        assert len(services) >= 2, "expected a Dask scheduler and a worker"
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=120)[0]
        assert run.returncode == 2, output
        _, alive = psutil.wait_procs(services, timeout=30)
        assert alive == [], f"still running after the test run was terminated: {[p.cmdline() for p in alive]}"
    finally:
        for process in [run, *services]:
            with contextlib.suppress(psutil.NoSuchProcess, ProcessLookupError):
                process.kill()
