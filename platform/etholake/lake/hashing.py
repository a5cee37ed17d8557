"""Content hashes of files and folder trees in the lake."""

from __future__ import annotations

import hashlib

from fsspec import AbstractFileSystem

BLOCK_SIZE = 1 << 22


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
    does not depend on listing order or on the folder's location.
    """
    fs.invalidate_cache()
    if fs.isfile(path):
        return file_sha256(fs, path)
    root = path.rstrip("/")
    files = sorted(fs.find(root))
    digest = hashlib.sha256()
    for file in files:
        relative = file.split("://", 1)[-1][len(root.split("://", 1)[-1]) + 1 :]
        digest.update(relative.encode())
        digest.update(b"\0")
        digest.update(file_sha256(fs, file).encode())
        digest.update(b"\n")
    return digest.hexdigest()
