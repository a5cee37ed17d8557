"""Matplotlib figures of the report site, rendered to PNG ``data:`` URIs (no pyplot, no files)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from etholake.report.collect import EthogramTracks

PALETTE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
NOT_SCORED, ABSENT = "#d9d9d9", "#ffffff"


def png_data_uri(figure: Figure, dpi: int = 90) -> str:
    """The figure as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def behavior_colors(behaviors: list[str]) -> dict[str, str]:
    """A stable colour per behavior, in the order given."""
    return {behavior: PALETTE[index % len(PALETTE)] for index, behavior in enumerate(behaviors)}


def time_budget_figure(summaries: pd.DataFrame, colors: dict[str, str]) -> Figure:
    """Stacked bars: percent of each session spent in each behavior.

    One bar per session and source: each model version's annotations, each human label set.
    """
    version = summaries["model_version"].map(lambda v: "" if pd.isna(v) else f" v{int(v)}")
    source = summaries["model_name"].fillna(summaries["source"]).astype(str) + version
    table = summaries.assign(row=summaries["session"] + " (" + source + ")").pivot_table(
        index="row", columns="behavior", values="percent_of_session", aggfunc="first", sort=True
    )
    figure = Figure(figsize=(7, 0.45 * len(table) + 1.2), layout="constrained")
    axes = figure.subplots()
    left = np.zeros(len(table))
    for behavior in table.columns:
        values = table[behavior].fillna(0).to_numpy()
        axes.barh(table.index, values, left=left, color=colors.get(behavior, "#888"), label=behavior)
        left += values
    axes.invert_yaxis()
    axes.set_xlabel("% of session")
    axes.set_xlim(0, max(100.0, float(left.max()) if len(left) else 100.0))
    figure.legend(loc="outside lower center", fontsize="small", ncols=min(4, max(1, len(table.columns))))
    axes.set_title("Behavior time budget")
    return figure


def split_comparison_figure(metrics: pd.DataFrame, group_by: str) -> Figure:
    """Held-out F1 grouped by ``group_by`` beside the random-frame split's F1, marked as leaky."""
    figure = Figure(figsize=(4.6, 3.4), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(metrics))
    width = 0.38
    axes.bar(
        positions - width / 2,
        metrics["pooled_f1"].astype(float),
        width,
        color="#4c72b0",
        label=f"held out by {group_by}",
    )
    axes.bar(
        positions + width / 2,
        metrics["random_split_f1"].astype(float),
        width,
        color="#f0c987",
        hatch="//",
        edgecolor="#a07000",
        label="random frames (leaky, optimistic)",
    )
    axes.set_xticks(positions, metrics["behavior"])
    axes.set_ylim(0, 1.05)
    axes.set_ylabel("F1")
    axes.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=1)
    return figure


def ethogram_figure(tracks: EthogramTracks, colors: dict[str, str]) -> Figure:
    """Stacked raster rows per behavior: each human label set, then the model; grey = not scored."""
    behaviors = list(dict.fromkeys(behavior for behavior, _ in tracks.rows))
    palette = [NOT_SCORED, ABSENT] + [colors.get(b, "#444") for b in behaviors]
    codes = np.array([behaviors.index(b) + 2 for b, _ in tracks.rows])[:, None]
    image = np.where(tracks.states == 1, codes, tracks.states + 1)
    n_frames = tracks.states.shape[1]
    figure = Figure(figsize=(10, 0.28 * len(tracks.rows) + 1.1))
    axes = figure.subplots()
    axes.imshow(
        image,
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(palette),
        vmin=-0.5,
        vmax=len(palette) - 0.5,
        extent=(0, n_frames / tracks.fps, len(tracks.rows) - 0.5, -0.5),
    )
    axes.set_yticks(np.arange(len(tracks.rows)), [f"{b} · {source}" for b, source in tracks.rows], fontsize="small")
    boundaries = np.flatnonzero([a != b for (a, _), (b, _) in zip(tracks.rows[:-1], tracks.rows[1:], strict=True)])
    for boundary in boundaries:
        axes.axhline(boundary + 0.5, color="#333", linewidth=0.8)
    axes.set_xlabel("time (s, video clock)")
    axes.legend(
        handles=[
            Patch(facecolor=NOT_SCORED, label="not scored"),
            Patch(facecolor=ABSENT, edgecolor="#999", label="absent"),
        ],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=2,
        fontsize="small",
    )
    return figure


def peth_figure(peth: xr.Dataset, top_units: dict[str, list[str]]) -> Figure:
    """Per behavior, the PETHs (mean ± SEM) of its most modulated units, aligned to bout onset."""
    behaviors = [b for b in top_units if top_units[b]]
    figure = Figure(figsize=(4.2 * max(len(behaviors), 1), 3.2), layout="constrained")
    axes_row = np.atleast_1d(figure.subplots(1, max(len(behaviors), 1), squeeze=False)[0])
    lags = peth["lag"].values
    for axes, behavior in zip(axes_row, behaviors, strict=False):
        for index, unit in enumerate(top_units[behavior]):
            mean = peth["rate_mean"].sel(behavior=behavior, unit=unit).values
            sem = peth["rate_sem"].sel(behavior=behavior, unit=unit).values
            color = PALETTE[index % len(PALETTE)]
            axes.plot(lags, mean, color=color, label=f"unit {unit}")
            axes.fill_between(lags, mean - sem, mean + sem, color=color, alpha=0.25, linewidth=0)
        axes.axvline(0, color="#333", linestyle="--", linewidth=0.8)
        events = int(peth["n_events"].sel(behavior=behavior).values)
        axes.set_title(f"{behavior} onset (n = {events})", fontsize="medium")
        axes.set_xlabel("lag (s)")
        axes.set_ylabel("rate (Hz)")
        axes.legend(fontsize="x-small")
    return figure


def sync_figure(sync: pd.DataFrame) -> Figure:
    """Drift (ppm) and matched-pulse fraction per session against their QC limits."""
    figure = Figure(figsize=(9, 0.35 * len(sync) + 1.6), layout="constrained")
    drift_axes, matched_axes = figure.subplots(1, 2, sharey=True)
    labels = sync["lab"] + "/" + sync["session"]
    drift_colors = np.where(sync["drift_ok"], "#55a868", "#c44e52")
    matched_colors = np.where(sync["matched_ok"], "#55a868", "#c44e52")
    drift_axes.barh(labels, sync["drift_ppm"].abs(), color=drift_colors)
    drift_axes.axvline(float(sync["max_drift_ppm"].min()), color="#c44e52", linestyle="--", label="limit")
    drift_axes.set_xlabel("|clock drift| (ppm)")
    drift_axes.legend(fontsize="small")
    drift_axes.invert_yaxis()
    matched_axes.barh(labels, 100 * sync["matched_fraction"], color=matched_colors)
    matched_axes.axvline(100 * float(sync["min_matched_fraction"].max()), color="#c44e52", linestyle="--")
    matched_axes.set_xlabel("matched sync pulses (%)")
    matched_axes.set_xlim(0, 100)
    return figure
