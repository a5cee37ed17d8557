"""The report pages in headless Chromium: screenshots, every image decoded, no console errors."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path

import pytest

from etholake.report.browser import check_pages, find_browser
from etholake.report.pages import PAGES

BROWSER = find_browser()
NO_BROWSER = "skipped: no chromium, chromium-browser or google-chrome on PATH to render the pages"


def _require_browser() -> None:
    """Skip without a browser; fail instead where ETHOLAKE_REQUIRE_BROWSER=1 (CI installs chromium)."""
    if BROWSER is None:
        if os.environ.get("ETHOLAKE_REQUIRE_BROWSER") == "1":
            pytest.fail("ETHOLAKE_REQUIRE_BROWSER=1 but " + NO_BROWSER.removeprefix("skipped: "))
        pytest.skip(NO_BROWSER)


def _png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.fixture(scope="module")
def page_checks(request, tmp_path_factory):
    _require_browser()
    report_site = request.getfixturevalue("report_site")
    pages = [report_site.parent / name for name, _ in PAGES] + [report_site.parent / "model-social-v1.html"]
    return {check.page.name: check for check in check_pages(pages, tmp_path_factory.mktemp("screenshots"))}


@pytest.mark.parametrize("name", [name for name, _ in PAGES] + ["model-social-v1.html"])
def test_page_renders_cleanly(page_checks, name):
    check = page_checks[name]
    assert check.broken_images == []
    assert check.console_errors == []
    width, height = _png_size(check.screenshot)
    assert width == 1280 and height >= 600


@pytest.mark.parametrize(
    ("name", "images"),
    [
        ("labs.html", 2),
        ("ethograms.html", 3),
        ("neural.html", 3),
        ("models.html", 1),
        ("sync.html", 1),
        ("model-social-v1.html", 1),
    ],
)
def test_browser_sees_the_figures(page_checks, name, images):
    assert page_checks[name].images == images


def test_checker_reports_broken_images_and_console_errors(tmp_path):
    _require_browser()
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><img alt="missing" src="missing.png">'
        '<img alt="corrupt" src="data:image/png;base64,AAAA"><script>console.error("boom")</script></body></html>'
    )
    (check,) = check_pages([page], tmp_path / "shots")
    assert sorted(check.broken_images) == ["corrupt", "missing"]
    assert any("boom" in error for error in check.console_errors)
    assert not check.ok


def test_browser_leaves_nothing_in_the_temp_folder(tmp_path, monkeypatch):
    _require_browser()
    page = tmp_path / "empty.html"
    page.write_text("<!DOCTYPE html><html><body><p>empty</p></body></html>")
    temp_folder = Path(tempfile.mkdtemp(prefix="etb-"))  # short: Chromium's socket paths have a length limit
    monkeypatch.setenv("TMPDIR", str(temp_folder))
    monkeypatch.setattr(tempfile, "tempdir", str(temp_folder))
    try:
        check_pages([page], tmp_path / "shots")
        assert sorted(path.name for path in temp_folder.iterdir()) == []
    finally:
        shutil.rmtree(temp_folder)
