"""A lake rooted at an fsspec URL, and its folder layout.

Layout (DESIGN.md §4)::

    labs/<lab>/subjects/<subject>/sessions/<session>/<kind>/<asset-id>.<ext>   session assets
    labs/<lab>/<kind>/<asset-id>.<ext>                                         lab-wide assets (models: kind model)

Every path component that comes from a user is checked with
:func:`etholake.names.validate_name`; asset ids are fresh UUIDs.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from etholake.errors import ConfigError
from etholake.names import validate_name
from etholake.output_files import creatable_folder_problem

ASSET_ID_PATTERN = re.compile(r"[0-9a-f]{32}")
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


def new_asset_id() -> str:
    """Return a new asset id: a random UUID as 32 hexadecimal characters."""
    return uuid.uuid4().hex


@dataclass
class Lake:
    """A lake: a root URL, its filesystem and its layout.

    Parameters
    ----------
    url
        Root of the lake: a local folder or an fsspec URL such as ``s3://bucket/prefix``.
    storage_options
        Options for the fsspec filesystem (``endpoint_url``, credentials, ...).
    """

    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.fs, root = fsspec.core.url_to_fs(self.url, **self.storage_options)
        if isinstance(self.fs, LocalFileSystem):
            self.fs = LocalFileSystem(auto_mkdir=True)
        self.root = root.rstrip("/")
        self.protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        if isinstance(self.fs, LocalFileSystem) and (problem := creatable_folder_problem(self.root)):
            raise ConfigError(f"lake {self.url}: {problem}")

    @property
    def is_local(self) -> bool:
        """Whether the lake lives on this machine's filesystem."""
        return isinstance(self.fs, LocalFileSystem)

    def path(self, relative: str) -> str:
        """Filesystem path (no protocol) of a lake-relative path."""
        return f"{self.root}/{relative}" if relative else self.root

    def uri(self, relative: str) -> str:
        """Full URL of a lake-relative path, usable with fsspec and xarray."""
        if self.is_local:
            return self.path(relative)
        return f"{self.protocol}://{self.path(relative)}"

    def relative(self, path: str) -> str:
        """Lake-relative form of a filesystem path inside the lake."""
        path = path.split("://", 1)[-1].rstrip("/")
        if path != self.root and not path.startswith(self.root + "/"):
            raise ValueError(f"{path} is not inside the lake {self.url}")
        return path[len(self.root) + 1 :]

    def exists(self, relative: str) -> bool:
        """Whether anything is stored at a lake-relative path."""
        return self.fs.exists(self.path(relative))

    def remove(self, relative: str, attempts: int = 5) -> None:
        """Remove a file or a folder tree at a lake-relative path, if present.

        Retries while files keep appearing (writer threads of a failed
        computation may still be finishing their chunks).
        """
        target = self.path(relative)
        for attempt in range(attempts):
            self.fs.invalidate_cache()
            if not self.fs.exists(target):
                return
            try:
                self.fs.rm(target, recursive=True)
            except OSError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def asset_path(
        self,
        kind: str,
        asset_id: str,
        extension: str,
        *,
        lab: str,
        subject: str | None = None,
        session: str | None = None,
    ) -> str:
        """Lake-relative path of a new asset.

        Parameters
        ----------
        kind
            Asset kind (``pose``, ``labels``, ``features``, ...): lower-case letters, digits, ``_``.
        asset_id
            The asset's id from :func:`new_asset_id`.
        extension
            ``zarr``, ``parquet``, ``json``, or a file extension such as ``mp4``.
        lab, subject, session
            Owner of the asset; subject and session together, or neither for a lab-wide asset.
        """
        if not KIND_PATTERN.fullmatch(kind):
            raise ValueError(f"invalid asset kind {kind!r}")
        if not ASSET_ID_PATTERN.fullmatch(asset_id):
            raise ValueError(f"invalid asset id {asset_id!r}")
        if not re.fullmatch(r"[a-z0-9]+", extension):
            raise ValueError(f"invalid asset extension {extension!r}")
        parts = ["labs", validate_name(lab, "lab")]
        if (subject is None) != (session is None):
            raise ValueError("give both subject and session, or neither")
        if subject is not None and session is not None:
            parts += ["subjects", validate_name(subject, "subject"), "sessions", validate_name(session, "session")]
        parts += [kind, f"{asset_id}.{extension}"]
        return "/".join(parts)

    def require_reachable(self, *, create: bool = False) -> None:
        """Check that the lake answers: its folder, or its bucket, can be listed.

        Parameters
        ----------
        create
            Create a local lake's folder when it does not exist (a bucket is never created).

        Raises
        ------
        ConfigError
            The folder or bucket does not exist, or the store cannot be reached or read.
        """
        top = self.root if self.is_local else self.root.split("/", 1)[0]
        if create and self.is_local:
            self.fs.makedirs(top, exist_ok=True)
        try:
            self.fs.ls(top)
        except FileNotFoundError:
            hint = " (`etholake init` creates it)" if self.is_local else ""
            raise ConfigError(f"lake {self.url}: {top} does not exist{hint}") from None
        except Exception as error:
            detail = next(iter(str(error).strip().splitlines()), "")
            raise ConfigError(f"lake {self.url} cannot be reached: {type(error).__name__}: {detail}") from None


def open_lake(url: str | None = None, storage_options: dict[str, Any] | None = None) -> Lake:
    """Open the lake at ``url``, or the configured one.

    Parameters
    ----------
    url
        Lake root URL; defaults to the ``lake`` setting (``ETHOLAKE_LAKE``).
    storage_options
        fsspec options; default from the settings (S3 endpoint).

    Returns
    -------
    Lake
    """
    from etholake.config import load_settings

    settings = load_settings(lake=url)
    options = settings.storage_options if storage_options is None else storage_options
    return Lake(settings.lake, options)
