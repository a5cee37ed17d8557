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


def test_two_promotions_at_once_leave_one_production_version(catalog_url):
    import threading

    from etholake.catalog import NewAsset
    from etholake.catalog.model_registry import NewModel

    with Catalog(catalog_url) as catalog:
        catalog.create_lab("alice", "labA")
        for version, letter in ((1, "a"), (2, "b")):
            catalog.register_asset(
                "alice",
                NewAsset(
                    id=letter * 32, kind="model", uri=f"m{letter}.skops", format="skops", sha256="0" * 64, lab="labA"
                ),
            )
            assert catalog.register_model("alice", NewModel("soc", "labA", letter * 32, ["sniff"], "0" * 64)) == version
    first, second = Catalog(catalog_url), Catalog(catalog_url)
    try:
        for _ in range(20):
            for version in (1, 2):
                first.set_model_stage("alice", "soc", version, "candidate")
            barrier = threading.Barrier(2)
            threads = [
                threading.Thread(target=_promote_together, args=(barrier, catalog, version))
                for catalog, version in ((first, 1), (second, 2))
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert first.models("alice", name="soc", stage="production").shape[0] == 1
    finally:
        first.close()
        second.close()


def _promote_together(barrier, catalog: Catalog, version: int) -> None:
    barrier.wait()
    catalog.set_model_stage("alice", "soc", version, "production")
