"""Content hashes of files and folder trees in the lake."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from fsspec import AbstractFileSystem

BLOCK_SIZE = 1 << 22
FILES_AT_ONCE = 8


def file_sha256(fs: AbstractFileSystem, path: str) -> str:
    """sha256 of one file, read in 4 MiB blocks."""
    digest = hashlib.sha256()
    with fs.open(path, "rb") as handle:
        while block := handle.read(BLOCK_SIZE):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(fs: AbstractFileSystem, path: str) -> str:
    """sha256 of a file, or of a folder tree as the hash of its sorted (relative path, file hash) pairs.

    The folder hash changes when any file's content, name or presence changes, and
    does not depend on listing order or on the folder's location. Up to
    ``FILES_AT_ONCE`` files are read and hashed at once (hashlib releases the
    GIL; on object stores the requests overlap).
    """
    fs.invalidate_cache()
    if fs.isfile(path):
        return file_sha256(fs, path)
    root = path.rstrip("/")
    files = sorted(fs.find(root))
    digest = hashlib.sha256()
    with ThreadPoolExecutor(max_workers=FILES_AT_ONCE, thread_name_prefix="etholake-tree-sha256") as pool:
        for file, file_hash in zip(files, pool.map(partial(file_sha256, fs), files)):
            relative = file.split("://", 1)[-1][len(root.split("://", 1)[-1]) + 1 :]
            digest.update(relative.encode())
            digest.update(b"\0")
            digest.update(file_hash.encode())
            digest.update(b"\n")
    return digest.hexdigest()
