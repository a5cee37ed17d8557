"""Running the Prefect flows from the command line."""

from __future__ import annotations

import logging
import os

from etholake.errors import EtholakeError

PREFECT_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class _WithoutEtholakeTracebacks(logging.Filter):
    """Drop Prefect's report of a run that failed with an etholake error: the CLI prints that error in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, EtholakeError)


def quiet_prefect() -> None:
    """Keep Prefect's and Dask's per-task log lines out of the CLI's output unless the user asked for them.

    Runs that fail with an etholake error (a bad manifest, a missing asset) are
    not logged with a traceback; any other failure still is.
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
        logger = logging.getLogger(name)
        if not any(isinstance(f, _WithoutEtholakeTracebacks) for f in logger.filters):
            logger.addFilter(_WithoutEtholakeTracebacks())
