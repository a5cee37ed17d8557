"""CLI command ``etholake ingest``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table
from rich.text import Text

from etholake.console import command_console

if TYPE_CHECKING:
    from etholake.config import Settings
    from etholake.ingest.manifest import Manifest
    from etholake.ingest.preflight import SessionPlan
    from etholake.ingest.session import SessionOutcome

console = command_console()


def summary_table(outcomes: list[SessionOutcome]) -> Table:
    """One row per session: status, assets created and reused, QC notes or the error."""
    table = Table("session", "status", "created", "reused", "notes")
    for outcome in outcomes:
        notes = outcome.error or "; ".join(outcome.notes)
        colour = {"failed": "red", "ingested": "green", "unchanged": "dim"}[outcome.status]
        table.add_row(
            str(outcome.session),
            Text(outcome.status, style=colour),
            str(len(outcome.created)),
            str(len(outcome.reused)),
            notes,
        )
    return table


def _with_frames(name: str | None, frames: int | None) -> str:
    if name is None:
        return "-"
    return name if frames is None else f"{name}, {frames} frames"


def _label_sets(plan: SessionPlan) -> str:
    """The label sets a session will read, one per line with its behaviors, or their formats when not read."""
    if plan.label_sets:
        return "\n".join(f"{identity} ({fmt}): {', '.join(behaviors)}" for fmt, identity, behaviors in plan.label_sets)
    formats = zip(plan.entry.labels, plan.label_formats)
    return ", ".join(f"{fmt} ({item.extra['annotator']})" for item, fmt in formats) or "-"


def plan_table(checked: list[tuple[Manifest, list[SessionPlan]]]) -> Table:
    """One row per session of checked manifests: what its ingest will read."""
    table = Table("lab", "session", "pose", "fps", "labels", "video", "other files")
    for manifest, plans in checked:
        for plan in plans:
            entry = plan.entry
            video = plan.video_info
            others = [item.extra["kind"] for item in entry.neural] + (["calibration"] if entry.calibration else [])
            table.add_row(
                manifest.lab,
                f"{entry.subject}/{entry.name}",
                _with_frames(plan.pose_format, plan.pose_frames),
                f"{plan.fps:g} ({plan.fps_source})" if plan.fps else "-",
                _label_sets(plan),
                _with_frames(video["codec"], video["packet_count"]) if video else "-",
                ", ".join(others) or "-",
            )
    return table


def ingest(
    manifest: list[Path] = typer.Argument(..., help="Manifest file(s) (JSON or YAML, schemas/manifest.v1.json)."),
    lake: str | None = typer.Option(None, help="Lake URL (default: ETHOLAKE_LAKE or ./lake)."),
    catalog: str | None = typer.Option(None, help="Catalog URL (default: ETHOLAKE_CATALOG or inside the lake)."),
    progress: bool = typer.Option(True, help="Show a progress bar."),
    check: bool = typer.Option(
        False, "--check", help="Only check the manifests: list every problem, or what each session will read."
    ),
    rehash: bool = typer.Option(
        False,
        "--rehash",
        help="Hash every file, even of sessions whose files keep the size and modification time (or ETag) "
        "of their last ingest, which are otherwise left out unread.",
    ),
) -> None:
    """Validate manifests, then ingest their videos, pose files, labels and neural data into the lake."""
    from etholake.config import load_settings

    settings = load_settings(lake=lake, catalog=catalog)
    if check:
        _require_write_access(manifest, settings)
        _check_only(manifest, settings, progress)
        return
    from etholake.flowrun import prepare_prefect
    from etholake.lake import open_lake

    open_lake(lake).require_reachable(create=True)
    _require_write_access(manifest, settings)
    prepare_prefect()
    from etholake.flows.ingest import ingest_flow

    outcomes = ingest_flow(
        [str(m) for m in manifest], lake=lake, catalog=catalog, show_progress=progress, rehash=rehash
    )
    console.print(summary_table(outcomes))
    created = sum(len(o.created) for o in outcomes)
    failed = [o for o in outcomes if o.error]
    console.print(f"{len(outcomes)} session(s): {created} asset(s) created, {len(failed)} failed")
    if failed:
        raise typer.Exit(code=1)


def _require_write_access(manifests: list[Path], settings: Settings) -> None:
    """Refuse, before Prefect starts, manifests of existing labs the user may not write to.

    A lab not in the catalog yet is created at ingest with the user as its
    owner; a manifest that cannot be read is left for the check to report.
    """
    from etholake.catalog import Catalog
    from etholake.catalog.migrate import is_current
    from etholake.errors import AccessDeniedError, NotFoundError
    from etholake.ingest.manifest import ManifestError, read_manifest

    if not is_current(settings.catalog_url):
        return
    labs = set()
    for path in manifests:
        try:
            labs.add(read_manifest(path)[0].lab)
        except ManifestError:
            continue
    refused = []
    with Catalog(settings.catalog_url, migrate_schema=False) as catalog:
        for lab in sorted(labs):
            try:
                catalog.require_write(settings.user, lab)
            except NotFoundError:
                continue
            except AccessDeniedError as error:
                refused.append(str(error))
    if refused:
        raise AccessDeniedError("; ".join(refused))


def _check_only(manifests: list[Path], settings: Settings, progress: bool) -> None:
    from etholake.ingest.preflight import checked_manifests

    with checked_manifests([str(m) for m in manifests], settings, show_progress=progress) as checked:
        console.print(plan_table(checked))
    sessions = sum(len(plans) for _, plans in checked)
    console.print(f"{len(checked)} manifest(s), {sessions} session(s): no problems; nothing was written")


def register(app: typer.Typer) -> None:
    """Add ``ingest`` to the etholake CLI."""
    app.command()(ingest)
