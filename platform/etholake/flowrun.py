"""Running the Prefect flows from the command line."""

from __future__ import annotations

import logging
import os
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from etholake.errors import ConfigError, EtholakeError

PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
PREFECT_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")
"""Prefect's background services log under their class names."""
TEMPORARY_SERVER_STARTUP_TIMEOUT_S = 120
"""How long a run without ``PREFECT_API_URL`` waits for Prefect's temporary API server.

Prefect's own default, 20 s, is too short for a busy machine: the server
migrates its database before it answers.
"""
TEMPORARY_SERVER_TIMEOUT_MESSAGE = "Timed out while attempting to connect to ephemeral Prefect API server"
PREFECT_HEALTH_TIMEOUT_S = 5
"""How long the check of a configured Prefect server waits for its ``/health`` answer."""


def _error_names(kind: type[Exception]) -> set[str]:
    return {kind.__name__}.union(*(_error_names(sub) for sub in kind.__subclasses__()))


class _WithoutEtholakeTracebacks(logging.Filter):
    """Drop Prefect's reports of a run that failed with an etholake error: the CLI prints that error in one line.

    Prefect reports such a run twice: the error with its traceback, then "Finished in state
    Failed('... encountered an exception InputFileError: ...')".
    """

    def __init__(self) -> None:
        super().__init__()
        names = "|".join(sorted(_error_names(EtholakeError)))
        self.final_state = re.compile(rf"Finished in state Failed\(.*encountered an exception ({names}): ", re.DOTALL)

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, EtholakeError) and not self.final_state.match(record.getMessage())


class _WithoutShutdownProgress(logging.Filter):
    """Drop the "Still processing items: N items remaining..." a Prefect service logs while it shuts down."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Still processing items")


def prepare_prefect(*, check_server: bool = True) -> None:
    """Set Prefect up for a command: quiet logs and a patient start of its temporary server.

    Prefect's and Dask's per-task log lines stay out of the output unless the
    user asked for them. Runs that fail with an etholake error (a bad manifest,
    a missing asset) are not logged with a traceback; any other failure still
    is. Prefect's background services do not report their shutdown progress.
    Without ``PREFECT_API_URL``, Prefect's temporary server gets
    ``TEMPORARY_SERVER_STARTUP_TIMEOUT_S`` to start unless the environment
    variable ``PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS`` says
    otherwise (a value in a Prefect profile does not: environment variables
    rank above profiles). A configured Prefect server must answer first
    (:func:`require_prefect_server`) unless ``check_server`` is False (for a
    command that checks its options first). Call it before Prefect is imported.
    """
    if check_server:
        require_prefect_server()
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(TEMPORARY_SERVER_STARTUP_TIMEOUT_S))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_LOG_PRINTS", "false")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    import distributed  # noqa: F401  (sets its loggers' levels on import: quieten them afterwards)
    import prefect  # noqa: F401  (configures Prefect's loggers, which the filter is then added to)

    if os.environ["DASK_LOGGING__DISTRIBUTED"] == "warning":
        logging.getLogger("distributed").setLevel(logging.WARNING)

    for name in PREFECT_RUN_LOGGERS:
        _filter_once(name, _WithoutEtholakeTracebacks)
    for name in PREFECT_SERVICE_LOGGERS:
        _filter_once(name, _WithoutShutdownProgress)


def require_prefect_server() -> None:
    """Check that the configured Prefect server (``PREFECT_API_URL``, ``etholake.toml``) answers; pass Prefect its URL.

    Raises
    ------
    ConfigError
        When it does not answer: one line instead of Prefect's tracebacks from
        deep inside a run.
    """
    from etholake.config import load_settings

    url = load_settings().prefect_api_url
    if url:
        prefect_server_status(url)
        os.environ["PREFECT_API_URL"] = url


def prefect_server_status(url: str) -> str:
    """``reachable (HTTP 200)`` when the Prefect server at ``url`` answers its ``/health`` request.

    Raises
    ------
    ConfigError
        Saying why it does not answer and what to do.
    """
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=PREFECT_HEALTH_TIMEOUT_S) as response:
            return f"reachable (HTTP {response.status})"
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"the Prefect server at {url} does not answer ({getattr(error, 'reason', error)}): start it "
            "(`prefect server start`), or unset PREFECT_API_URL to run flows on a temporary local API"
        ) from error


def _filter_once(logger_name: str, kind: type[logging.Filter]) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, kind) for existing in logger.filters):
        logger.addFilter(kind())


@contextmanager
def explained_prefect_start_failure() -> Iterator[None]:
    """Turn Prefect's failure to start its temporary API server into a :class:`ConfigError` that says what to do.

    Raises
    ------
    ConfigError
        When Prefect's temporary server did not answer in time; the message
        names the server's exit code when it stopped (a bad Prefect database
        setting, say) rather than being slow.
    """
    try:
        yield
    except RuntimeError as error:
        if TEMPORARY_SERVER_TIMEOUT_MESSAGE not in str(error):
            raise
        from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        timeout = PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
        waited = f"Prefect's temporary API server did not start within {timeout} s"
        exited = re.search(r"exited with code (-?\d+)", str(error))
        if exited:
            advice = (
                f": it exited with code {exited.group(1)}; check the Prefect settings (PREFECT_HOME, "
                "PREFECT_API_DATABASE_CONNECTION_URL) or set PREFECT_API_URL to a running Prefect server"
            )
        else:
            advice = (
                " (a busy machine starts it slowly): run again, give it longer with "
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a running Prefect server"
            )
        raise ConfigError(waited + advice) from error
