"""HTML of the report pages: inline CSS, relative links, images as ``data:`` URIs, no JavaScript."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

PAGES: list[tuple[str, str]] = [
    ("index.html", "Summary"),
    ("labs.html", "Labs"),
    ("models.html", "Models"),
    ("ethograms.html", "Ethograms"),
    ("neural.html", "Neural"),
    ("sync.html", "Sync"),
]

STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto 3em; max-width: 78em; padding: 0 1em; color: #222; }
nav { position: sticky; top: 0; background: #f4f6f8; border-bottom: 1px solid #ccd; padding: 0.5em 0.8em;
      margin: 0 -1em 1em; }
nav a { margin-right: 1.2em; text-decoration: none; color: #246; }
nav a.current { font-weight: 700; color: #000; }
h1, h2, h3 { font-weight: 600; } h2 { border-bottom: 1px solid #dde; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; font-size: 0.88em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th { background: #f0f2f5; } td.text { text-align: left; max-width: 30em; }
img { max-width: 100%; height: auto; }
.pair { display: grid; grid-template-columns: minmax(0, max-content) auto; gap: 1.5em; align-items: start; }
.warning { background: #fff3cd; border: 1px solid #e0c060; padding: 0.5em 1em; }
.pass { color: #1a7f37; font-weight: 600; } .fail { color: #b42318; font-weight: 600; }
.muted { color: #667; font-size: 0.9em; }
details { margin: 0.5em 0 1.5em; } summary { cursor: pointer; color: #246; }
"""


@dataclass(frozen=True)
class Figure:
    """An embedded image: its ``data:`` URI and alternative text."""

    uri: str
    alt: str


def escape(value: object) -> str:
    """HTML-escaped text of ``value``."""
    return html.escape(str(value))


def table(frame: pd.DataFrame, empty: str = "none", digits: int = 3) -> str:
    """A DataFrame as an HTML table (escaped, no index), or a note when it is empty."""
    if frame.empty:
        return f'<p class="muted">{escape(empty)}</p>'
    return frame.to_html(
        index=False,
        escape=True,
        border=0,
        na_rep="–",
        float_format=lambda v: f"{v:.{digits}g}" if abs(v) < 1e-3 and v != 0 else f"{v:.{digits}f}",
    )


def image(figure: Figure) -> str:
    """An ``<img>`` of an embedded figure."""
    return f'<img alt="{escape(figure.alt)}" src="{figure.uri}">'


def verdict(passed: bool) -> str:
    """A coloured pass/fail mark."""
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def layout(title: str, current: str, body: str, footer: str) -> str:
    """A whole page: head with inline style, navigation to every page, body and footer."""
    links = "".join(
        f'<a href="{name}"{" class=current" if name == current else ""}>{escape(label)}</a>' for name, label in PAGES
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>etholake · {escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<nav>{links}</nav><h1>{escape(title)}</h1>\n{body}\n"
        f'<p class="muted">{escape(footer)}</p></body></html>\n'
    )


def index_body(counts: pd.DataFrame, stages: pd.DataFrame, models: pd.DataFrame, overview: dict[str, object]) -> str:
    """The pipeline summary: headline counts, stage progress, assets by kind, models, page links."""
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in overview.items())
    pages = "".join(f'<li><a href="{name}">{escape(label)}</a></li>' for name, label in PAGES if name != "index.html")
    return "\n".join(
        [
            f"<table>{facts}</table>",
            "<h2>Pipeline stages</h2>",
            table(stages, "no sessions"),
            "<h2>Models</h2>",
            table(models, "no models registered"),
            "<h2>Assets by kind and lab</h2>",
            table(counts, "no assets"),
            f"<h2>Pages</h2><ul>{pages}</ul>",
        ]
    )


def labs_body(sections: Sequence[tuple[str, pd.DataFrame, Figure | None]]) -> str:
    """Per lab: its sessions table and its behavior time budget."""
    parts = []
    for lab, sessions, budget in sections:
        parts += [f'<h2 id="{escape(lab)}">{escape(lab)}</h2>', table(sessions, "no sessions")]
        parts.append(image(budget) if budget else '<p class="muted">no behavior summaries yet</p>')
    return "\n".join(parts) or '<p class="muted">no labs</p>'


LEAKY_NOTE = (
    "The random-frame split puts neighbouring, nearly identical frames on both sides of the split, so its "
    "scores are optimistic (leaky). Trust the held-out scores grouped by {group_by}."
)


@dataclass(frozen=True)
class ModelSection:
    """One evaluated model version: its metrics, split figure and (copied) model report page."""

    title: str
    group_by: str
    sessions: int
    metrics: pd.DataFrame
    figure: Figure
    report_page: str | None


def models_body(sections: Sequence[ModelSection]) -> str:
    """Model evaluation grouped by session/subject/lab, the leaky random split beside it, report links."""
    parts = []
    for section in sections:
        parts += [
            f"<h2>{escape(section.title)}</h2>",
            f'<p class="muted">held-out evaluation grouped by {escape(section.group_by)} over '
            f"{section.sessions} sessions</p>",
            f'<div class="pair"><div>{table(section.metrics)}</div><div>{image(section.figure)}</div></div>',
            f'<p class="warning">{escape(LEAKY_NOTE.format(group_by=section.group_by))}</p>',
        ]
        if section.report_page:
            parts.append(
                f'<p><a href="{escape(section.report_page)}">Full model report</a>: precision-recall curves, '
                "confusion, feature importance, bias audit per lab and per annotator, inter-annotator agreement.</p>"
            )
    return "\n".join(parts) or '<p class="muted">no model evaluations yet</p>'


def sessions_body(sections: Sequence[tuple[str, str]], empty: str) -> str:
    """One section per session: a heading and prepared HTML."""
    parts = [f'<h2 id="{escape(name)}">{escape(name)}</h2>\n{content}' for name, content in sections]
    return "\n".join(parts) or f'<p class="muted">{escape(empty)}</p>'


def neural_section(peth: Figure | None, significant: pd.DataFrame, modulation: pd.DataFrame) -> str:
    """A session's PETHs, its significantly modulated units and the whole modulation table."""
    parts = [image(peth) if peth else '<p class="muted">no PETH</p>', "<h3>Modulated units (q &lt; 0.05)</h3>"]
    parts.append(table(significant, "no unit passes q < 0.05"))
    parts.append(
        f"<details><summary>All {len(modulation)} unit × behavior tests</summary>{table(modulation)}</details>"
    )
    return "\n".join(parts)


def sync_body(sync: pd.DataFrame, figure: Figure | None, limits: str) -> str:
    """Clock-sync QC per session: drift, residual, matched pulses, each with its pass/fail mark."""
    if sync.empty:
        return '<p class="muted">no clock maps yet</p>'
    header = "".join(
        f"<th>{name}</th>"
        for name in (
            "session",
            "clocks",
            "drift (ppm)",
            "drift check",
            "residual SD (ms)",
            "matched pulses",
            "matched check",
            "overall",
            "notes",
        )
    )
    rows = "".join(
        f"<tr><th>{escape(r.lab)}/{escape(r.session)}</th><td>{escape(r.clocks)}</td><td>{r.drift_ppm:.1f}</td>"
        f"<td>{verdict(r.drift_ok)}</td><td>{r.residual_sd_ms:.2f}</td>"
        f"<td>{r.matched_fraction:.1%} ({escape(r.matched_pulses)})</td><td>{verdict(r.matched_ok)}</td>"
        f'<td>{verdict(r.passed)}</td><td class="text">{escape(r.notes)}</td></tr>'
        for r in sync.itertuples()
    )
    parts = [f"<p>{escape(limits)}</p>", f"<table><tr>{header}</tr>{rows}</table>", image(figure) if figure else ""]
    return "\n".join(parts)
