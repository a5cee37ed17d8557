"""What a manifest's session fields change in the session's catalog record."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def field_changes(stored: Mapping[str, Any], given: Mapping[str, Any]) -> list[str]:
    """Describe each given field whose value differs from the stored one, e.g. ``"fps 30 -> 25"``.

    Parameters
    ----------
    stored
        The session's catalog record (:meth:`etholake.catalog.Catalog.session`).
    given
        The fields the manifest gives (:func:`etholake.ingest.manifest.session_fields`); None
        values are not given and change nothing.
    """
    return [
        f"{name} {_text(stored.get(name))} -> {_text(value)}"
        for name, value in given.items()
        if value is not None and not _same(stored.get(name), value)
    ]


def _same(stored: object, given: object) -> bool:
    if isinstance(stored, datetime) and isinstance(given, str):
        given = datetime.fromisoformat(given)
    return stored == given


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
