"""Prefect flow: features for every session with pose (or the sessions given), skipping up-to-date ones."""

from __future__ import annotations

from prefect import flow

from etholake.catalog import SessionKey
from etholake.config import load_settings
from etholake.fanout import fan_out
from etholake.jobs.context import JobContext
from etholake.jobs.features import FeaturesOutcome, resolve_spec, session_features
from etholake.jobs.selection import sessions_with_asset


@flow(name="etholake-features")
def features_flow(
    spec: str = "default",
    sessions: list[SessionKey] | None = None,
    lab: str | None = None,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> list[FeaturesOutcome]:
    """Compute feature set ``spec`` for the given sessions (default: every visible session with pose).

    A spec file is read here, once, so workers need not see it and a bad spec fails before any session starts.
    """
    content = resolve_spec(spec).content
    context = JobContext.from_settings(load_settings(lake=lake, catalog=catalog, user=actor))
    keys = sessions if sessions is not None else sessions_with_asset(context, "pose", lab=lab)
    calls = [(context, SessionKey(*key), content) for key in keys]
    return fan_out(
        session_features,
        calls,
        [str(SessionKey(*k)) for k in keys],
        description="features",
        show_progress=show_progress,
    )
