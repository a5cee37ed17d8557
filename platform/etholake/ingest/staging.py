"""Remote manifest files (``s3://``, ``https://``, ...) copied to local files before they are read.

The readers (HDF5, PyAV, pandas) and the hashing read local files, so each
remote file a manifest names is copied once into a staging folder when the
manifest is checked, several files at once, with a progress bar. The copy keeps the URL as its ``source``: that is the
name recorded in the lake and shown in messages. The folder must be visible
to the Dask workers (the machine's temporary folder for a local cluster).
"""

from __future__ import annotations

import dataclasses
import errno
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
from dask.utils import format_bytes

from etholake.errors import ConfigError
from etholake.ingest.manifest import FileEntry, SessionEntry
from etholake.ingest.stamps import Stamp, remote_stamp

FILES_AT_ONCE = 4
INFOS_AT_ONCE = 16


def no_options(url: str) -> dict[str, Any]:
    """fsspec options for ``url``: none (the filesystem's defaults and environment)."""
    return {}


@dataclass
class Staging:
    """A folder receiving copies of remote files, and the fsspec options for reaching each URL.

    Parameters
    ----------
    folder
        Where the copies go; each URL is copied once.
    filesystem_options
        fsspec options for a URL's filesystem (an S3 endpoint, credentials).
    """

    folder: Path
    filesystem_options: Callable[[str], dict[str, Any]] = no_options
    copied: dict[str, Path] = field(default_factory=dict)
    failed: dict[str, Exception] = field(default_factory=dict)
    stamps: dict[str, Stamp | None] = field(default_factory=dict)
    """Each copied URL's stamp (:func:`etholake.ingest.stamps.remote_stamp`), taken before the copy."""
    infos: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each URL's filesystem said about it (fsspec ``info``) before :meth:`fetch_all` copied anything."""

    def fetch_all(self, urls: Sequence[str], *, show_progress: bool = False) -> None:
        """Copy every URL not copied yet, ``FILES_AT_ONCE`` at a time; :meth:`fetch` then returns each copy.

        A URL that cannot be copied is remembered with its error, which
        :meth:`fetch` raises.

        Raises
        ------
        ConfigError
            Before anything is copied, if the files together need more room
            than the staging folder has free.
        """
        from etholake.progress import progress_bar

        todo = [url for url in dict.fromkeys(urls) if url not in self.copied and url not in self.failed]
        self._ask_infos(todo)
        needed = sum(self.infos[url].get("size") or 0 for url in todo if url in self.infos)
        free = shutil.disk_usage(self.folder).free
        if needed > free:
            raise ConfigError(
                f"the {len(todo)} remote files to check need {format_bytes(needed)} together and the staging folder "
                f"{self.folder} has {format_bytes(free)} free: set ETHOLAKE_STAGING_DIR to a larger disk, "
                "or ingest the manifest in parts"
            )
        with (
            progress_bar("copy", len(todo), enabled=show_progress and bool(todo)) as advance,
            ThreadPoolExecutor(max_workers=FILES_AT_ONCE, thread_name_prefix="etholake-staging") as pool,
        ):
            for done in as_completed([pool.submit(self._fetch_remembering_failure, url) for url in todo]):
                done.result()
                advance()

    def _ask_infos(self, urls: Sequence[str]) -> None:
        """Ask each URL's filesystem about it, ``INFOS_AT_ONCE`` at a time; URLs that cannot be asked are skipped."""

        def ask(url: str) -> None:
            try:
                fs, remote = fsspec.core.url_to_fs(url, **self.filesystem_options(url))
                found = fs.info(remote)
            except Exception:  # each filesystem raises its own types; fetch asks again and keeps the error
                return
            if found.get("type") == "file":
                self.infos[url] = found

        with ThreadPoolExecutor(max_workers=INFOS_AT_ONCE, thread_name_prefix="etholake-staging-info") as pool:
            list(pool.map(ask, [url for url in urls if url not in self.infos]))

    def remote_stamps(self, urls: Sequence[str]) -> dict[str, Stamp | None]:
        """Each URL's stamp (:func:`etholake.ingest.stamps.remote_stamp`) from its ``info``, asked once per URL.

        None for a URL that cannot be asked or gives no ETag or time; the
        same answers then serve :meth:`fetch_all`, which does not ask again.
        """
        self._ask_infos(urls)
        return {url: remote_stamp(self.infos[url]) if url in self.infos else None for url in urls}

    def _fetch_remembering_failure(self, url: str) -> None:
        try:
            self.fetch(url)
        except Exception as error:  # each filesystem (s3fs, botocore, aiohttp, ...) raises its own types
            self.failed[url] = error

    def fetch(self, url: str) -> Path:
        """The local copy of ``url``, copying it on first use.

        Raises
        ------
        FileNotFoundError
            If no file exists at ``url``.
        Exception
            Whatever the URL's filesystem raises when it cannot be reached,
            refuses access (missing credentials, say) or is not installed;
            OSError if the staging folder lacks the room for the file.
        """
        if url in self.failed:
            raise self.failed[url]
        if url not in self.copied:
            fs, remote = fsspec.core.url_to_fs(url, **self.filesystem_options(url))
            found = self.infos.get(url) or fs.info(remote)
            if found.get("type") != "file":
                raise FileNotFoundError(url)
            size, free = found.get("size"), shutil.disk_usage(self.folder).free
            if size is not None and size > free:
                raise OSError(
                    errno.ENOSPC,
                    f"it needs {format_bytes(size)} and the staging folder {self.folder} has {format_bytes(free)} free "
                    "(set ETHOLAKE_STAGING_DIR to a larger disk)",
                )
            name = PurePosixPath(urllib.parse.urlparse(url).path).name or "file"
            target = Path(tempfile.mkdtemp(dir=self.folder)) / name
            self.stamps[url] = remote_stamp(found)
            fs.get_file(remote, str(target))
            self.copied[url] = target
        return self.copied[url]


def _copy_problem(url: str, error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return f"file not found: {url}"
    if isinstance(error, PermissionError):
        return f"access denied to {url}"
    if isinstance(error, OSError) and error.errno == errno.ENOSPC and error.strerror:
        return f"cannot copy {url}: {error.strerror}"
    if isinstance(error, ImportError):
        return f"cannot read {url}: its filesystem needs a package that is not installed ({error})"
    if isinstance(error, OSError | ValueError):
        return f"cannot copy {url}: {error}"
    return f"cannot copy {url}: {type(error).__name__}: {error}"


def stage_session(entry: SessionEntry, staging: Staging | None) -> tuple[SessionEntry, list[str]]:
    """Copy the session's remote files to local ones; return the session reading the copies, and the problems.

    A file that cannot be copied keeps its URL and gives one problem naming
    it; without ``staging`` every remote file is such a problem.
    """
    problems: list[str] = []

    def local(item: FileEntry | None) -> FileEntry | None:
        if item is not None and item.companions:
            item = dataclasses.replace(item, companions={name: local(c) for name, c in item.companions.items()})
        if item is None or not item.is_remote:
            return item
        if staging is None:
            problems.append(f"{item.path} is remote: ingest it with the ingest flow, which copies it first")
            return item
        try:
            copy = staging.fetch(item.path)
        except Exception as error:  # each filesystem (s3fs, botocore, aiohttp, ...) raises its own types
            problems.append(_copy_problem(item.path, error))
            return item
        return dataclasses.replace(item, path=str(copy), source=item.path)

    staged = dataclasses.replace(
        entry,
        video=local(entry.video),
        pose=local(entry.pose),
        labels=tuple(local(item) for item in entry.labels),
        neural=tuple(local(item) for item in entry.neural),
        calibration=local(entry.calibration),
    )
    return staged, problems


def name_sources(text: str, files: list[FileEntry]) -> str:
    """``text`` with each copied file's local path replaced by the URL it was copied from."""
    for item in files:
        if item.source is not None:
            text = text.replace(item.path, item.source)
    return text


@contextmanager
def staging_folder(
    parent: str | None = None, filesystem_options: Callable[[str], dict[str, Any]] = no_options
) -> Iterator[Staging]:
    """A fresh staging folder under ``parent`` (the system's temporary folder if None), removed on exit.

    Raises
    ------
    ConfigError
        If ``parent`` is not an existing folder.
    """
    if parent is not None and not Path(parent).is_dir():
        raise ConfigError(f"the staging folder {parent} (setting staging_dir, ETHOLAKE_STAGING_DIR) is not a folder")
    with tempfile.TemporaryDirectory(prefix="etholake-staged-", dir=parent) as folder:
        yield Staging(Path(folder).resolve(), filesystem_options)
