"""Prefect flow: re-annotate exactly the sessions that are stale for a production model.

Deployable on a schedule (``etholake schedule --cron "0 3 * * *"`` or
``deploy/prefect.yaml``). Idempotent: a second run in a row finds nothing
stale and does nothing; after a crash the next run finishes what remains.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from etholake.config import load_settings
from etholake.fanout import fan_out
from etholake.jobs.context import JobContext
from etholake.jobs.inference import InferenceOutcome, session_inference
from etholake.jobs.status import SessionState, session_states


@dataclass(frozen=True)
class ReprocessReport:
    """The stale sessions found and what annotating them did."""

    stale: list[SessionState]
    outcomes: list[InferenceOutcome]
    current: int


@flow(name="etholake-reprocess")
def reprocess_flow(
    lab: str | None = None,
    model: str | None = None,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = False,
) -> ReprocessReport:
    """Find sessions whose annotations are stale (or missing) and annotate only those.

    Only sessions of labs the acting user may write to are considered: the others' members reprocess them.
    """
    context = JobContext.from_settings(load_settings(lake=lake, catalog=catalog, user=actor))
    states = session_states(context, lab=lab, model=model, writable_only=True)
    stale = [state for state in states if not state.current]
    calls = [(context, state.session, state.model, state.production_version) for state in stale]
    labels = [f"{state.session} {state.model} v{state.production_version}" for state in stale]
    outcomes = fan_out(session_inference, calls, labels, description="reprocess", show_progress=show_progress)
    return ReprocessReport(stale, outcomes, len(states) - len(stale))
