"""Settings: where the lake, the catalog, the Dask scheduler and Prefect live.

Values come, in increasing priority, from built-in defaults, an ``etholake.toml``
file and ``ETHOLAKE_*`` environment variables:

============================  =====================  ==========================================
setting                       environment variable   default
============================  =====================  ==========================================
``lake``                      ``ETHOLAKE_LAKE``      ``./lake`` (a local folder)
``catalog``                   ``ETHOLAKE_CATALOG``   ``sqlite:///<lake>/catalog.sqlite`` for a
                                                     local lake, ``sqlite:///./etholake-catalog
                                                     .sqlite`` for a remote one
``dask_address``              ``ETHOLAKE_DASK_ADDRESS``  none: a local cluster of processes
``dask_workers``              ``ETHOLAKE_DASK_WORKERS``  number of CPU cores
``prefect_api_url``           ``PREFECT_API_URL``    none: Prefect runs without a server
``s3_endpoint_url``           ``ETHOLAKE_S3_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL``
``user``                      ``ETHOLAKE_USER``      the login name
``staging_dir``               ``ETHOLAKE_STAGING_DIR``  the system's temporary folder: where
                                                     ingest copies a manifest's remote files
============================  =====================  ==========================================

The toml file is found at ``ETHOLAKE_CONFIG`` or as ``./etholake.toml``; its keys
are the setting names above, at the top level or under an ``[etholake]`` table.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from etholake.errors import ConfigError

ENVIRONMENT_VARIABLES = {
    "lake": ("ETHOLAKE_LAKE",),
    "catalog": ("ETHOLAKE_CATALOG",),
    "dask_address": ("ETHOLAKE_DASK_ADDRESS",),
    "dask_workers": ("ETHOLAKE_DASK_WORKERS",),
    "prefect_api_url": ("PREFECT_API_URL",),
    "s3_endpoint_url": ("ETHOLAKE_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL"),
    "user": ("ETHOLAKE_USER",),
    "staging_dir": ("ETHOLAKE_STAGING_DIR",),
}


def _default_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "anonymous"


@dataclass(frozen=True)
class Settings:
    """Resolved etholake settings.

    Attributes
    ----------
    lake
        Lake root URL: a local folder or ``s3://bucket/prefix``.
    catalog
        SQLAlchemy URL of the catalog database.
    dask_address
        Address of an external Dask scheduler, or None for a local cluster.
    dask_workers
        Worker processes of the local cluster.
    prefect_api_url
        URL of a Prefect server, or None to run flows without one.
    s3_endpoint_url
        Endpoint of an S3-compatible store (MinIO, moto), or None for AWS.
    user
        Name of the acting user, recorded as creator of new assets.
    staging_dir
        Folder receiving copies of a manifest's remote files during an
        ingest (it must be visible to the Dask workers), or None for the
        system's temporary folder.
    """

    lake: str = "lake"
    catalog: str | None = None
    dask_address: str | None = None
    dask_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    prefect_api_url: str | None = None
    s3_endpoint_url: str | None = None
    user: str = field(default_factory=_default_user)
    staging_dir: str | None = None

    @property
    def lake_is_local(self) -> bool:
        """Whether the lake is a folder on this machine."""
        return "://" not in self.lake or self.lake.startswith("file://")

    @property
    def catalog_url(self) -> str:
        """The catalog URL, with the embedded SQLite default filled in."""
        if self.catalog:
            return self.catalog
        if self.lake_is_local:
            root = Path(self.lake.removeprefix("file://")).expanduser().resolve()
            return f"sqlite:///{root / 'catalog.sqlite'}"
        return f"sqlite:///{Path('etholake-catalog.sqlite').resolve()}"

    @property
    def storage_options(self) -> dict[str, Any]:
        """fsspec options for the lake's filesystem."""
        return self.filesystem_options(self.lake)

    def filesystem_options(self, url: str) -> dict[str, Any]:
        """fsspec options for the filesystem of ``url`` (the S3 endpoint for ``s3://`` URLs)."""
        if url.startswith(("s3://", "s3a://")) and self.s3_endpoint_url:
            return {"endpoint_url": self.s3_endpoint_url}
        return {}

    def with_overrides(self, **values: Any) -> Settings:
        """Return a copy with the given non-None values replaced."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def _config_file() -> Path | None:
    explicit = os.environ.get("ETHOLAKE_CONFIG")
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"ETHOLAKE_CONFIG points to {path}, which is not a file")
        return path
    local = Path("etholake.toml")
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        content = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: cannot read configuration: {error}") from error
    table = content.get("etholake", content)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return dict(table)


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings from defaults, ``etholake.toml``, environment and overrides.

    Parameters
    ----------
    **overrides
        Setting values that win over every other source (None values are ignored).

    Returns
    -------
    Settings
        The resolved settings.
    """
    values: dict[str, Any] = {}
    path = _config_file()
    if path is not None:
        values.update(_read_toml(path))
    for name, variables in ENVIRONMENT_VARIABLES.items():
        for variable in variables:
            if os.environ.get(variable):
                values[name] = os.environ[variable]
                break
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "dask_workers" in values:
        try:
            values["dask_workers"] = int(values["dask_workers"])
        except (TypeError, ValueError) as error:
            raise ConfigError(f"dask_workers must be a whole number, got {values['dask_workers']!r}") from error
    return Settings(**values)
