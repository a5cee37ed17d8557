"""CLI commands for models: ``train``, ``evaluate``, ``suggest-labels``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from etholake.console import command_console
from etholake.errors import OptionError
from etholake.tables import OutputFormat, print_frame

console = command_console()


def _metrics_frame(metrics: dict) -> pd.DataFrame:
    rows = []
    for behavior, summary in metrics.items():
        rows.append(
            {
                "behavior": behavior,
                "grouped F1": summary.get("pooled_f1"),
                "precision": summary.get("pooled_precision"),
                "recall": summary.get("pooled_recall"),
                "PR-AUC": summary.get("pooled_pr_auc"),
                "random-split F1 (leaky)": summary.get("random_split_f1"),
            }
        )
    return pd.DataFrame(rows)


def _estimator(kind: str, params: str | None) -> dict:
    """The estimator settings of ``--estimator`` and ``--params``, checked before any work starts."""
    from etholake.models.estimators import EstimatorSpec

    try:
        parsed = json.loads(params) if params else {}
    except json.JSONDecodeError as error:
        raise OptionError(f"--params is not valid JSON ({error.msg} at character {error.pos}): {params}") from None
    if not isinstance(parsed, dict):
        raise OptionError(f"--params must be a JSON object such as '{{\"n_estimators\": 200}}', got {params}")
    EstimatorSpec(kind, parsed)
    return {"kind": kind, "params": parsed}


def train(
    name: str = typer.Option(..., help="Model name (a new version is registered)."),
    lab: str = typer.Option(..., help="Lab that owns the model."),
    behavior: list[str] = typer.Option(..., help="Behavior to model; repeatable."),
    label_set: list[str] = typer.Option(
        [], help="Learn from these label sets only (S1, or ann:S1 for one annotator's); repeatable."
    ),
    policy: str = typer.Option("majority", help="Annotators combined by: majority, any, single:<annotator>."),
    feature_set: str = typer.Option("default", help="Feature set: default, simba, jaaba or a spec file."),
    estimator: str = typer.Option("random_forest", help="random_forest or hist_gradient_boosting."),
    params: str | None = typer.Option(None, help="Estimator parameters as JSON, e.g. '{\"n_estimators\": 200}'."),
    group_by: str = typer.Option("session", help="Evaluation groups: session, subject or lab."),
    folds: int = typer.Option(5, help="Outer folds of the grouped evaluation."),
    stride: int = typer.Option(1, help="Fit on every n-th frame of each class (evaluation scores every frame)."),
    permutation_repeats: int = typer.Option(0, help="Shuffles per feature for held-out permutation importance."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Train, evaluate (grouped by session/subject/lab) and register a behavior model."""
    from etholake.flowrun import prepare_prefect
    from etholake.jobs.context import command_context
    from etholake.jobs.train import EvaluationSettings, check_training_options, labelled_sessions, require_all
    from etholake.names import validate_name

    estimator_settings, _, _ = require_all(
        lambda: _estimator(estimator, params),
        lambda: validate_name(name, "model"),
        lambda: check_training_options(policy=policy, group_by=group_by, feature_set=feature_set),
    )
    context = command_context()
    with context.catalog() as catalog:
        catalog.require_model_name(context.user, name, lab)
    labelled_sessions(context, behavior, label_set or None)
    prepare_prefect()
    from etholake.flows.train import train_flow

    outcome = train_flow(
        name=name,
        lab=lab,
        behaviors=behavior,
        label_sets=label_set or None,
        policy=policy,
        feature_set=feature_set,
        estimator=estimator_settings,
        group_by=group_by,
        n_splits=folds,
        settings=EvaluationSettings(stride=stride, permutation_repeats=permutation_repeats),
        show_progress=progress,
    )
    print_frame(_metrics_frame(outcome.metrics), OutputFormat.table, title=f"{name} v{outcome.version}, held out")
    if outcome.reused:
        console.print(
            f"{name} v{outcome.version} was trained on these inputs with these settings before: nothing new is "
            f"registered (report asset {outcome.report_id})"
        )
    else:
        console.print(
            f"registered {name} v{outcome.version} (candidate) from {outcome.sessions} sessions, "
            f"{outcome.rows:,} labelled frames, in {outcome.seconds:.0f} s; report asset {outcome.report_id}"
        )
    console.print(f"promote with: etholake models promote {name} {outcome.version}")


def evaluate(
    behavior: list[str] = typer.Option(..., help="Behavior to evaluate; repeatable."),
    label_set: list[str] = typer.Option(
        [], help="Learn from these label sets only (S1, or ann:S1 for one annotator's); repeatable."
    ),
    policy: str = typer.Option("majority", help="Annotators combined by: majority, any, single:<annotator>."),
    feature_set: str = typer.Option("default", help="Feature set: default, simba, jaaba or a spec file."),
    estimator: str = typer.Option("random_forest", help="random_forest or hist_gradient_boosting."),
    params: str | None = typer.Option(None, help="Estimator parameters as JSON."),
    group_by: str = typer.Option("session", help="Evaluation groups: session, subject or lab."),
    folds: int = typer.Option(5, help="Outer folds."),
    stride: int = typer.Option(1, help="Fit on every n-th frame of each class (evaluation scores every frame)."),
    permutation_repeats: int = typer.Option(0, help="Shuffles per feature for held-out permutation importance."),
    report: Path | None = typer.Option(None, help="Also write the HTML report here."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    progress: bool = typer.Option(True, help="Show progress bars."),
) -> None:
    """Grouped evaluation of a model configuration, without registering anything."""
    from etholake.jobs.context import command_context
    from etholake.jobs.train import (
        EvaluationSettings,
        assemble_training_data,
        check_training_options,
        evaluate_training_data,
        require_all,
        write_report,
    )
    from etholake.models.estimators import EstimatorSpec

    estimator_settings, _ = require_all(
        lambda: _estimator(estimator, params),
        lambda: check_training_options(policy=policy, group_by=group_by, feature_set=feature_set),
    )
    spec = EstimatorSpec.from_dict(estimator_settings)
    context = command_context()
    data = assemble_training_data(
        context,
        behaviors=behavior,
        label_sets=label_set or None,
        policy=policy,
        feature_set=feature_set,
        show_progress=progress,
    )
    settings = EvaluationSettings(stride=stride, permutation_repeats=permutation_repeats)
    evaluations = evaluate_training_data(
        data,
        behavior,
        spec=spec,
        feature_set=feature_set,
        group_by=group_by,
        n_splits=folds,
        settings=settings,
        show_progress=progress,
    )
    metrics = {e.behavior: e.summary() for e in evaluations}
    print_frame(_metrics_frame(metrics), output, title=f"grouped by {group_by}, held out")
    if report is not None:
        write_report(data, evaluations, behavior, report, title="evaluation", card={"metrics": metrics})
        console.print(f"wrote {report}")


def suggest_labels(
    model: str = typer.Option(..., help="Model name."),
    behavior: str = typer.Option(..., help="Behavior to label."),
    version: str = typer.Option("production", help="Model version."),
    tasks: int = typer.Option(20, help="Number of segments."),
    output: Path = typer.Option(..., "-o", "--output", help="Task list to write."),
    kind: str = typer.Option("csv", help="csv or boris."),
) -> None:
    """Write the video segments most worth labelling next (near the threshold, spread across sessions)."""
    from etholake.jobs.context import command_context
    from etholake.jobs.suggest import suggest_from_lake, write_tasks

    table = suggest_from_lake(command_context(), model=model, behavior=behavior, version=version, n_tasks=tasks)
    console.print(f"wrote {len(table)} task(s) to {write_tasks(table, output, kind)}")


def register(app: typer.Typer) -> None:
    """Add the model commands to the etholake CLI."""
    app.command()(train)
    app.command()(evaluate)
    app.command("suggest-labels")(suggest_labels)
