"""The README's demo at its smallest size: every stage runs, a second run reuses everything."""

import pytest
from rich.console import Console

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, prefect_harness):
    from etholake.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    console = Console(record=True, width=160)
    first = run_demo(out, "tiny", console=console, progress=False)
    again = run_demo(out, "tiny", console=console, progress=False)
    return first, again


def test_every_stage_ran_and_the_second_run_reused_what_is_current(demo):
    first, again = demo
    names = [s.name for s in first.stages]
    assert names == [
        "simulate",
        "ingest",
        "features",
        "train",
        "promote",
        "infer",
        "align",
        "nwb export",
        "queries",
        "report",
    ]
    assert not any(s.reused for s in first.stages[:7])
    reused = {s.name for s in again.stages if s.reused}
    assert reused == {"simulate", "ingest", "features", "train", "promote", "infer", "align", "nwb export"}


def test_demo_results_are_queryable_and_exported(demo):
    first, _ = demo
    assert len(first.queries["models"]) == 1
    assert first.queries["models"]["stage"].tolist() == ["production"]
    assert not first.queries["units modulated by sniff (q < 0.05)"].empty
    assert first.report.is_file() and first.report.name == "index.html"
    assert first.nwb.is_file()


def test_units_carry_the_region_of_their_electrode_into_the_catalog_and_report(demo):
    from etholake.catalog import Catalog

    first, _ = demo
    with Catalog(first.catalog) as catalog:
        units = catalog.find_units("demo")
    assert set(units["region"]) == {"VMHvl", "VMHdm"}
    assert "<td>VMHvl</td>" in (first.report.parent / "neural.html").read_text()


def test_exported_nwb_passes_the_dandi_inspection_and_loads_in_pynapple(demo):
    from nwbinspector import Importance, inspect_nwbfile, load_config

    first, _ = demo
    messages = list(inspect_nwbfile(nwbfile_path=str(first.nwb), config=load_config("dandi")))
    serious = [m for m in messages if m.importance in (Importance.CRITICAL, Importance.BEST_PRACTICE_VIOLATION)]
    assert serious == [], [m.message for m in serious]
    import pynapple

    loaded = pynapple.load_file(str(first.nwb))
    try:
        keys = set(loaded.keys())
    finally:
        loaded.close()
    assert {"attack", "sniff"} <= keys or any("sniff" in k for k in keys), keys


@pytest.mark.parametrize(
    "arguments",
    [
        ["query", "sessions", "--behavior", "attack", "--min-bouts", "2"],
        ["query", "units", "--behavior", "sniff", "--q", "0.05"],
        ["query", "units", "--behavior", "attack", "--region", "VMHvl"],
        ["query", "models"],
        ["status"],
    ],
)
def test_readme_walkthrough_queries(demo, monkeypatch, arguments):
    from typer.testing import CliRunner

    from etholake.cli import app

    first, _ = demo
    monkeypatch.setenv("ETHOLAKE_LAKE", first.lake)
    monkeypatch.setenv("ETHOLAKE_USER", "demo")
    result = CliRunner().invoke(app, [*arguments, "--format", "csv"] if arguments[0] == "query" else arguments)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) >= 2, result.output


def test_readme_lineage_example(demo, monkeypatch):
    from typer.testing import CliRunner

    from etholake.catalog import Catalog
    from etholake.cli import app

    first, _ = demo
    with Catalog(first.catalog) as catalog:
        bouts = catalog.assets("demo", kind="bouts")[0]
    monkeypatch.setenv("ETHOLAKE_LAKE", first.lake)
    monkeypatch.setenv("ETHOLAKE_USER", "demo")
    result = CliRunner().invoke(app, ["lineage", bouts.id, "--format", "csv"])
    assert result.exit_code == 0, result.output
    for kind in ("annotations", "features", "model", "pose", "labels"):
        assert f",{kind}," in result.output


def test_query_models_lists_the_grouped_f1_of_every_behavior(demo, monkeypatch):
    import json

    from typer.testing import CliRunner

    from etholake.catalog import Catalog
    from etholake.cli import app

    first, _ = demo
    monkeypatch.setenv("ETHOLAKE_LAKE", first.lake)
    monkeypatch.setenv("ETHOLAKE_USER", "demo")
    result = CliRunner().invoke(app, ["query", "models", "--format", "json"])
    assert result.exit_code == 0, result.output
    [listed] = json.loads(result.output)
    with Catalog(first.catalog) as catalog:
        [metrics] = catalog.models("demo")["metrics"]
    assert listed["grouped_f1"] == {behavior: round(summary["pooled_f1"], 3) for behavior, summary in metrics.items()}
    assert set(listed["grouped_f1"]) == set(listed["behaviors"]) and len(listed["behaviors"]) >= 2


def test_the_explore_command_the_demo_prints_finds_its_sessions(demo, monkeypatch):
    import shlex

    from typer.testing import CliRunner

    import etholake.demo_commands
    from etholake.cli import app

    first, _ = demo
    monkeypatch.setattr(etholake.demo_commands, "run_demo", lambda *args, **kwargs: first)
    printed = CliRunner().invoke(app, ["demo"])
    assert printed.exit_code == 0, printed.output
    (hint,) = [line for line in printed.output.splitlines() if line.startswith("Explore")]
    words = shlex.split(hint.split(": ", 1)[1])
    settings = dict(word.split("=", 1) for word in words if "=" in word)
    command = [word for word in words if "=" not in word][1:]
    assert set(settings) == {"ETHOLAKE_LAKE", "ETHOLAKE_USER"}
    monkeypatch.delenv("ETHOLAKE_CATALOG", raising=False)
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, [*command, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) > 1, result.output


def test_models_show_summarises_the_card_and_json_keeps_all_of_it(demo, monkeypatch):
    import io
    import json

    import pandas as pd
    from typer.testing import CliRunner

    from etholake.cli import app

    first, _ = demo
    monkeypatch.setenv("ETHOLAKE_LAKE", first.lake)
    monkeypatch.setenv("ETHOLAKE_USER", "demo")
    runner = CliRunner()
    card = json.loads(runner.invoke(app, ["models", "show", "social", "--format", "json"]).output)
    table = runner.invoke(app, ["models", "show", "social"])
    assert table.exit_code == 0, table.output
    n_subjects = len({source["subject"] for source in card["training"]["sources"]})
    assert f"{card['training']['n_sessions']} session(s) of {n_subjects} subject(s)" in table.output
    assert f"{len(card['feature_names'])} of feature set {card['feature_set_hash'][:12]}" in table.output
    rows = pd.read_csv(io.StringIO(runner.invoke(app, ["models", "show", "social", "--format", "csv"]).output))
    assert rows["behavior"].tolist() == card["behaviors"]
    for row in rows.itertuples():
        assert row.grouped_f1 == pytest.approx(card["metrics"][row.behavior]["pooled_f1"])
        assert row.threshold == card["postprocessing"][row.behavior]["threshold"]
        assert row.positive_frames == card["training"]["positive_frames"][row.behavior]


def test_alignment_assets_name_the_model_version_of_their_bouts(demo, monkeypatch):
    import io

    import pandas as pd
    from typer.testing import CliRunner

    from etholake.cli import app

    first, _ = demo
    monkeypatch.setenv("ETHOLAKE_LAKE", first.lake)
    monkeypatch.setenv("ETHOLAKE_USER", "demo")
    for kind in ("modulation", "bouts"):
        result = CliRunner().invoke(app, ["query", "assets", "--kind", kind, "--format", "csv"])
        assert set(pd.read_csv(io.StringIO(result.output))["identity"]) == {"social v1"}, result.output


def test_the_model_report_shows_the_registered_card(demo):
    import re

    from etholake.catalog import Catalog

    first, _ = demo
    with Catalog(first.catalog) as catalog:
        [model] = catalog.models("demo").to_dict("records")
    page = (first.report.parent / f"model-{model['name']}-v{model['version']}.html").read_text()
    card = dict(re.findall(r"<tr><th>([a-z_0-9]+)</th><td>([^<]*)</td></tr>", page))
    assert card["created_by"] == "demo" and card["stage"] == "candidate"
    assert card["behaviors"] == ", ".join(model["behaviors"]) and card["feature_set_hash"] == model["feature_set_hash"]
    assert int(card["features"]) > 100 and len(card["sha256"]) == 64


def test_align_passes_max_lag_to_the_clock_fit(demo):
    from etholake.catalog import Catalog
    from etholake.jobs.align import session_alignment
    from etholake.jobs.context import JobContext
    from etholake.neural import ClockFitError

    first, _ = demo
    context = JobContext(first.lake, first.catalog, "demo")
    with Catalog(first.catalog) as catalog:
        key = catalog.assets("demo", kind="modulation")[0].session
    with pytest.raises(ClockFitError):
        session_alignment(context, key, n_shifts=10, max_lag=0.01)
