"""Output files and folders: folders are made if missing; a path that cannot be written is a clear error."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from etholake.errors import ExportError


def folder_problem(folder: str | Path) -> str | None:
    """Create ``folder`` with any missing parents; return None, or why it cannot be written in."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next(parent for parent in (folder, *folder.parents) if parent.exists())
        return f"{blocking} is a file, not a folder"
    except OSError as error:
        return f"cannot create the folder {folder}: {error.strerror}"
    if not os.access(folder, os.W_OK):
        return f"no permission to write in {folder}"
    return None


def creatable_folder_problem(folder: str | Path) -> str | None:
    """Why ``folder`` could not be created or written in, or None; nothing is created.

    An existing folder must be writable; otherwise its nearest existing parent must be a writable folder.
    """
    folder = Path(folder)
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if not existing.is_dir():
        return f"{existing} is a file, not a folder"
    if not os.access(existing, os.W_OK):
        return f"no permission to write in {existing}"
    return None


def output_folder(folder: str | Path) -> Path:
    """Return ``folder``, created with any missing parents.

    Raises
    ------
    ExportError
        A file is in the way, or the folder cannot be created or written in.
    """
    problem = folder_problem(folder)
    if problem:
        raise ExportError(f"cannot write in {folder}: {problem}")
    return Path(folder)


def output_path(path: str | Path) -> Path:
    """Return ``path`` ready to be written: its folder exists (created with any missing parents).

    Raises
    ------
    ExportError
        ``path`` is a folder, its folder cannot be created (a file is in the way,
        no permission) or cannot be written in.
    """
    path = Path(path)
    if path.is_dir():
        raise ExportError(f"cannot export to {path}: it is a folder; give a file name")
    problem = folder_problem(path.parent)
    if problem:
        raise ExportError(f"cannot export to {path}: {problem}")
    return path


def write_table(table: pd.DataFrame, path: Path, *, index: bool = False) -> None:
    """Write ``table`` as delimited text: tab-separated for a ``.tsv`` file, comma-separated otherwise."""
    table.to_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", index=index)
