"""Prefect flow: train, evaluate (grouped) and register a behavior model; folds and fits run on Dask."""

from __future__ import annotations

from prefect import flow

from etholake.compute import client
from etholake.config import load_settings
from etholake.jobs.context import JobContext
from etholake.jobs.train import EvaluationSettings, TrainOutcome, train_from_lake


@flow(name="etholake-train")
def train_flow(
    name: str,
    lab: str,
    behaviors: list[str],
    label_sets: list[str] | None = None,
    policy: str = "majority",
    feature_set: str = "default",
    estimator: dict | None = None,
    group_by: str = "session",
    n_splits: int | None = 5,
    sessions_lab: str | None = None,
    settings: EvaluationSettings | None = None,
    lake: str | None = None,
    catalog: str | None = None,
    actor: str | None = None,
    show_progress: bool = True,
) -> TrainOutcome:
    """Train model ``name`` for ``behaviors`` from every labelled session and register a new version."""
    context = JobContext.from_settings(load_settings(lake=lake, catalog=catalog, user=actor))
    with client() as dask_client:
        return train_from_lake(
            context,
            name=name,
            lab=lab,
            behaviors=behaviors,
            label_sets=label_sets,
            policy=policy,
            feature_set=feature_set,
            estimator=estimator,
            group_by=group_by,
            n_splits=n_splits,
            sessions_lab=sessions_lab,
            settings=settings,
            client=dask_client,
            show_progress=show_progress,
        )
