"""The ``etholake simulate`` and ``etholake simulate-figure`` commands."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from etholake.errors import NotFoundError
from etholake.sim.commands import register

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_simulate_command_writes_manifests(tmp_path, dask_client):
    out_dir = tmp_path / "out"
    result = runner.invoke(
        _app(),
        [
            "simulate",
            str(out_dir),
            "--labs",
            "2",
            "--sessions-per-lab",
            "1",
            "--minutes",
            "0.2",
            "--no-video",
            "--no-neural",
            "--quiet",
            "--scheduler",
            dask_client.scheduler.address,
        ],
    )
    assert result.exit_code == 0, result.output
    for lab in ("ashby", "bauer"):
        manifest = json.loads((out_dir / lab / "manifest.json").read_text())
        assert "video" not in manifest["sessions"][0] and "neural" not in manifest["sessions"][0]
    assert (out_dir / "ground_truth" / "index.json").is_file()


def test_simulate_figure_command(experiment, tmp_path):
    png = tmp_path / "figure.png"
    result = runner.invoke(_app(), ["simulate-figure", str(experiment.out_dir), "chen-s0001", "--output", str(png)])
    assert result.exit_code == 0, result.output
    assert png.stat().st_size > 10_000


def test_simulate_figure_command_names_an_unknown_session(experiment, tmp_path):
    result = runner.invoke(_app(), ["simulate-figure", str(experiment.out_dir), "nobody-s0009"])
    assert result.exit_code == 1
    assert isinstance(result.exception, NotFoundError)
    assert "no session 'nobody-s0009'" in str(result.exception)
