"""CLI commands that query the catalog: ``query sessions|session|units|models|assets``, ``lineage``, ``models``."""

from __future__ import annotations

from datetime import date

import pandas as pd
import typer

from etholake.catalog import open_catalog
from etholake.catalog.records import PREVIOUS_VERSION
from etholake.config import load_settings
from etholake.errors import OptionError
from etholake.tables import OutputFormat, cell_text, print_fields, print_frame

query_app = typer.Typer(help="Query the catalog (visibility rules apply).", no_args_is_help=True)
models_app = typer.Typer(help="List, inspect, promote and archive model versions.", no_args_is_help=True)
FORMAT = typer.Option(OutputFormat.table, "--format", help="table, csv or json.")


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise OptionError(f"{option} must be a date written YYYY-MM-DD, got {text!r} ({error})") from None


@query_app.command("sessions")
def query_sessions(
    lab: str | None = typer.Option(None, help="Only this lab."),
    species: str | None = typer.Option(None),
    sex: str | None = typer.Option(None),
    genotype: str | None = typer.Option(None),
    strain: str | None = typer.Option(None),
    behavior: str | None = typer.Option(None, help="Only sessions where this behavior occurs."),
    min_bouts: int | None = typer.Option(None, help="With --behavior: at least this many bouts."),
    min_time: float | None = typer.Option(None, help="With --behavior: at least this many seconds in total."),
    source: str | None = typer.Option(
        None, help="With --behavior: bouts from 'model' annotations (the default) or 'human' label sets."
    ),
    has_units: bool | None = typer.Option(None, "--has-units/--no-units", help="With (or without) spike units."),
    has_calcium: bool | None = typer.Option(None, "--has-calcium/--no-calcium", help="With (or without) calcium."),
    after: str | None = typer.Option(None, help="Started on or after this date (YYYY-MM-DD)."),
    before: str | None = typer.Option(None, help="Started before this date (YYYY-MM-DD)."),
    output: OutputFormat = FORMAT,
) -> None:
    """Sessions by lab, subject metadata, behavior, neural data and date."""
    filters = {k: v for k, v in {"species": species, "sex": sex, "genotype": genotype, "strain": strain}.items() if v}
    behavior_options = {"--min-bouts": min_bouts, "--min-time": min_time, "--source": source}
    given = [flag for flag, value in behavior_options.items() if value is not None]
    if given and behavior is None:
        raise OptionError(f"{' and '.join(given)} without --behavior: give the behavior whose bouts to filter")
    start_after, start_before = _date(after, "--after"), _date(before, "--before")
    with open_catalog() as catalog:
        frame = catalog.find_sessions(
            load_settings().user,
            lab=lab,
            behavior=behavior,
            min_bouts=min_bouts,
            min_time_s=min_time,
            source=source or "model",
            has_units=has_units,
            has_calcium=has_calcium,
            start_after=start_after,
            start_before=start_before,
            **filters,
        )
    print_frame(frame, output, title="sessions")


@query_app.command("units")
def query_units(
    behavior: str | None = typer.Option(None, help="Modulated by this behavior."),
    q: float | None = typer.Option(
        None, help="Only units whose query_q_value (BH FDR across every test the query finds) is below this."
    ),
    region: str | None = typer.Option(None, help="Only units in this brain region."),
    lab: str | None = typer.Option(None, help="Only this lab."),
    output: OutputFormat = FORMAT,
) -> None:
    """Units and their behavior modulation statistics."""
    with open_catalog() as catalog:
        frame = catalog.find_units(load_settings().user, behavior=behavior, max_q=q, region=region, lab=lab)
    print_frame(frame, output, title="units", shared=("method",))


ASSET_COLUMNS = [
    "id",
    "kind",
    "session",
    "identity",
    "replaces",
    "replaced_by",
    "size_bytes",
    "created_by",
    "created_at",
]


def _asset_identity(params: dict) -> str:
    """Which label set, model or feature set an asset is, from its parameters."""
    for name, version in (("model_name", "model_version"), ("name", "version")):
        if name in params:
            return f"{params[name]} v{params[version]}" if params.get(version) is not None else str(params[name])
    if "feature_set" in params:
        return f"{params['feature_set']} {params.get('feature_set_version', '')}".strip()
    return str(params.get("identity", ""))


@query_app.command("assets")
def query_assets(
    lab: str | None = typer.Option(None, help="Only this lab."),
    session: str | None = typer.Option(None, help="Only this session (lab/subject/session)."),
    kind: str | None = typer.Option(None, help="Only this kind: pose, labels, video, features, annotations, ..."),
    output: OutputFormat = FORMAT,
) -> None:
    """Assets, newest first: the ids that lineage and the exports take, and which version each is.

    Column replaces: the id of the version an asset replaced (a re-ingested file that changed).
    Column replaced_by: the id of the newer version that replaced it.
    """
    from etholake.jobs.commands import parse_session_key

    key = parse_session_key(session) if session else None
    user = load_settings().user
    with open_catalog() as catalog:
        if key is not None:
            catalog.session(user, key)
        records = catalog.assets(user, kind=kind, lab=lab, session=key)
        if kind is not None and not records:
            kinds = sorted({record.kind for record in catalog.assets(user, lab=lab, session=key)})
            raise OptionError(f"no {kind!r} asset here; the kinds there are: {', '.join(kinds) or 'none'}")
    previous = {
        record.id: next((parent for parent, role in record.parents.items() if role == PREVIOUS_VERSION), "")
        for record in records
    }
    replaced_by = {parent: child for child, parent in previous.items() if parent}
    rows = [
        {
            "id": record.id,
            "kind": record.kind,
            "session": "/".join(record.session) if record.session else "",
            "identity": _asset_identity(record.params),
            "replaces": previous[record.id],
            "replaced_by": replaced_by.get(record.id, ""),
            "size_bytes": record.size_bytes,
            "created_by": record.created_by,
            "created_at": record.created_at,
        }
        for record in records
    ]
    print_frame(pd.DataFrame(rows, columns=ASSET_COLUMNS), output, title="assets")


@query_app.command("session")
def query_session(
    session: str = typer.Argument(..., help="The session, written lab/subject/session."),
    output: OutputFormat = FORMAT,
) -> None:
    """One session: metadata, subject, sharing, the ingest's QC findings and current assets per kind.

    The assets themselves (ids, versions): query assets --session LAB/SUBJECT/SESSION.
    """
    from etholake.catalog.session_overview import session_overview
    from etholake.jobs.commands import parse_session_key

    key = parse_session_key(session)
    user = load_settings().user
    with open_catalog() as catalog:
        overview = session_overview(catalog.session(user, key), catalog.assets(user, session=key))
    if output == OutputFormat.json:
        print_frame(pd.DataFrame([overview]), output)
        return
    overview["qc_notes"] = "; ".join(overview["qc_notes"]) or None
    if output == OutputFormat.csv:
        overview["assets"] = cell_text(overview["assets"])
        print_frame(pd.DataFrame([overview]), output)
        return
    print_fields(overview.items(), title=session)


def _models_frame(name: str | None, stage: str | None) -> pd.DataFrame:
    with open_catalog() as catalog:
        frame = catalog.models(load_settings().user, name=name, stage=stage)
    f1 = [
        {
            behavior: round(summary["pooled_f1"], 3)
            for behavior, summary in metrics.items()
            if isinstance(summary, dict) and summary.get("pooled_f1") is not None
        }
        for metrics in frame["metrics"]
    ]
    return frame.assign(grouped_f1=f1).drop(columns=["metrics", "stage_changed_at"])


@query_app.command("models")
def query_models(
    name: str | None = typer.Option(None, help="Only this model name."),
    stage: str | None = typer.Option(None, help="candidate, production or archived."),
    output: OutputFormat = FORMAT,
) -> None:
    """Model versions with their stage and held-out F1 per behavior."""
    print_frame(_models_frame(name, stage), output, title="models")


@models_app.command("list")
def models_list(
    name: str | None = typer.Option(None), stage: str | None = typer.Option(None), output: OutputFormat = FORMAT
) -> None:
    """Model versions with their stage and held-out F1 per behavior."""
    print_frame(_models_frame(name, stage), output, title="models")


@models_app.command("show")
def models_show(name: str, version: str = typer.Argument("latest"), output: OutputFormat = FORMAT) -> None:
    """One model version: what it is, what it learned from, and its held-out scores per behavior.

    --format json prints the whole model card; --format csv the per-behavior table.
    """
    import json

    from etholake.jobs.models import registered_card
    from etholake.lake import open_lake
    from etholake.models.card_summary import card_behaviors, card_overview

    with open_catalog() as catalog:
        card = registered_card(open_lake(), catalog, load_settings().user, name, version)
    if output == OutputFormat.json:
        typer.echo(json.dumps(card, indent=1, default=str))
        return
    if output == OutputFormat.table:
        print_fields(card_overview(card))
    print_frame(card_behaviors(card), output, title="per behavior")


@models_app.command("promote")
def models_promote(name: str, version: int) -> None:
    """Make a version the production model of its name (the previous one is archived)."""
    with open_catalog() as catalog:
        catalog.set_model_stage(load_settings().user, name, version, "production")
    typer.echo(f"{name} v{version} is now in production")


@models_app.command("archive")
def models_archive(name: str, version: int) -> None:
    """Archive a model version."""
    with open_catalog() as catalog:
        catalog.set_model_stage(load_settings().user, name, version, "archived")
    typer.echo(f"{name} v{version} archived")


def lineage(
    asset: str = typer.Argument(..., help="Asset id."),
    descendants: bool = typer.Option(False, "--descendants", help="What was derived from it (default: its sources)."),
    output: OutputFormat = FORMAT,
) -> None:
    """Everything an asset was derived from (or everything derived from it)."""
    with open_catalog() as catalog:
        frame = catalog.lineage(load_settings().user, asset, "descendants" if descendants else "ancestors")
    print_frame(frame, output, title=f"{'descendants' if descendants else 'ancestors'} of {asset}")


def register(app: typer.Typer) -> None:
    """Add the catalog commands to the etholake CLI."""
    app.add_typer(query_app, name="query")
    app.add_typer(models_app, name="models")
    app.command()(lineage)
