"""Prefect flow: behavior-neural alignment for every session with units and machine bouts."""

from __future__ import annotations

from prefect import flow

from etholake.catalog import SessionKey
from etholake.config import load_settings
from etholake.fanout import fan_out
from etholake.jobs.align import AlignOutcome, session_alignment
from etholake.jobs.context import JobContext
from etholake.jobs.selection import sessions_to_align


@flow(name="etholake-align")
def align_flow(
    model: str | None = None,
    sessions: list[SessionKey] | None = None,
    lab: str | None = None,
    n_shifts: int = 1000,
    max_lag: float | None = None,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> list[AlignOutcome]:
    """Align the given sessions (default: every visible session with both units and machine bouts)."""
    context = JobContext.from_settings(load_settings(lake=lake, catalog=catalog, user=actor))
    if sessions is None:
        sessions = sessions_to_align(context, lab=lab)
    calls = [(context, SessionKey(*key), model, n_shifts, max_lag) for key in sessions]
    return fan_out(
        session_alignment,
        calls,
        [str(SessionKey(*k)) for k in sessions],
        description="align",
        show_progress=show_progress,
    )
