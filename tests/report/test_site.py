"""The report site: every page written, self-contained, with the figures and tables it promises."""

from __future__ import annotations

import re

import pytest

from etholake.report import build_site
from etholake.report.pages import PAGES

EXPECTED = {
    "index.html": (0, ["Pipeline stages", "3 / 3", "labels", "model_report"]),
    "labs.html": (2, ["alpha", "beta", "a1:social, a2:social", "time budget"]),
    "models.html": (1, ["social v1", "random-split F1 (leaky)", "model-social-v1.html"]),
    "ethograms.html": (3, ["alpha/m1/s1", "beta/m1/s1"]),
    "neural.html": (3, ["Modulated units", "permutation_q"]),
    "sync.html": (1, ["FAIL", "pass", "250.0"]),
}


def _images(page: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]+)"', page)


@pytest.mark.parametrize(("name", "expected"), EXPECTED.items())
def test_page_has_its_figures_and_content(report_site, name, expected):
    images, phrases = expected
    page = (report_site.parent / name).read_text(encoding="utf-8")
    sources = _images(page)
    assert len(sources) == images
    assert all(src.startswith("data:image/png;base64,") and len(src) > 1000 for src in sources)
    for phrase in phrases:
        assert phrase in page


@pytest.mark.parametrize("name", [name for name, _ in PAGES] + ["model-social-v1.html"])
def test_page_is_self_contained(report_site, name):
    page = (report_site.parent / name).read_text(encoding="utf-8")
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:|/)', page)
    links = set(re.findall(r'href="([^"#]+)"', page))
    assert links and all((report_site.parent / link).is_file() for link in links)


def test_index_path_returned_and_pages_written(report_site):
    assert report_site.name == "index.html"
    assert {p.name for p in report_site.parent.glob("*.html")} == {n for n, _ in PAGES} | {"model-social-v1.html"}


@pytest.mark.parametrize(
    ("lab", "present", "absent"), [("alpha", "alpha/m1/s2", "beta/m1/s1"), ("beta", "beta/m1/s1", "alpha/m1/s2")]
)
def test_lab_restricts_sessions_but_keeps_the_models_it_uses(report_lake, tmp_path, lab, present, absent):
    index = build_site(report_lake, tmp_path, lab=lab)
    ethograms = (index.parent / "ethograms.html").read_text(encoding="utf-8")
    assert present in ethograms and absent not in ethograms
    assert "model-social-v1.html" in (index.parent / "models.html").read_text(encoding="utf-8")


def test_empty_lake_gives_pages_without_figures(tmp_path):
    from etholake.catalog import Catalog
    from etholake.jobs.context import JobContext

    context = JobContext(str(tmp_path / "lake"), f"sqlite:///{tmp_path / 'c.sqlite'}", "nobody")
    with Catalog(context.catalog_url) as catalog:
        catalog.add_user("nobody")
    index = build_site(context, tmp_path / "site")
    assert "no model evaluations yet" in (index.parent / "models.html").read_text(encoding="utf-8")
    assert not _images((index.parent / "neural.html").read_text(encoding="utf-8"))


def test_units_of_a_modulation_table_without_regions_take_the_catalogs(report_site):
    neural = (report_site.parent / "neural.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr>\s*<td>(\d)</td>\s*<td>([^<]*)</td>", neural)
    assert {unit for unit, _ in rows} == {"0", "1", "2"}
    assert {(unit, region) for unit, region in rows} == {("0", "VMHvl"), ("1", "VMHvl"), ("2", "–")}
