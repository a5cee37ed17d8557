"""Output files of exports: the folder is made if missing; a path that cannot be written is a clear error."""

from __future__ import annotations

import os
from pathlib import Path

from etholake.errors import ExportError


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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocking = next(parent for parent in path.parents if parent.exists())
        raise ExportError(f"cannot export to {path}: {blocking} is a file, not a folder") from None
    except OSError as error:
        problem = f"cannot create the folder {path.parent}: {error.strerror}"
        raise ExportError(f"cannot export to {path}: {problem}") from None
    if not os.access(path.parent, os.W_OK):
        raise ExportError(f"cannot export to {path}: no permission to write in {path.parent}")
    return path
