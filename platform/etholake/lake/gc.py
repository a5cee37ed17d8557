"""Garbage collection: files in the lake that no catalog row references.

Such files come from publishes that crashed (or were killed) between writing
and recording. They are invisible to readers; ``etholake gc`` lists them and,
with ``--delete``, removes them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from etholake.catalog import Catalog
from etholake.lake.store import Lake

ASSET_ENTRY = re.compile(r"[0-9a-f]{32}\.[a-z0-9]+")
MAX_LAYOUT_DEPTH = 8


@dataclass(frozen=True)
class Orphan:
    """An unreferenced asset entry: its lake-relative path and size in bytes."""

    path: str
    size_bytes: int

    @property
    def lab(self) -> str:
        """The lab whose folder holds the entry (``labs/<lab>/...``)."""
        return self.path.split("/")[1]


def _asset_entries(lake: Lake) -> list[str]:
    lake.fs.invalidate_cache()
    entries: list[str] = []
    if lake.exists("labs"):
        for path in lake.fs.find(lake.path("labs"), maxdepth=MAX_LAYOUT_DEPTH, withdirs=True):
            relative = lake.relative(path)
            if ASSET_ENTRY.fullmatch(relative.rsplit("/", 1)[-1]):
                entries.append(relative)
    entries.sort()
    return [e for e in entries if not any(e.startswith(other + "/") for other in entries if other != e)]


def _newest_change(lake: Lake, entry: str) -> float:
    path = lake.path(entry)
    files = lake.fs.find(path) or [path]
    return max(lake.fs.modified(file).timestamp() for file in files)


def find_orphans(lake: Lake, catalog: Catalog, min_age_seconds: float = 0.0) -> list[Orphan]:
    """Asset entries in ``lake`` that ``catalog`` does not reference.

    Parameters
    ----------
    lake, catalog
        The lake to scan and the catalog that references its assets.
    min_age_seconds
        Leave out entries changed more recently than this, so that a publish
        still under way in another process is not mistaken for an orphan.

    Returns
    -------
    list of Orphan
    """
    referenced = catalog.lake_uris()
    now = time.time()
    orphans = []
    for entry in _asset_entries(lake):
        if entry in referenced:
            continue
        if min_age_seconds > 0 and now - _newest_change(lake, entry) < min_age_seconds:
            continue
        orphans.append(Orphan(entry, int(lake.fs.du(lake.path(entry)))))
    return orphans


def remove_orphans(lake: Lake, orphans: list[Orphan]) -> int:
    """Remove the given orphans; return the number of bytes freed."""
    freed = 0
    for orphan in orphans:
        lake.remove(orphan.path)
        freed += orphan.size_bytes
    return freed
