"""A self-contained HTML page per model: figures embedded as base64 PNG, no external files."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from etholake.inference.bouts import runs
from etholake.models.evaluation import Evaluation

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1, h2, h3 { font-weight: 600; } table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5em 1em; }
.figures img { max-width: 48%; margin: 0.5%; vertical-align: top; }
"""


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(frame: pd.DataFrame | None, empty: str = "none") -> str:
    if frame is None or frame.empty:
        return f"<p>{html.escape(empty)}</p>"
    return frame.to_html(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-", escape=True, border=0)


def pr_curve_figure(evaluation: Evaluation) -> Figure:
    """Pooled held-out precision-recall curve of the raw probabilities, with the pooled operating point.

    The operating point is measured after each fold's smoothing, threshold and minimum bout, so it
    need not lie on the curve.
    """
    figure = Figure(figsize=(4.5, 4))
    axes = figure.subplots()
    curve = evaluation.pr_curve
    axes.plot(curve["recall"], curve["precision"], lw=1.5, label="frame probability")
    axes.plot(
        evaluation.pooled["recall"],
        evaluation.pooled["precision"],
        "o",
        color="crimson",
        label="chosen, after post-processing",
    )
    axes.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    axes.set_title(f"{evaluation.behavior}: PR-AUC {evaluation.pooled['pr_auc']:.2f}")
    axes.legend(loc="lower left")
    return figure


def confusion_figure(evaluation: Evaluation) -> Figure:
    """Pooled held-out confusion matrix after post-processing."""
    figure = Figure(figsize=(3.6, 3.2))
    axes = figure.subplots()
    matrix = evaluation.confusion
    axes.imshow(matrix, cmap="Blues")
    for (i, j), count in np.ndenumerate(matrix):
        axes.text(j, i, f"{count:,}", ha="center", va="center", color="black")
    axes.set(xticks=[0, 1], yticks=[0, 1], xticklabels=["not", evaluation.behavior], xlabel="model", ylabel="human")
    axes.set_yticklabels(["not", evaluation.behavior])
    axes.set_title("held-out frames")
    return figure


NO_IMPORTANCE = (
    "no feature importance: this estimator has no impurity importance and no permutation was run "
    "(--permutation-repeats N measures held-out permutation importance)"
)


def importance_figure(evaluation: Evaluation, top: int = 20) -> Figure | None:
    """Top features by held-out permutation importance (impurity when no permutation was run); None without either."""
    table = evaluation.importance
    column = next((c for c in ("permutation", "impurity") if table[c].notna().any()), None)
    if column is None:
        return None
    table = table.sort_values(column, ascending=False).head(top)[::-1]
    figure = Figure(figsize=(5, 0.25 * len(table) + 1))
    axes = figure.subplots()
    axes.barh(table["feature"], table[column], xerr=table[f"{column}_std"], color="steelblue")
    axes.set_xlabel(f"{column} importance" + (" (held-out, average precision drop)" if column == "permutation" else ""))
    axes.tick_params(axis="y", labelsize=7)
    return figure


def learning_curve_figure(evaluation: Evaluation) -> Figure:
    """Held-out F1 against the number of training sessions."""
    curve = evaluation.learning_curve.groupby("n_train_sessions")["f1"].agg(["mean", "std"]).reset_index()
    figure = Figure(figsize=(4.5, 3.5))
    axes = figure.subplots()
    axes.errorbar(curve["n_train_sessions"], curve["mean"], yerr=curve["std"], marker="o", capsize=3)
    axes.set(xlabel="training sessions", ylabel="held-out F1", ylim=(0, 1))
    return figure


def ethogram_figure(evaluation: Evaluation, session: str | None = None, fps: float | None = None) -> Figure:
    """Human labels against the held-out model prediction for one session."""
    heldout = evaluation.heldout
    session = session if session is not None else str(heldout["session"].iloc[0])
    rows = heldout[heldout["session"] == session]
    frames = rows["frame"].to_numpy()
    scale, unit = (1.0 / fps, "s") if fps else (1.0, "frame")
    figure = Figure(figsize=(9, 1.8))
    axes = figure.subplots()
    for level, (column, colour) in enumerate((("predicted", "darkorange"), ("y_true", "seagreen"))):
        starts, stops = runs(rows[column].to_numpy(dtype=bool))
        axes.broken_barh(
            [(frames[a] * scale, (frames[b] - frames[a] + 1) * scale) for a, b in zip(starts, stops, strict=True)],
            (level + 0.1, 0.8),
            color=colour,
        )
    axes.plot(frames * scale, rows["probability"].to_numpy() * 0.9 + 0.05, lw=0.5, color="grey")
    axes.set(yticks=[0.5, 1.5], yticklabels=["model", "human"], xlabel=unit, ylim=(0, 2))
    axes.set_title(f"{evaluation.behavior}, held-out session {session}")
    return figure


def _behavior_section(evaluation: Evaluation, fps: float | None, ethogram_session: str | None) -> str:
    pooled = pd.DataFrame([{"split": f"grouped by {evaluation.group_by}", **evaluation.pooled}])
    parts = [f"<h2>{html.escape(evaluation.behavior)}</h2>", "<h3>Held-out scores</h3>", _table(pooled)]
    if evaluation.random_split is not None:
        leaky = {k: v for k, v in evaluation.random_split.items() if k != "warning"}
        parts.append(_table(pd.DataFrame([{"split": "random frames (leaky)", **leaky}])))
        parts.append(f'<p class="warning">{html.escape(evaluation.random_split["warning"])}</p>')
    parts += ["<h3>Folds</h3>", _table(evaluation.folds)]
    figures = [pr_curve_figure(evaluation), confusion_figure(evaluation), importance_figure(evaluation)]
    if evaluation.learning_curve is not None and not evaluation.learning_curve.empty:
        figures.append(learning_curve_figure(evaluation))
    parts.append('<div class="figures">' + "".join(_png(f) for f in figures if f is not None) + "</div>")
    parts.append(_png(ethogram_figure(evaluation, ethogram_session, fps)))
    for title, table in (("Per lab", evaluation.lab_breakdown), ("Per annotator", evaluation.annotator_breakdown)):
        parts.append(f"<h3>{title}</h3>")
        if table is not None and table["flagged"].any():
            flagged = ", ".join(map(str, table.loc[table["flagged"], "group"]))
            parts.append(f'<p class="warning">well below the rest: {html.escape(flagged)}</p>')
        parts.append(_table(table, "only one group"))
    parts.append("<h3>Top features</h3>")
    if figures[2] is None:
        parts.append(f"<p>{html.escape(NO_IMPORTANCE)}</p>")
    else:
        parts.append(_table(evaluation.importance.head(20)))
    return "\n".join(parts)


def render_report(
    evaluations: Sequence[Evaluation],
    *,
    title: str,
    card: dict | None = None,
    agreement: pd.DataFrame | None = None,
    fps: float | None = None,
    ethogram_session: str | None = None,
    path: str | Path | None = None,
) -> str:
    """Build the HTML report of a model.

    Parameters
    ----------
    evaluations
        Held-out evaluations, one per behavior.
    title
        Page title (for example ``"<model> <version>"``).
    card
        The model card, summarised at the top.
    agreement
        Inter-annotator agreement table (:func:`etholake.models.agreement.agreement_report`).
    fps
        Frame rate for the ethogram's time axis.
    ethogram_session
        Held-out session shown in the ethogram (default: the first).
    path
        When given, the page is also written there.

    Returns
    -------
    str
        The HTML page; every figure is embedded, so the page stands alone.
    """
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>',
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if card is not None:
        summary = {
            key: card.get(key)
            for key in ("name", "version", "stage", "behaviors", "feature_set_hash", "created_by", "created_at")
        }
        summary["estimator"] = card.get("estimator", {}).get("kind")
        summary["features"] = len(card.get("feature_names", []))
        summary["sha256"] = card.get("artifact", {}).get("sha256")
        summary["label_policy"] = card.get("training", {}).get("label_policy")
        shown = {k: ", ".join(v) if isinstance(v, list) else str(v) for k, v in summary.items()}
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in shown.items())
        parts.append(f"<h2>Model card</h2><table>{rows}</table>")
    parts += [_behavior_section(evaluation, fps, ethogram_session) for evaluation in evaluations]
    parts += ["<h2>Inter-annotator agreement</h2>", _table(agreement, "no session has several annotators")]
    parts.append("</body></html>")
    page = "\n".join(parts)
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
