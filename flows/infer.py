"""Prefect flow: annotate sessions with a registered model (features first where missing or stale)."""

from __future__ import annotations

from prefect import flow

from etholake.catalog import SessionKey
from etholake.config import load_settings
from etholake.fanout import fan_out
from etholake.jobs.context import JobContext
from etholake.jobs.inference import InferenceOutcome, session_inference
from etholake.jobs.selection import sessions_with_asset


@flow(name="etholake-infer")
def infer_flow(
    model: str,
    version: str = "production",
    sessions: list[SessionKey] | None = None,
    lab: str | None = None,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> list[InferenceOutcome]:
    """Annotate the given sessions (default: every visible session with pose) with ``model``."""
    context = JobContext.from_settings(load_settings(lake=lake, catalog=catalog, user=actor))
    with context.catalog() as opened:
        pinned = opened.model(context.user, model, version)["version"]
    keys = sessions if sessions is not None else sessions_with_asset(context, "pose", lab=lab)
    calls = [(context, SessionKey(*key), model, pinned) for key in keys]
    labels = [f"{SessionKey(*key)} {model} v{pinned}" for key in keys]
    return fan_out(session_inference, calls, labels, description="infer", show_progress=show_progress)
