"""Running the Prefect flows from the command line."""

from __future__ import annotations

import logging
import os

from etholake.errors import EtholakeError

PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
PREFECT_SERVICE_LOGGERS = ("EventsWorker", "APILogWorker")
"""Prefect's background services log under their class names."""


class _WithoutEtholakeTracebacks(logging.Filter):
    """Drop Prefect's report of a run that failed with an etholake error: the CLI prints that error in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, EtholakeError)


class _WithoutShutdownProgress(logging.Filter):
    """Drop the "Still processing items: N items remaining..." a Prefect service logs while it shuts down."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Still processing items")


def quiet_prefect() -> None:
    """Keep Prefect's and Dask's per-task log lines out of the CLI's output unless the user asked for them.

    Runs that fail with an etholake error (a bad manifest, a missing asset) are
    not logged with a traceback; any other failure still is. Prefect's
    background services do not report their shutdown progress.
    """
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


def _filter_once(logger_name: str, kind: type[logging.Filter]) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, kind) for existing in logger.filters):
        logger.addFilter(kind())
