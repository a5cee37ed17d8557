"""File helpers shared by the readers: content hashes, sniffing and error wrapping."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import queue
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import h5py

from etholake.errors import EtholakeError, InputFileError

_HASH_BLOCK = 1 << 20
_LAST_LINE_BYTES = 1 << 16
_SHORT_ROW = re.compile(r"Expected \d+ columns, got \d+: (.*)$", re.DOTALL)
_HASH_BUFFERS = 4
_HASH_MEMORY = 64
_HASH_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="etholake-sha256")
_READ_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="etholake-sha256-read")
_HASH_LOCK = threading.Lock()
_HASHES: OrderedDict[tuple[str, int, int, int], Future[str]] = OrderedDict()


_RECORD_SOURCE_SHA256: ContextVar[bool] = ContextVar("etholake_record_source_sha256", default=True)


@contextmanager
def recording_source_sha256(enabled: bool) -> Iterator[None]:
    """Within the block, readers hash the source file only if ``enabled`` (else ``source_sha256`` stays empty)."""
    token = _RECORD_SOURCE_SHA256.set(enabled)
    try:
        yield
    finally:
        _RECORD_SOURCE_SHA256.reset(token)


def records_source_sha256() -> bool:
    """Whether readers record ``source_sha256`` here (see :func:`recording_source_sha256`)."""
    return _RECORD_SOURCE_SHA256.get()


def file_sha256(path: str | Path) -> str:
    """Return the hex SHA-256 of a file's bytes (reusing a hash started by :func:`start_sha256`)."""
    return start_sha256(path).result()


def start_sha256(path: str | Path) -> Future[str]:
    """Start hashing a file in a background thread and return the future digest.

    hashlib releases the GIL on large blocks, so a reader can parse the file
    while it is hashed; the file's bytes are read ahead in one more thread,
    so the hash takes about as long as hashing alone. Results are remembered
    per (path, inode, size, mtime), so an unchanged file is hashed once and a
    modified one again; a hash that failed (a read error) is tried again.
    """
    stat = os.stat(path)
    key = (str(Path(path).resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _HASH_LOCK:
        future = _HASHES.pop(key, None)
        if future is None or (future.done() and future.exception() is not None):
            future = _HASH_POOL.submit(_sha256_of, key[0])
        _HASHES[key] = future
        while len(_HASHES) > _HASH_MEMORY:
            _HASHES.popitem(last=False)
    return future


def _sha256_of(path: str) -> str:
    """Hash blocks that another thread reads into a few reused buffers.

    Reading (a kernel copy) then overlaps hashing, no block needs fresh
    pages, and the GIL is only taken between blocks.
    """
    digest = hashlib.sha256()
    free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
    full: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
    with open(path, "rb", buffering=0) as handle:
        size = min(_HASH_BLOCK, max(1, os.fstat(handle.fileno()).st_size))
        for _ in range(_HASH_BUFFERS):
            free.put(bytearray(size))
        reading = _READ_POOL.submit(_read_blocks, handle, free, full)
        while (block := full.get()) is not None:
            digest.update(block)
            free.put(block.obj)
        reading.result()
    return digest.hexdigest()


def _read_blocks(handle: io.RawIOBase, free: queue.SimpleQueue, full: queue.SimpleQueue) -> None:
    """Read the file into buffers taken from ``free``, passing each on to ``full``; None marks the end."""
    try:
        while size := handle.readinto(buffer := free.get()):
            full.put(memoryview(buffer)[:size])
    finally:
        full.put(None)


def require_readable_file(path: str | Path) -> Path:
    """Return ``path`` as a Path; raise InputFileError if it is missing, not a file or empty."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file does not exist")
    if not path.is_file():
        raise InputFileError(path, "not a regular file")
    if path.stat().st_size == 0:
        raise InputFileError(path, "file is empty (0 bytes)")
    return path


def is_hdf5(path: str | Path) -> bool:
    """Whether ``path`` starts with the HDF5 signature (at offset 0 or a power-of-two user block)."""
    return bool(h5py.is_hdf5(str(path)))


def line_delimiter(line: str) -> str:
    """The cell delimiter of a delimited text line: a tab when it holds more tabs than commas, else a comma."""
    return "\t" if line.count("\t") > line.count(",") else ","


def text_delimiter(path: str | Path) -> str:
    """The cell delimiter of a CSV or TSV file, from its first line (:func:`line_delimiter`)."""
    with wrap_errors(path, "cannot read the first line"), open(path, encoding="utf-8-sig") as handle:
        return line_delimiter(handle.readline())


def read_header_rows(path: str | Path, n_rows: int, delimiter: str = ",") -> list[list[str]]:
    """Return the first ``n_rows`` rows of a delimited text file, split into cells (fewer if the file is shorter)."""
    with wrap_errors(path, "cannot read the CSV header"), open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        rows = []
        for row in reader:
            rows.append(row)
            if len(rows) == n_rows:
                break
    return rows


def require_whole_last_line(path: str | Path, n_fields: int, delimiter: str = ",") -> None:
    """Raise :class:`InputFileError` when a delimited text file was cut inside its last line.

    A file whose last line has no line end and fewer than the header's
    ``n_fields`` cells was cut mid-row (pandas would pad the row with empty
    cells). A file cut right after a line end cannot be told from a whole one.
    """
    with wrap_errors(path, "cannot read the last line"):
        size, tail = _file_tail(path)
    if not tail or tail.endswith((b"\n", b"\r")) or b"\n" not in tail:
        return
    last_line = tail.rsplit(b"\n", 1)[1].decode("utf-8", errors="replace")
    cells = next(csv.reader([last_line], delimiter=delimiter), [])
    if len(cells) < n_fields:
        raise InputFileError(
            path,
            f"the last line has {len(cells)} of the header's {n_fields} fields and no line end: "
            f"the file looks truncated (at {size:,} bytes)",
        )


@contextmanager
def open_hdf5(path: str | Path, *, chunk_cache_bytes: int | None = None) -> Iterator[h5py.File]:
    """Open an HDF5 file read-only; a truncated or corrupted file raises InputFileError.

    Parameters
    ----------
    path
        The file.
    chunk_cache_bytes
        Size of HDF5's cache of decoded chunks, per dataset (None: h5py's 1 MiB).
        0 suits one pass over whole chunks: HDF5 then reads them straight into
        the caller's buffer instead of through the cache.
    """
    try:
        handle = h5py.File(path, "r", rdcc_nbytes=chunk_cache_bytes)
    except OSError as error:
        raise InputFileError(path, f"not a readable HDF5 file (truncated or corrupted?): {error}") from error
    try:
        yield handle
    finally:
        handle.close()


@contextmanager
def wrap_errors(path: str | Path, what: str) -> Iterator[None]:
    """Turn low-level exceptions raised inside the block into one InputFileError naming ``path``.

    Parameters
    ----------
    path
        The file being read.
    what
        What was being done, e.g. ``"cannot read the DeepLabCut table"``; the
        original exception's message follows it.
    """
    try:
        yield
    except EtholakeError:
        raise
    except (OSError, RuntimeError, ValueError, KeyError, IndexError, TypeError, csv.Error) as error:
        message = f"{what}: {type(error).__name__}: {error}"
        if _is_short_last_row(path, str(error)):
            message += " (that is the file's last line: is the file truncated?)"
        raise InputFileError(path, message) from error


def _is_short_last_row(path: str | Path, message: str) -> bool:
    """Whether ``message`` is a CSV parser's complaint about a row with too few cells, and that row ends the file."""
    complaint = _SHORT_ROW.search(message)
    shown_row = complaint.group(1).rstrip().removesuffix("...").rstrip() if complaint else ""
    if not shown_row:
        return False
    try:
        lines = _file_tail(path)[1].rstrip(b"\r\n").splitlines()
    except OSError:
        return False
    return bool(lines) and lines[-1].decode("utf-8", "replace").startswith(shown_row)


def _file_tail(path: str | Path) -> tuple[int, bytes]:
    """The size of a file and its last :data:`_LAST_LINE_BYTES` bytes."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - _LAST_LINE_BYTES))
        return size, handle.read()


def warn_fixup(path: str | Path, message: str) -> None:
    """Warn that input from ``path`` was fixed up while reading."""
    warnings.warn(f"{path}: {message}", UserWarning, stacklevel=3)
