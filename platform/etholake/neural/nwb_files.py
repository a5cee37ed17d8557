"""Opening NWB files with errors that name the file."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from etholake.errors import InputFileError


@contextmanager
def open_nwb(path: str | Path) -> Iterator[object]:
    """Yield the ``NWBFile`` at ``path``, read-only; unreadable files raise :class:`InputFileError`."""
    from pynwb import NWBHDF5IO

    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "file not found")
    try:
        io = NWBHDF5IO(str(path), "r", load_namespaces=True)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*cached namespace.*")
            warnings.filterwarnings("ignore", message=".*ignoring namespace.*", category=UserWarning)
            nwbfile = io.read()
    except Exception as exc:  # h5py/hdmf raise many types for a bad file
        raise InputFileError(path, f"not a readable NWB file ({type(exc).__name__}: {exc})") from exc
    try:
        yield nwbfile
    finally:
        io.close()


def find_nwb_object(nwbfile, name: str, path: str | Path):
    """Find a data object by name, or by a path ending in its name, anywhere in the file."""
    if "/" in name:
        matches = [obj for obj in nwbfile.objects.values() if _paths_agree(_object_path(obj), name.strip("/"))]
    else:
        matches = [obj for obj in nwbfile.objects.values() if getattr(obj, "name", None) == name]
    if not matches:
        available = sorted({getattr(obj, "name", "") for obj in nwbfile.objects.values()})
        raise InputFileError(path, f"no object named {name!r}; objects: {', '.join(available[:40])}")
    if len(matches) > 1:
        locations = [_object_path(obj) for obj in matches]
        raise InputFileError(path, f"{len(matches)} objects are named {name!r} ({locations}); give a full path")
    return matches[0]


def _paths_agree(object_path: str, wanted: str) -> bool:
    """True if one path ends the other (``acquisition/`` and ``processing/`` are not in object paths)."""
    return object_path == wanted or object_path.endswith("/" + wanted) or wanted.endswith("/" + object_path)


def _object_path(obj) -> str:
    parts = []
    while obj is not None and getattr(obj, "name", None) != "root":
        parts.append(obj.name)
        obj = obj.parent
    return "/".join(reversed(parts))
