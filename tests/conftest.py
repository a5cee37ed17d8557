"""Shared fixtures: real data from ../shared/data and a fresh lake + catalog per test."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

PREFECT_HOME = tempfile.mkdtemp(prefix="etholake-prefect-home-")
os.environ["PREFECT_HOME"] = PREFECT_HOME
atexit.register(shutil.rmtree, PREFECT_HOME, ignore_errors=True)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("ETHOLAKE_DASK_WORKERS", "2")

SHARED_DATA = Path(
    os.environ.get("ETHOLAKE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)


def shared_file(relative: str) -> Path:
    """Return a file of ../shared/data, skipping (or failing in CI) when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"real data file {path} is not here (a fresh clone has no ../shared/data)"
        if os.environ.get("ETHOLAKE_REQUIRE_SHARED_DATA") == "1":
            pytest.fail(message + "; ETHOLAKE_REQUIRE_SHARED_DATA=1 makes this a failure")
        pytest.skip(message)
    return path


def pytest_configure(config):
    from services import interrupt_on_sigterm

    interrupt_on_sigterm()


@pytest.fixture
def shared_data():
    """The ``shared_file`` function, for tests that read real data."""
    return shared_file


@pytest.fixture(scope="session")
def s3_endpoint():
    """Endpoint URL of a moto S3 server on 127.0.0.1, for the whole test session."""
    from services import s3_server

    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def postgres_url():
    """URL of a fresh PostgreSQL database on a throw-away local server, for the whole test session."""
    from services import postgres_server

    with postgres_server() as url:
        yield url


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request, tmp_path):
    """A fresh, empty catalog URL: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.sqlite'}"
        return
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    yield url


@pytest.fixture
def catalog(catalog_url):
    """An open, empty catalog (SQLite and PostgreSQL)."""
    from etholake.catalog import Catalog

    with Catalog(catalog_url) as opened:
        yield opened


@pytest.fixture(params=["local", "s3"])
def lake_url(request, tmp_path):
    """A fresh lake root: an empty local folder, and a prefix in a new bucket of the moto S3 server."""
    if request.param == "local":
        (tmp_path / "lake").mkdir()
        yield str(tmp_path / "lake")
        return
    import s3fs

    endpoint = request.getfixturevalue("s3_endpoint")
    fs = s3fs.S3FileSystem(endpoint_url=endpoint)
    bucket = f"lake-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    os.environ["ETHOLAKE_S3_ENDPOINT_URL"] = endpoint
    yield f"s3://{bucket}/prefix"
    os.environ.pop("ETHOLAKE_S3_ENDPOINT_URL", None)


@pytest.fixture
def lake(lake_url):
    """An open lake (local folder and S3)."""
    from etholake.lake import open_lake

    return open_lake(lake_url)


@pytest.fixture
def sqlite_catalog(tmp_path):
    """An open SQLite catalog with lab ``labA`` owned by ``alice``."""
    from etholake.catalog import Catalog

    with Catalog(f"sqlite:///{tmp_path / 'catalog.sqlite'}") as opened:
        opened.create_lab("alice", "labA")
        yield opened


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API (and database under a temporary PREFECT_HOME) for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="session")
def dask_scheduler():
    """Address of a Dask scheduler with two worker processes, shared by the whole test session."""
    from services import dask_cluster

    with dask_cluster(n_workers=2) as address:
        from distributed import Client

        with Client(address, timeout=60) as probe:
            probe.wait_for_workers(2, timeout=120)
        yield address


@pytest.fixture
def flow_env(prefect_harness, dask_scheduler, monkeypatch):
    """Run flows against the test session's Prefect API and shared Dask cluster."""
    monkeypatch.setenv("ETHOLAKE_DASK_ADDRESS", dask_scheduler)
    return dask_scheduler
