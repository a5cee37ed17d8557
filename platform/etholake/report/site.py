"""Build the report site: read the catalog and lake, draw the figures, write the pages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure as MplFigure

from etholake import __version__
from etholake.catalog import AssetRecord, SessionKey
from etholake.jobs.context import JobContext
from etholake.output_files import output_folder
from etholake.report import figures, pages
from etholake.report.collect import (
    MAX_DRIFT_PPM,
    MIN_MATCHED_FRACTION,
    Inventory,
    collect_inventory,
    ethogram_tracks,
    read_document,
    read_peth,
    read_table,
    read_text,
    sync_row,
)

STAGES: list[tuple[str, str]] = [
    ("ingest: pose", "pose"),
    ("ingest: human labels", "labels"),
    ("ingest: video", "video"),
    ("ingest: neural units", "units"),
    ("features", "features"),
    ("inference: annotations", "annotations"),
    ("inference: bouts", "bouts"),
    ("sync: clock map", "clock_map"),
    ("align: modulation statistics", "modulation"),
    ("align: PETHs", "peth"),
]
METRIC_COLUMNS = [
    "behavior",
    "pooled_precision",
    "pooled_recall",
    "pooled_f1",
    "pooled_pr_auc",
    "pooled_bout_f1",
    "fold_f1_mean",
    "fold_f1_std",
    "random_split_f1",
]
METRIC_LABELS = {
    "pooled_precision": "precision",
    "pooled_recall": "recall",
    "pooled_f1": "F1",
    "pooled_pr_auc": "PR AUC",
    "pooled_bout_f1": "bout F1",
    "fold_f1_mean": "F1 fold mean",
    "fold_f1_std": "F1 fold SD",
    "random_split_f1": "random-split F1 (leaky)",
}
MODULATION_COLUMNS = [
    "unit_id",
    "region",
    "behavior",
    "n_bouts",
    "rate_bout_hz",
    "rate_baseline_hz",
    "modulation_index",
    "wilcoxon_p",
    "wilcoxon_q",
    "permutation_p",
    "permutation_q",
]
TOP_UNITS = 3
Q_LIMIT = 0.05


def _embed(figure: MplFigure, alt: str) -> pages.Figure:
    return pages.Figure(figures.png_data_uri(figure), alt)


def _behaviors(inventory: Inventory) -> list[str]:
    named = list(inventory.behavior_summaries.get("behavior", pd.Series(dtype=str)).unique())
    for model_behaviors in inventory.models.get("behaviors", pd.Series(dtype=object)):
        named += list(model_behaviors or [])
    for asset in inventory.of_kind("labels"):
        named += list(asset.params.get("behaviors", []))
    return list(dict.fromkeys(str(b) for b in named))


def _stages(inventory: Inventory) -> pd.DataFrame:
    keys = inventory.session_keys()
    rows = []
    for stage, kind in STAGES:
        done = {a.session for a in inventory.of_kind(kind)} & set(keys)
        rows.append({"stage": stage, "asset kind": kind, "sessions done": f"{len(done)} / {len(keys)}"})
    for stage, kind in (("train: models", "model"), ("evaluate: reports", "model_report")):
        rows.append({"stage": stage, "asset kind": kind, "sessions done": f"{len(inventory.of_kind(kind))} assets"})
    return pd.DataFrame(rows)


def _models_table(inventory: Inventory) -> pd.DataFrame:
    if inventory.models.empty:
        return pd.DataFrame()
    models = inventory.models
    return pd.DataFrame(
        {
            "model": models["name"],
            "version": models["version"],
            "stage": models["stage"],
            "lab": models["lab"],
            "behaviors": [", ".join(b or []) for b in models["behaviors"]],
            "created": models["created_at"].astype(str).str.slice(0, 19),
        }
    )


def _index_page(inventory: Inventory) -> str:
    overview = {
        "labs": inventory.sessions["lab"].nunique(),
        "subjects": inventory.sessions[["lab", "subject"]].drop_duplicates().shape[0],
        "sessions": len(inventory.sessions),
        "assets": len(inventory.assets),
        "models": len(inventory.models),
        "lake user": inventory.user,
    }
    if inventory.lab is not None:
        overview["restricted to lab"] = inventory.lab
    return pages.index_body(inventory.asset_counts(), _stages(inventory), _models_table(inventory), overview)


def _frames(inventory: Inventory, key: SessionKey, extra: object) -> object:
    quality = (extra or {}).get("qc", {}) if isinstance(extra, dict) else {}
    if quality.get("pose_frames") is not None:
        return quality["pose_frames"]
    features = inventory.newest("features", key)
    return features.params.get("frames") if features else None


def _labs_page(inventory: Inventory, colors: dict[str, str]) -> str:
    sections = []
    for lab, sessions in inventory.sessions.groupby("lab", sort=True):
        rows = []
        for record in sessions.itertuples():
            key = SessionKey(record.lab, record.subject, record.session)
            annotators = sorted({str(a.params.get("identity", "?")) for a in inventory.of_kind("labels", key)})
            rows.append(
                {
                    "subject": record.subject,
                    "session": record.session,
                    "start": str(record.start_time)[:16],
                    "experimenter": record.experimenter,
                    "fps": f"{record.fps:g}" if pd.notna(record.fps) else None,
                    "px/mm": record.px_per_mm,
                    "arena (mm)": f"{record.arena_width_mm:g} × {record.arena_height_mm:g}"
                    if pd.notna(record.arena_width_mm)
                    else None,
                    "frames": _frames(inventory, key, record.extra),
                    "genotype": record.genotype,
                    "label sets": ", ".join(annotators) or "none",
                }
            )
        summaries = inventory.behavior_summaries[inventory.behavior_summaries["lab"] == lab]
        budget = (
            _embed(figures.time_budget_figure(summaries, colors), f"time budget of {lab}")
            if not summaries.empty
            else None
        )
        sections.append((str(lab), pd.DataFrame(rows), budget))
    return pages.labs_body(sections)


def _report_page(context: JobContext, inventory: Inventory, name: str, version: object, out_dir: Path) -> str | None:
    for asset in inventory.of_kind("model_report"):
        if asset.params.get("model_name") == name and str(asset.params.get("model_version")) == str(version):
            page_name = f"model-{name}-v{version}.html"
            nav = "".join(f'<a href="{link}">{pages.escape(label)}</a> · ' for link, label in pages.PAGES)
            text = read_text(context, asset).replace("<body>", f"<body><p>{nav}</p>", 1)
            (out_dir / page_name).write_text(text, encoding="utf-8")
            return page_name
    return None


def _models_page(context: JobContext, inventory: Inventory, out_dir: Path) -> str:
    stages = {(r.name, str(r.version)): r.stage for r in inventory.models.itertuples()}

    def order(asset: AssetRecord) -> tuple[str, bool, int]:
        name, version = str(asset.params.get("model_name")), asset.params.get("model_version")
        return name, stages.get((name, str(version))) != "production", -int(version or 0)

    evaluations = sorted(inventory.of_kind("evaluation"), key=order)
    sections = []
    for asset in evaluations:
        name, version = asset.params.get("model_name"), asset.params.get("model_version")
        document = read_document(context, asset)
        metrics = pd.DataFrame(list(document.get("metrics", {}).values())).reindex(columns=METRIC_COLUMNS)
        group_by = str(document.get("group_by", "session"))
        stage = stages.get((name, str(version)), "unregistered")
        figure = _embed(figures.split_comparison_figure(metrics, group_by), f"{name} v{version}: grouped vs random")
        sections.append(
            pages.ModelSection(
                title=f"{name} v{version} ({stage})",
                group_by=group_by,
                sessions=len(document.get("sessions", [])),
                metrics=metrics.rename(columns=METRIC_LABELS),
                figure=figure,
                report_page=_report_page(context, inventory, str(name), version, out_dir),
            )
        )
    return pages.models_body(sections)


def _ethograms_page(context: JobContext, inventory: Inventory, colors: dict[str, str]) -> str:
    sections = []
    for key in inventory.session_keys():
        tracks = ethogram_tracks(context, inventory.of_kind("labels", key), inventory.newest("annotations", key))
        if not tracks.rows:
            continue
        figure = _embed(figures.ethogram_figure(tracks, colors), f"ethogram of {key}")
        sections.append((str(key), pages.image(figure)))
    return pages.sessions_body(sections, "no labels or annotations yet")


def _top_units(modulation: pd.DataFrame) -> dict[str, list[str]]:
    ranked = modulation.assign(strength=modulation["modulation_index"].abs()).sort_values(
        ["permutation_q", "strength"], ascending=[True, False]
    )
    return {str(b): list(group["unit_id"].astype(str).head(TOP_UNITS)) for b, group in ranked.groupby("behavior")}


def _modulated_counts(tables: list[tuple[SessionKey, pd.DataFrame]]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    rows = pd.concat([table.assign(session=str(key)) for key, table in tables], ignore_index=True)
    rows["modulated"] = rows["permutation_q"] < Q_LIMIT
    counts = rows.groupby(["session", "behavior"], sort=True).agg(
        units=("unit_id", "nunique"), modulated=("modulated", "sum"), median_index=("modulation_index", "median")
    )
    return counts.reset_index().rename(columns={"modulated": f"modulated (q < {Q_LIMIT:g})"})


def _unit_regions(context: JobContext, inventory: Inventory) -> dict[tuple[str, str], str]:
    """The catalog's brain region of every visible unit that has one, by (session, unit)."""
    with context.catalog() as catalog:
        units = catalog.find_units(inventory.user, lab=inventory.lab).dropna(subset=["region"])
    return {(f"{row.lab}/{row.subject}/{row.session}", str(row.unit)): row.region for row in units.itertuples()}


def _neural_page(context: JobContext, inventory: Inventory) -> str:
    sections, tables = [], []
    catalog_regions: dict[tuple[str, str], str] | None = None
    for key in inventory.session_keys():
        modulation_asset, peth_asset = inventory.newest("modulation", key), inventory.newest("peth", key)
        if modulation_asset is None:
            continue
        modulation = read_table(context, modulation_asset)
        if "region" not in modulation.columns:  # aligned before the table kept regions; the catalog has them
            catalog_regions = catalog_regions if catalog_regions is not None else _unit_regions(context, inventory)
            modulation["region"] = [catalog_regions.get((str(key), str(unit))) for unit in modulation["unit_id"]]
        modulation = modulation.reindex(columns=MODULATION_COLUMNS)
        tables.append((key, modulation))
        peth_figure = None
        if peth_asset is not None:
            peth = read_peth(context, peth_asset)
            drawn = figures.peth_figure(peth, _top_units(modulation))
            peth_figure = _embed(drawn, f"PETHs of the most modulated units of {key}")
        modulation = modulation.sort_values(["behavior", "permutation_q", "unit_id"])
        significant = modulation[modulation["permutation_q"] < Q_LIMIT]
        sections.append((str(key), pages.neural_section(peth_figure, significant, modulation)))
    counts = _modulated_counts(tables)
    summary = "<h2>Modulated units per session</h2>" + pages.table(counts) if tables else ""
    return summary + pages.sessions_body(sections, "no neural alignment yet")


def _sync_page(context: JobContext, inventory: Inventory) -> str:
    rows = []
    for key in inventory.session_keys():
        asset = inventory.newest("clock_map", key)
        if asset is not None:
            rows.append(sync_row(key, read_document(context, asset)))
    sync = pd.DataFrame(rows)
    figure = _embed(figures.sync_figure(sync), "clock sync QC") if rows else None
    limits = (
        f"QC limits: at least {MIN_MATCHED_FRACTION:.0%} of sync pulses matched and |drift| at most "
        f"{MAX_DRIFT_PPM:g} ppm (or the limits recorded with each clock map)."
    )
    return pages.sync_body(sync, figure, limits)


def _session_assets(inventory: Inventory) -> list[AssetRecord]:
    return [a for a in inventory.assets if a.session is not None]


def build_site(context: JobContext, out_dir: str | Path, *, lab: str | None = None) -> Path:
    """Write the report site into ``out_dir`` and return the path of its ``index.html``.

    Parameters
    ----------
    context
        Lake, catalog and acting user; the site shows only what that user may see.
    out_dir
        Folder for the pages (created if needed; pages already there are replaced).
    lab
        Restrict the site to one lab's sessions and the models they use.

    Returns
    -------
    Path
        ``out_dir / "index.html"``. Every page is self-contained (inline CSS, figures as ``data:`` URIs,
        relative links, no JavaScript), so the folder opens from disk or any static host.
    """
    with context.catalog() as catalog:
        inventory = collect_inventory(catalog, context.user, lab)
    out = output_folder(out_dir)
    colors = figures.behavior_colors(_behaviors(inventory))
    footer = (
        f"etholake {__version__} · generated {inventory.generated_at:%Y-%m-%d %H:%M UTC} for {inventory.user} · "
        f"{len(_session_assets(inventory))} session assets"
    )
    bodies = {
        "index.html": ("Pipeline summary", _index_page(inventory)),
        "labs.html": ("Data per lab", _labs_page(inventory, colors)),
        "models.html": ("Model evaluation", _models_page(context, inventory, out)),
        "ethograms.html": ("Ethograms: human labels vs model", _ethograms_page(context, inventory, colors)),
        "neural.html": ("Neural: PETHs and modulation", _neural_page(context, inventory)),
        "sync.html": ("Clock sync QC", _sync_page(context, inventory)),
    }
    for name, (title, body) in bodies.items():
        (out / name).write_text(pages.layout(title, name, body, footer), encoding="utf-8")
    return out / "index.html"
