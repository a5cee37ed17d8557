"""``etholake report -o DIR`` writes the site of the configured lake."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from etholake.report import commands


def _app() -> typer.Typer:
    app = typer.Typer()
    commands.register(app)

    @app.callback()
    def main() -> None:
        """etholake."""

    return app


def test_report_command_writes_site(report_lake, tmp_path, monkeypatch):
    monkeypatch.setenv("ETHOLAKE_CATALOG", report_lake.catalog_url)
    monkeypatch.setenv("ETHOLAKE_USER", report_lake.user)
    result = CliRunner().invoke(_app(), ["report", "-o", str(tmp_path / "site"), "--lake", report_lake.lake_url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "index.html").is_file()
    assert "alpha/m1/s2" in (tmp_path / "site" / "ethograms.html").read_text(encoding="utf-8")
