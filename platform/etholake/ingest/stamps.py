"""Telling, without reading any file, that a session is the one ingested last time.

A file's *stamp* is what its filesystem says about it without reading it. For
a local file: size, modification time, status-change time (ns) and inode; the
status-change time is set by the system on every write, rename or ``touch``
and cannot be set back, so a file rewritten with its old size and modification
time restored (``cp -p``, ``touch -r``) or replaced by a renamed copy (rsync)
still gets a new stamp. For a remote one: size, ETag and modification time (an
S3 ETag changes with the content). A session whose manifest entry and file
stamps are those recorded at its last ingest is left out of the next run: its
remote files are not copied and nothing is hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from typing import Any

from etholake.catalog import Catalog, SessionKey
from etholake.errors import NotFoundError
from etholake.ingest.manifest import FileEntry, Manifest, SessionEntry, session_files

Stamp = list[Any]


def local_stamp(path: str) -> Stamp:
    """Size, modification and status-change times (ns) and inode of a local file."""
    found = os.stat(path)
    return [found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino]


def remote_stamp(info: dict[str, Any]) -> Stamp | None:
    """Size, ETag and modification time from a remote file's fsspec ``info``; None if it has neither ETag nor time."""
    etag = info.get("ETag") or info.get("etag") or ""
    modified = next(
        (
            info[key]
            for key in ("LastModified", "Last-Modified", "last_modified", "updated", "mtime", "modified")
            if info.get(key)
        ),
        "",
    )
    if not etag and not modified:
        return None
    return [info.get("size"), str(etag), str(modified)]


def entry_digest(manifest: Manifest, entry: SessionEntry) -> str:
    """Hash of everything the manifest says about one session (files by origin, formats, options, metadata)."""
    document = {
        "lab": manifest.lab,
        "license": manifest.license,
        "visibility": manifest.visibility,
        "subject": [entry.subject, manifest.subjects.get(entry.subject)],
        "session": [entry.name, entry.metadata],
        "files": [[f.origin, f.format, f.options, f.extra] for f in session_files(entry)],
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def file_stamp(item: FileEntry, remote_stamps: dict[str, Stamp | None]) -> Stamp | None:
    """A manifest file's stamp: a remote (or copied) file's from ``remote_stamps`` by URL; None if not found."""
    url = item.source or (item.path if item.is_remote else None)
    if url is not None:
        return remote_stamps.get(url)
    try:
        return local_stamp(item.path)
    except OSError:
        return None


def unchanged_sessions(
    catalog: Catalog, actor: str, manifest: Manifest, remote_stamps: Callable[[list[str]], dict[str, Stamp | None]]
) -> set[SessionKey]:
    """Sessions of ``manifest`` whose entry and file stamps are the ones recorded at their last ingest.

    Parameters
    ----------
    catalog, actor
        Where the last ingest is recorded (each session's ``extra``), and who asks.
    manifest
        The manifest about to be ingested.
    remote_stamps
        Given URLs, their stamps (:meth:`etholake.ingest.staging.Staging.remote_stamps`,
        which asks several at once and keeps the answers for the copies).

    Returns
    -------
    set of SessionKey
        Sessions that can be left out: a session is never in it if a file of
        it has no stamp (missing, unreachable, or a store that gives no ETag
        or time).
    """
    urls = [f.path for entry in manifest.sessions for f in session_files(entry) if f.is_remote]
    remote = remote_stamps(list(dict.fromkeys(urls)))
    unchanged = set()
    for entry in manifest.sessions:
        key = SessionKey(manifest.lab, entry.subject, entry.name)
        try:
            recorded = catalog.session(actor, key)["extra"] or {}
        except NotFoundError:
            continue
        if "ingest_assets" not in recorded or recorded.get("ingest_entry") != entry_digest(manifest, entry):
            continue
        stamps = {f.origin: file_stamp(f, remote) for f in session_files(entry)}
        if None not in stamps.values() and recorded.get("ingest_files") == stamps:
            unchanged.add(key)
    return unchanged
