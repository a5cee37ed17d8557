"""One session at a glance: its metadata, subject, sharing, the ingest's QC findings and its assets by kind."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from etholake.catalog.catalog import SESSION_FIELDS
from etholake.catalog.records import PREVIOUS_VERSION, AssetRecord

_OVERVIEW_FIELDS = (
    "lab",
    "subject",
    "session",
    "species",
    "sex",
    "age",
    "genotype",
    "strain",
    *(name for name in SESSION_FIELDS if name != "extra"),
)
_QC_COUNTS = ("pose_frames", "video_frames")
_QC_FLAGS = ("frame_count_mismatch", "fps_mismatch")


def session_overview(record: dict[str, Any], assets: Sequence[AssetRecord]) -> dict[str, Any]:
    """Summarise a session record and its assets as one flat row.

    Parameters
    ----------
    record
        From :meth:`etholake.catalog.Catalog.session`.
    assets
        The session's assets, every version.

    Returns
    -------
    dict
        The session and subject fields, the QC findings of its last ingest
        (``pose_frames``, ``video_frames``, ..., ``qc_notes``), ``ingested``
        (whether an ingest completed), and ``assets``: the current assets per
        kind, with how many older versions they replaced.
    """
    overview = {name: record.get(name) for name in _OVERVIEW_FIELDS}
    extra = record.get("extra") or {}
    quality = extra.get("qc") or {}
    overview.update({name: quality.get(name) for name in _QC_COUNTS})
    overview.update({name: bool(quality.get(name)) if quality else None for name in _QC_FLAGS})
    overview["qc_notes"] = list(quality.get("notes", []))
    overview["ingested"] = "ingest_assets" in extra
    overview["assets"] = _assets_by_kind(assets)
    return overview


def _assets_by_kind(assets: Sequence[AssetRecord]) -> dict[str, str]:
    """``{kind: "2"}`` for current assets, ``"1 (+1 older version)"`` when versions were replaced.

    An asset is older when a newer version replaced it, or when it was derived from
    an older asset (the features and annotations of a replaced pose).
    """
    replaced = {parent for asset in assets for parent, role in asset.parents.items() if role == PREVIOUS_VERSION}
    older_ids: set[str] = set()
    for asset in sorted(assets, key=lambda each: each.created_at):
        derived_from_older = any(
            parent in older_ids for parent, role in asset.parents.items() if role != PREVIOUS_VERSION
        )
        if asset.id in replaced or derived_from_older:
            older_ids.add(asset.id)
    current = Counter(asset.kind for asset in assets if asset.id not in older_ids)
    older = Counter(asset.kind for asset in assets if asset.id in older_ids)
    counts = {}
    for kind in sorted(current | older):
        text = str(current[kind])
        if older[kind]:
            text += f" (+{older[kind]} older version{'s' if older[kind] > 1 else ''})"
        counts[kind] = text
    return counts
