"""Choosing the sessions a flow works on."""

from __future__ import annotations

from etholake.catalog import SessionKey
from etholake.jobs.context import JobContext


def sessions_with_asset(context: JobContext, kind: str, *, lab: str | None = None) -> list[SessionKey]:
    """Sessions visible to the context's user that hold at least one asset of ``kind``."""
    with context.catalog() as catalog:
        keys = {asset.session for asset in catalog.assets(context.user, kind=kind, lab=lab) if asset.session}
    return sorted(keys)


def sessions_to_align(context: JobContext, *, lab: str | None = None) -> list[SessionKey]:
    """Sessions visible to the context's user that hold both units and machine bouts."""
    with_bouts = set(sessions_with_asset(context, "bouts", lab=lab))
    return [key for key in sessions_with_asset(context, "units", lab=lab) if key in with_bouts]
