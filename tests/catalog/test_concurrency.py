"""Several processes writing to one catalog at once (SQLite in WAL mode, PostgreSQL)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from etholake.catalog import Catalog

TESTS = Path(__file__).resolve().parents[1]


def _worker_environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}


def test_processes_opening_a_new_sqlite_catalog_together_all_connect(tmp_path):
    finished = subprocess.run(
        [sys.executable, "-m", "workers", "open-new-catalogs", str(tmp_path), "60"],
        env=_worker_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["0"], finished.stderr


@pytest.mark.slow
def test_four_processes_register_250_sessions_each(catalog_url):
    environment = _worker_environment()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "workers", "register", catalog_url, str(index), "250"],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(4)
    ]
    results = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, results):
        assert process.returncode == 0, stderr
    with Catalog(catalog_url) as catalog:
        assert catalog.count_sessions() == 1000
        sessions = catalog.sessions("alice")
        assert len(sessions) == 1000
        assert sorted(sessions["subject"].unique()) == ["m0", "m1", "m2", "m3"]
