"""Choosing the sessions a batch command works on: those of labs the user may write to.

A batch job stores what it computes in the session's lab, so a session the user
may only read (another lab's shared session) is left out, and the commands say so.
"""

from __future__ import annotations

from dataclasses import dataclass

from etholake.catalog import SessionKey
from etholake.jobs.context import JobContext


@dataclass(frozen=True)
class Selection:
    """Visible sessions holding the assets asked for.

    Attributes
    ----------
    keys
        Those of labs the user may write to: the ones to work on.
    read_only
        Those of labs the user may only read: left out.
    """

    keys: list[SessionKey]
    read_only: list[SessionKey]

    def read_only_note(self) -> str | None:
        """One line naming the labs whose sessions were left out, or None when none was."""
        if not self.read_only:
            return None
        labs = ", ".join(sorted({key.lab for key in self.read_only}))
        return (
            f"{len(self.read_only)} visible session(s) of {labs} left out: you may only read "
            "that lab's sessions, so its members run this for them"
        )


def select_sessions(context: JobContext, *kinds: str, lab: str | None = None) -> Selection:
    """Visible sessions (of ``lab`` when given) that hold at least one asset of every kind in ``kinds``."""
    with context.catalog() as catalog:
        holding = [
            {asset.session for asset in catalog.assets(context.user, kind=kind, lab=lab) if asset.session}
            for kind in kinds
        ]
        writable = catalog.writable_labs(context.user)
    found = sorted(set.intersection(*holding)) if holding else []
    return Selection([key for key in found if key.lab in writable], [key for key in found if key.lab not in writable])


def sessions_with_asset(context: JobContext, kind: str, *, lab: str | None = None) -> list[SessionKey]:
    """Sessions of labs the context's user may write to that hold at least one asset of ``kind``."""
    return select_sessions(context, kind, lab=lab).keys


def sessions_to_align(context: JobContext, *, lab: str | None = None) -> list[SessionKey]:
    """Sessions of labs the context's user may write to that hold both units and machine bouts."""
    return select_sessions(context, "units", "bouts", lab=lab).keys
