"""Plain records the catalog returns and accepts (detached from the database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

PREVIOUS_VERSION = "previous_version"
"""The lineage role of the asset a new version replaces (a re-ingested file that changed)."""


class SessionKey(NamedTuple):
    """Identifies a session: lab, subject and session names."""

    lab: str
    subject: str
    session: str

    def __str__(self) -> str:
        return f"{self.lab}/{self.subject}/{self.session}"


@dataclass(frozen=True)
class NewAsset:
    """What the lake hands to the catalog when it publishes an asset."""

    id: str
    kind: str
    uri: str
    format: str
    sha256: str
    lab: str
    session: SessionKey | None = None
    in_lake: bool = True
    size_bytes: int | None = None
    schema_name: str | None = None
    schema_version: int | None = None
    visibility: str = "private"
    source_sha256: str | None = None
    unique_key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AssetRecord:
    """An asset as recorded in the catalog.

    ``parents`` maps each parent asset id to its role (``pose``, ``model``, ...).
    """

    id: str
    kind: str
    uri: str
    in_lake: bool
    format: str
    sha256: str
    size_bytes: int | None
    schema_name: str | None
    schema_version: int | None
    lab: str
    session: SessionKey | None
    visibility: str
    source_sha256: str | None
    params: dict[str, Any]
    created_by: str | None
    created_at: datetime
    parents: dict[str, str]
