"""Real services for the tests, started on loopback and stopped afterwards.

* S3: moto's server mode (a real S3 HTTP API) on 127.0.0.1.
* PostgreSQL: ``initdb`` + ``pg_ctl`` from the machine (PATH or /usr/lib/postgresql)
  or from the ``pgserver`` wheel, with its own data folder and a free port. As
  root, the server runs as an unprivileged user (PostgreSQL refuses root).
* Dask: ``dask scheduler`` and ``dask worker`` processes.

A SIGTERM to the test process (a CI timeout, ``kill``) stops it as Ctrl-C does,
so these services are stopped instead of left running (:func:`interrupt_on_sigterm`).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise KeyboardInterrupt in this process, so pytest tears its fixtures down as on Ctrl-C.

    A forked child that inherited the handler is terminated by the signal as usual.
    """
    main_pid = os.getpid()

    def interrupt(signum: int, _frame: object) -> None:
        if os.getpid() != main_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt("SIGTERM")

    signal.signal(signal.SIGTERM, interrupt)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextmanager
def s3_server() -> Iterator[str]:
    """Start moto's S3 server; yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wait_for_port(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _postgres_bin() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if versions:
        return Path(versions[-1]).parent
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throw-away PostgreSQL server; yield a ``postgresql+psycopg://`` URL of a fresh database."""
    binaries = _postgres_bin()
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="etholake-pg-"))
    data, sockets = base / "data", base / "sockets"
    data.mkdir()
    sockets.mkdir()
    if user:
        entry = pwd.getpwnam(user)
        for path in (base, data, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(base, 0o755)
    port = free_port()
    run = {"user": user, "check": True, "capture_output": True, "cwd": base}
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", "etholake", "--auth=trust", "-E", "UTF8", "--no-sync"],
        **run,
    )
    options = f"-p {port} -h 127.0.0.1 -k {sockets} -c fsync=off -c max_connections=200"
    subprocess.run([binaries / "pg_ctl", "-D", data, "-o", options, "-l", base / "server.log", "-w", "start"], **run)
    try:
        wait_for_port(port)
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=etholake dbname=postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE etholake_test")
        yield f"postgresql+psycopg://etholake@127.0.0.1:{port}/etholake_test"
    finally:
        subprocess.run([binaries / "pg_ctl", "-D", data, "-m", "immediate", "stop"], user=user, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def dask_cluster(n_workers: int = 2) -> Iterator[str]:
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes; yield the scheduler address."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--dashboard-address",
            ":0",
            "--no-show",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[subprocess.Popen] = []
    try:
        wait_for_port(port)
        for _ in range(n_workers):
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--no-dashboard",
                        "--host",
                        "127.0.0.1",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield address
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def prefect_server() -> Iterator[dict[str, str]]:
    """Start ``prefect server start`` on loopback with its own PREFECT_HOME; yield the client environment."""
    import urllib.request

    home = Path(tempfile.mkdtemp(prefix="etholake-prefect-server-"))
    port = free_port()
    environment = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    environment.pop("PREFECT_API_URL", None)
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{api}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("prefect server did not start") from None
                time.sleep(0.5)
        yield {"PREFECT_API_URL": api, "PREFECT_HOME": str(home)}
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        shutil.rmtree(home, ignore_errors=True)
