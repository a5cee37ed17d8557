"""CLI commands that run pipeline steps over the lake: ``features``, ``infer``, ``status``, ``reprocess``,
``schedule``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.table import Table

from etholake.catalog import SessionKey
from etholake.console import command_console
from etholake.errors import ConfigError, EtholakeError, NotFoundError, OptionError, SessionsFailedError
from etholake.jobs.context import JobContext, command_context
from etholake.jobs.selection import select_sessions
from etholake.names import validate_name
from etholake.tables import OutputFormat, print_frame

T = TypeVar("T")

console = command_console()


def parse_session_key(text: str) -> SessionKey:
    """Read ``lab/subject/session`` into a SessionKey."""
    parts = text.split("/")
    if len(parts) != 3:
        raise EtholakeError(f"session {text!r} must be written lab/subject/session")
    return SessionKey(*parts)


def _named_sessions(context: JobContext, texts: list[str], *kinds: str) -> list[SessionKey] | None:
    """The sessions given with ``--session``, checked before a flow starts; None when none is given.

    Each must exist, be visible to the user and hold an asset of each of ``kinds``;
    every problem is listed in one NotFoundError.
    """
    if not texts:
        return None
    keys = [parse_session_key(text) for text in texts]
    problems = []
    with context.catalog() as catalog:
        for key in keys:
            try:
                catalog.session(context.user, key)
            except NotFoundError as error:
                problems.append(str(error))
                continue
            problems += [
                f"session {key} has no {kind}"
                for kind in kinds
                if not catalog.assets(context.user, kind=kind, session=key)
            ]
    if problems:
        raise NotFoundError("; ".join(problems))
    return keys


def _require_model(context: JobContext, name: str, version: str) -> None:
    """Refuse, before a flow starts, a model version the user cannot see."""
    with context.catalog() as catalog:
        catalog.model(context.user, name, version)


def _lab_problem(context: JobContext, lab: str | None) -> str | None:
    """Why ``--lab`` cannot be used (checked before a flow starts), or None when it can."""
    if lab is None:
        return None
    validate_name(lab, "lab")
    with context.catalog() as catalog:
        labs = catalog.labs(context.user)["lab"].tolist()
    return None if lab in labs else f"no lab named {lab!r}; the catalog's labs are {', '.join(labs) or 'none yet'}"


def _require_lab(context: JobContext, lab: str | None) -> None:
    """Refuse, before a flow starts, a lab that is not in the catalog."""
    problem = _lab_problem(context, lab)
    if problem:
        raise NotFoundError(problem)


def _of_lab(lab: str | None) -> str:
    return f" of lab {lab}" if lab else ""


def _flows(*, check_server: bool = True) -> None:
    from etholake.flowrun import prepare_prefect

    prepare_prefect(check_server=check_server)


def _selected_sessions(context: JobContext, texts: list[str], lab: str | None, *kinds: str) -> list[SessionKey]:
    """The ``--session`` sessions (checked), else the sessions of ``lab`` holding ``kinds`` that the user may write.

    Visible sessions left out because the user may only read their lab are reported in one line.
    """
    keys = _named_sessions(context, texts, *kinds)
    if keys is not None:
        return keys
    selection = select_sessions(context, *kinds, lab=lab)
    if (note := selection.read_only_note()) is not None:
        console.print(note)
    return selection.keys


def _sessions_with_pose(context: JobContext, texts: list[str], lab: str | None, work: str) -> list[SessionKey]:
    """The ``--session`` sessions (checked), else every session of ``lab`` with pose that the user may write.

    When there is none, says so, naming the ``work`` there is nothing to do.
    """
    keys = _selected_sessions(context, texts, lab, "pose")
    if not keys:
        console.print(
            f"no session{_of_lab(lab)} you may write to has pose: nothing to {work} (ingest a manifest first)"
        )
    return keys


def _batch(run: Callable[[], list[T]]) -> tuple[list[T], SessionsFailedError | None]:
    """Run a batch flow; when sessions failed, what the others returned and the error to raise once it is shown.

    The command prints its table of what succeeded, then raises the error: one
    line on stderr naming each failed session, exit code 1.
    """
    try:
        return run(), None
    except SessionsFailedError as error:
        return error.results, error


def features(
    spec: str = typer.Option("default", help="Feature set: default, simba, jaaba, or a spec file."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    session: list[str] = typer.Option([], help="Only these sessions (lab/subject/session); repeatable."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Compute a feature set for every session with pose (up-to-date sessions are skipped)."""
    from etholake.jobs.features import resolve_spec

    resolve_spec(spec)
    context = command_context()
    _require_lab(context, lab)
    keys = _sessions_with_pose(context, session, lab, "compute")
    if not keys:
        return
    _flows()
    from etholake.flows.features import features_flow

    outcomes, failed = _batch(lambda: features_flow(spec=spec, sessions=keys, lab=lab, show_progress=progress))
    table = Table("session", "features asset", "status", "frames", "frames/s", "notes")
    for outcome in outcomes:
        rate = f"{outcome.frames / outcome.seconds:,.0f}" if outcome.computed and outcome.seconds else ""
        status = "computed" if outcome.computed else "up to date"
        table.add_row(
            str(outcome.session), outcome.asset_id, status, f"{outcome.frames:,}", rate, "; ".join(outcome.notes)
        )
    console.print(table)
    computed = sum(o.computed for o in outcomes)
    console.print(f"{len(outcomes)} session(s): {computed} computed, {len(outcomes) - computed} already up to date")
    if failed is not None:
        raise failed


def _inference_table(outcomes) -> Table:
    table = Table("session", "model", "annotations asset", "status", "frames", "bouts", "notes")
    for outcome in outcomes:
        status = "annotated" if outcome.computed else "up to date"
        if outcome.features_computed:
            status += " (features computed)"
        table.add_row(
            str(outcome.session),
            f"{outcome.model} v{outcome.model_version}",
            outcome.annotations_id,
            status,
            f"{outcome.frames:,}",
            str(outcome.bouts),
            "; ".join(outcome.notes),
        )
    return table


def infer(
    model: str = typer.Option(..., help="Registered model name."),
    version: str = typer.Option("production", help="Model version: a number, production or latest."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    session: list[str] = typer.Option([], help="Only these sessions (lab/subject/session); repeatable."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Annotate sessions with a model: probabilities, predictions, bouts and catalog summaries."""
    context = command_context()
    _require_model(context, model, version)
    _require_lab(context, lab)
    keys = _sessions_with_pose(context, session, lab, "annotate")
    if not keys:
        return
    _flows()
    from etholake.flows.infer import infer_flow

    outcomes, failed = _batch(
        lambda: infer_flow(model=model, version=version, sessions=keys, lab=lab, show_progress=progress)
    )
    console.print(_inference_table(outcomes))
    done = sum(o.computed for o in outcomes)
    console.print(f"{len(outcomes)} session(s): {done} annotated, {len(outcomes) - done} already up to date")
    if failed is not None:
        raise failed


def status(
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    model: str | None = typer.Option(None, help="Only this production model."),
    output: OutputFormat = typer.Option(OutputFormat.table, "--format", help="table, csv or json."),
    stale_only: bool = typer.Option(False, "--stale", help="Only stale sessions."),
) -> None:
    """Per session and production model: current or stale, and why."""
    from etholake.jobs.status import session_states, status_table

    context = JobContext.from_settings()
    states = session_states(context, lab=lab, model=model)
    frame = status_table(states)
    if stale_only:
        frame = frame[frame["state"] == "stale"]
    print_frame(frame, output, title="status")
    if not states and output == OutputFormat.table:
        console.print(_no_states_reason(context, lab))


def _no_states_reason(context: JobContext, lab: str | None) -> str:
    """Why status has no row: no production model, or no session with pose."""
    with context.catalog() as catalog:
        production = catalog.models(context.user, stage="production")
    if production.empty:
        return "no model is in production: nothing can be stale (`etholake models promote NAME VERSION`)"
    return f"no visible session{_of_lab(lab)} has pose (ingest a manifest first)"


def reprocess(
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    model: str | None = typer.Option(None, help="Only this production model."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Annotate exactly the stale sessions now (what the scheduled job does)."""
    context = command_context()
    if model is not None:
        _require_model(context, model, "production")
    _require_lab(context, lab)
    from etholake.jobs.status import session_states

    states = session_states(context, lab=lab, model=model, writable_only=True)
    if (note := select_sessions(context, "pose", lab=lab).read_only_note()) is not None:
        console.print(note)
    if not states:
        console.print(_no_states_reason(context, lab))
        return
    if all(state.current for state in states):
        console.print(f"0 stale session(s) annotated, {len(states)} already current")
        return
    _flows()
    from etholake.flows.reprocess import reprocess_flow

    outcomes, failed = _batch(lambda: reprocess_flow(lab=lab, model=model, show_progress=progress).outcomes)
    if outcomes:
        console.print(_inference_table(outcomes))
    current = sum(state.current for state in states)
    annotated = sum(outcome.computed for outcome in outcomes)
    meanwhile = len(outcomes) - annotated
    by_others = f", {meanwhile} annotated meanwhile by another run" if meanwhile else ""
    console.print(f"{annotated} stale session(s) annotated{by_others}, {current} already current")
    if failed is not None:
        raise failed


def schedule(
    cron: str | None = typer.Option(None, help='Cron schedule, e.g. "0 3 * * *" (03:00 every day).'),
    interval: float | None = typer.Option(None, help="Or: seconds between runs."),
    name: str = typer.Option("nightly", help="Deployment name."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
) -> None:
    """Serve the reprocess flow as a Prefect deployment on a schedule (needs PREFECT_API_URL).

    The command keeps running and executes each scheduled run, one at a time
    (a run still going when the next is due delays it); stop it with Ctrl-C.
    """
    from etholake.config import load_settings

    settings = load_settings()
    if not settings.prefect_api_url:
        raise ConfigError("schedule needs a Prefect server: start one (`prefect server start`) and set PREFECT_API_URL")
    problems = [_lab_problem(command_context(), lab)]
    if (cron is None) == (interval is None):
        problems.append("give exactly one of --cron and --interval")
    if interval is not None and not interval > 0:
        problems.append(f"--interval must be a positive number of seconds, got {interval:g}")
    _flows(check_server=False)
    if cron is not None:
        problems.append(_cron_problem(cron))
    if any(problems):
        raise OptionError("; ".join(problem for problem in problems if problem))
    from etholake.flowrun import require_prefect_server

    require_prefect_server()
    from etholake.flows.reprocess import reprocess_flow

    parameters = {"lab": lab, "lake": settings.lake, "catalog": settings.catalog_url, "actor": settings.user}
    console.print(
        f"serving deployment etholake-reprocess/{name} ({cron or f'every {interval:g} s'}) "
        f"against {settings.prefect_api_url}"
    )
    reprocess_flow.serve(name=name, cron=cron, interval=interval, parameters=parameters, limit=1)


def _cron_problem(cron: str) -> str | None:
    """Why Prefect would refuse ``cron`` as a schedule, or None when it accepts it."""
    from prefect.client.schemas.schedules import CronSchedule
    from pydantic import ValidationError

    try:
        CronSchedule(cron=cron)
    except ValidationError:
        return f"--cron {cron!r} is not a cron schedule: give minute hour day month weekday, e.g. '0 3 * * *'"
    return None


export_app = typer.Typer(help="Export a session's current assets to other tools' formats.", no_args_is_help=True)


@export_app.command("pose")
def export_pose_command(
    session: str = typer.Argument(..., help="lab/subject/session"),
    output: str = typer.Option(..., "-o", "--output", help="Output file."),
    format: str = typer.Option(..., "--format", help="dlc (.h5 or .csv), sleap, nwb or netcdf."),
) -> None:
    """Export a session's pose (DeepLabCut, SLEAP analysis, NWB ndx-pose, movement netCDF)."""
    from etholake.jobs.export import export_session_pose

    written = export_session_pose(command_context(), parse_session_key(session), output, format)
    console.print(f"wrote {written}")


@export_app.command("annotations")
def export_annotations_command(
    session: str = typer.Argument(..., help="lab/subject/session"),
    output: str = typer.Option(..., "-o", "--output", help="Output CSV file."),
    format: str = typer.Option("simba", "--format", help="simba, simba-summary, simba-bouts, boris or bouts-csv."),
    model: str | None = typer.Option(None, help="Annotations of this model (default: the newest)."),
) -> None:
    """Export a session's machine annotations (SimBA machine_results / statistics, BORIS events, bouts)."""
    from etholake.jobs.export import export_session_annotations

    written = export_session_annotations(command_context(), parse_session_key(session), output, format, model=model)
    console.print(f"wrote {written}")


@export_app.command("labels")
def export_labels_command(
    session: str = typer.Argument(..., help="lab/subject/session"),
    output: str = typer.Option(..., "-o", "--output", help="Output CSV (or .tsv) file."),
    format: str = typer.Option("frame-csv", "--format", help="frame-csv, interval-csv or boris."),
    label_set: str | None = typer.Option(None, help="The label set, annotator:label_set (needed if several)."),
) -> None:
    """Export one of a session's human label sets (per-frame CSV, interval CSV, BORIS events)."""
    from etholake.jobs.export import export_session_labels

    written = export_session_labels(command_context(), parse_session_key(session), output, format, label_set)
    console.print(f"wrote {written}")


def align(
    model: str | None = typer.Option(None, help="Align this model's bouts (default: the newest bouts)."),
    lab: str | None = typer.Option(None, help="Only this lab's sessions."),
    session: list[str] = typer.Option([], help="Only these sessions (lab/subject/session); repeatable."),
    shifts: int = typer.Option(1000, help="Circular shifts of the permutation test."),
    max_lag: float | None = typer.Option(
        None,
        min=0.0,
        help="Largest lag (s) between the camera and DAQ clocks: below half the period of periodic sync pulses.",
    ),
    progress: bool = typer.Option(True, help="Show a progress bar."),
) -> None:
    """Clock sync and behavior-neural statistics for sessions with units and machine bouts."""
    context = command_context()
    _require_lab(context, lab)
    keys = _selected_sessions(context, session, lab, "units", "bouts")
    if not keys:
        console.print(f"no session{_of_lab(lab)} you may write to has both units and machine bouts: nothing to align")
        return
    _flows()
    from etholake.flows.align import align_flow

    outcomes, failed = _batch(
        lambda: align_flow(
            model=model, sessions=keys, lab=lab, n_shifts=shifts, max_lag=max_lag, show_progress=progress
        )
    )
    table = Table("session", "drift (ppm)", "pulses matched", "units", "modulated (q<0.05)", "status")
    for outcome in outcomes:
        status = "aligned" if outcome.computed else "up to date"
        table.add_row(
            str(outcome.session),
            f"{outcome.drift_ppm:+.1f}",
            f"{outcome.matched_fraction:.1%}",
            str(outcome.units),
            str(outcome.modulated),
            status,
        )
    console.print(table)
    aligned = sum(o.computed for o in outcomes)
    console.print(f"{len(outcomes)} session(s): {aligned} aligned, {len(outcomes) - aligned} already up to date")
    if failed is not None:
        raise failed


@export_app.command("nwb")
def export_nwb_command(
    session: str = typer.Argument(..., help="lab/subject/session"),
    output: str = typer.Option(..., "-o", "--output", help="Output .nwb file."),
    model: str | None = typer.Option(None, help="Annotations of this model (default: the newest)."),
) -> None:
    """Export a session to NWB: pose (ndx-pose), behavior probabilities and bouts, units, neural-clock times."""
    from etholake.jobs.nwb import export_session_to_nwb

    written = export_session_to_nwb(command_context(), parse_session_key(session), output, model=model)
    console.print(f"wrote {written}")


def register(app: typer.Typer) -> None:
    """Add the pipeline commands to the etholake CLI."""
    for command in (features, infer, status, reprocess, schedule, align):
        app.command()(command)
    app.add_typer(export_app, name="export")
