"""Exceptions raised by etholake.

Every error a user can cause derives from :class:`EtholakeError`; the CLI prints
its message on one line and exits non-zero instead of showing a traceback.
"""

from __future__ import annotations

from pathlib import Path


class EtholakeError(Exception):
    """Base class of every error etholake raises on purpose."""


class InvalidNameError(EtholakeError, ValueError):
    """A name that would become a path or key is not allowed."""


class InputFileError(EtholakeError, ValueError):
    """An input file cannot be read: the message names the file and the problem.

    Parameters
    ----------
    path
        The offending file.
    problem
        What is wrong with it, in words a user can act on.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class SchemaError(EtholakeError, ValueError):
    """A dataset or record does not follow its etholake schema."""


class OptionError(EtholakeError, ValueError):
    """A setting etholake does not accept: an unknown estimator, label policy, evaluation grouping, version, ..."""


class ExportError(EtholakeError, ValueError):
    """A dataset cannot be written as asked: the format cannot hold it, or the output file cannot be written."""


class NotFoundError(EtholakeError, LookupError):
    """The requested object does not exist or is not visible to the acting user."""


class AccessDeniedError(EtholakeError, PermissionError):
    """The acting user may see the object but not perform the requested action."""


class IntegrityError(EtholakeError):
    """Stored content does not match its recorded hash or shape."""


class ConfigError(EtholakeError):
    """The configuration is invalid or a configured service is unreachable."""


class StorageError(EtholakeError):
    """A file cannot be written: the disk is full, the folder read-only or not writable by the user."""


class DuplicateAssetError(EtholakeError):
    """An asset with the same ``unique_key`` is already recorded (another run made it first).

    Attributes
    ----------
    unique_key
        The key both assets claimed.
    existing_id
        The id of the asset already in the catalog.
    """

    def __init__(self, unique_key: str, existing_id: str) -> None:
        self.unique_key = unique_key
        self.existing_id = existing_id
        super().__init__(f"asset {existing_id} already holds {unique_key}")


class SessionsFailedError(EtholakeError):
    """Some sessions of a batch failed with an etholake error; the others ran to the end.

    Attributes
    ----------
    results
        What the sessions that succeeded returned, in the order they were given.
    failures
        (label, error) of each session that failed, in the order they were given.
    total
        How many sessions the batch had.
    """

    def __init__(self, results: list, failures: list[tuple[str, EtholakeError]], total: int) -> None:
        self.results = results
        self.failures = failures
        self.total = total
        listed = "; ".join(f"{label}: {error}" for label, error in failures)
        super().__init__(f"{len(failures)} of {total} session(s) failed: {listed}")
