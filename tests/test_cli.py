import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from etholake import __version__
from etholake.cli import app
from etholake.ingest import ManifestError

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    for variable in (
        "ETHOLAKE_LAKE",
        "ETHOLAKE_CATALOG",
        "ETHOLAKE_DASK_ADDRESS",
        "PREFECT_API_URL",
        "ETHOLAKE_CONFIG",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ETHOLAKE_USER", "alice")
    return tmp_path


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).output.strip() == f"etholake {__version__}"
    listed = runner.invoke(app, ["--help"]).output
    for command in ("init", "info", "gc"):
        assert command in listed


def test_init_info_gc(workdir):
    result = runner.invoke(app, ["init", "--lab", "labA"])
    assert result.exit_code == 0, result.output
    assert (workdir / "lake" / "catalog.sqlite").is_file()
    info = runner.invoke(app, ["info"])
    assert info.exit_code == 0, info.output
    assert "reachable, schema" in info.output
    orphan = workdir / "lake" / "labs" / "labA" / "features" / ("a" * 32 + ".zarr")
    orphan.mkdir(parents=True)
    (orphan / "zarr.json").write_text("{}")
    listed = runner.invoke(app, ["gc", "--min-age", "0"])
    assert "1 orphaned asset(s)" in listed.output and orphan.exists()
    removed = runner.invoke(app, ["gc", "--min-age", "0", "--delete"])
    assert "removed 1 orphaned asset(s)" in removed.output and not orphan.exists()


def test_gc_removes_only_the_orphans_of_labs_the_user_may_write_to(workdir, monkeypatch):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    assert runner.invoke(app, ["init", "--lab", "labB"]).exit_code == 0
    orphans = {}
    for lab in ("labA", "labB"):
        orphans[lab] = workdir / "lake" / "labs" / lab / "features" / ("a" * 32 + ".zarr")
        orphans[lab].mkdir(parents=True)
        (orphans[lab] / "zarr.json").write_text("{}")
    monkeypatch.setenv("ETHOLAKE_USER", "eve")
    listed = runner.invoke(app, ["gc", "--min-age", "0"])
    assert "labs/" not in listed.output
    refused = runner.invoke(app, ["gc", "--min-age", "0", "--delete"])
    assert "removed 0 orphaned asset(s)" in refused.output
    for output in (listed.output, refused.output):
        assert "2 orphaned asset(s) in labs eve may not write to (labA, labB) left alone" in " ".join(output.split())
    assert orphans["labA"].exists() and orphans["labB"].exists()


def test_info_fails_when_a_service_is_unreachable(workdir, monkeypatch):
    from services import free_port

    monkeypatch.setenv("ETHOLAKE_DASK_ADDRESS", f"tcp://127.0.0.1:{free_port()}")
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 1
    assert "unreachable" in result.output


def test_info_on_a_lake_that_does_not_exist_says_so_and_creates_nothing(workdir, monkeypatch):
    lake = workdir / "typo"
    monkeypatch.setenv("ETHOLAKE_LAKE", str(lake))
    import etholake.lake.commands

    monkeypatch.setattr(etholake.lake.commands.console, "width", 400)
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 1
    assert "typo does not exist (`etholake init` creates it)" in result.output
    assert "catalog.sqlite does not exist: run `etholake init` first" in result.output
    assert not lake.exists()


def test_an_unreachable_catalog_database_is_one_line_and_its_password_is_never_shown(workdir, monkeypatch):
    from services import free_port

    monkeypatch.setenv("ETHOLAKE_CATALOG", f"postgresql://ada:s3cret@127.0.0.1:{free_port()}/catalog")
    monkeypatch.setenv("COLUMNS", "250")
    completed = subprocess.run(
        [sys.executable, "-m", "etholake", "query", "sessions"], capture_output=True, text=True, cwd=workdir
    )
    assert completed.returncode == 1
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("error: the catalog database cannot be used: connection failed:")
    info = runner.invoke(app, ["info"])
    assert info.exit_code == 1
    assert "postgresql://ada:***@127.0.0.1" in info.output
    assert "s3cret" not in info.output + completed.stderr


def test_errors_are_one_line_with_a_nonzero_exit_code(workdir):
    completed = subprocess.run(
        [sys.executable, "-m", "etholake", "init", "--lab", "../x"], capture_output=True, text=True, cwd=workdir
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "error: invalid lab name '../x': use letters, digits, '.', '_' and '-', starting with a letter or digit "
        "(no '/', spaces, '..' or control characters)"
    ]
    assert not Path(workdir / "lake" / "labs").exists()


def _ingest_a_manifest_with_a_missing_file(workdir: Path, **environment: str) -> subprocess.CompletedProcess:
    """Run ``etholake ingest`` in a subprocess on a manifest whose pose file does not exist."""
    (workdir / "manifest.json").write_text(
        '{"manifest_version": 1, "lab": "labA", "subjects": [{"name": "m1"}],'
        ' "sessions": [{"name": "s1", "subject": "m1", "fps": 30, "pose": {"path": "missing.h5"}}]}'
    )
    return subprocess.run(
        [sys.executable, "-m", "etholake", "ingest", "manifest.json", "--no-progress"],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=300,
        env={**os.environ, **environment},
    )


def test_a_manifest_problem_found_inside_the_flow_is_reported_without_a_traceback(workdir):
    completed = _ingest_a_manifest_with_a_missing_file(workdir)
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        f"error: {workdir / 'manifest.json'}: 1 problem(s):",
        f"  - session m1/s1: file not found: {workdir / 'missing.h5'}",
    ]
    assert not (workdir / "lake" / "labs").exists()


def test_a_prefect_server_that_does_not_start_in_time_is_one_clear_error(workdir):
    completed = _ingest_a_manifest_with_a_missing_file(workdir, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "error: Prefect's temporary API server did not start within 0 s (a busy machine starts it slowly): "
        "run again, give it longer with PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, "
        "or set PREFECT_API_URL to a running Prefect server"
    ]
    assert not (workdir / "lake" / "labs").exists()


def test_a_prefect_server_that_exits_while_starting_is_named_by_its_exit_code():
    from etholake.errors import ConfigError
    from etholake.flowrun import explained_prefect_start_failure

    prefect_says = (
        "Timed out while attempting to connect to ephemeral Prefect API server. "
        "Ephemeral server process exited with code 3. stderr: sqlite3.OperationalError: unable to open database file"
    )
    expected = r"did not start within \d+ s: it exited with code 3; check the Prefect"
    with pytest.raises(ConfigError, match=expected), explained_prefect_start_failure():
        raise RuntimeError(prefect_says)
    with pytest.raises(RuntimeError, match="something else"), explained_prefect_start_failure():
        raise RuntimeError("something else")


def test_prefect_gets_two_minutes_to_start_its_temporary_server(monkeypatch):
    from etholake.flowrun import TEMPORARY_SERVER_STARTUP_TIMEOUT_S, prepare_prefect

    # set first, so that monkeypatch restores the variable's absence afterwards
    monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "placeholder")
    monkeypatch.delenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    prepare_prefect()
    assert os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == str(TEMPORARY_SERVER_STARTUP_TIMEOUT_S)
    assert TEMPORARY_SERVER_STARTUP_TIMEOUT_S == 120


def test_ingest_check_lists_what_each_session_will_read_and_writes_nothing(workdir):
    pose = "scorer,s,s,s,s,s,s\nbodyparts,nose,nose,nose,tail,tail,tail\ncoords,x,y,likelihood,x,y,likelihood\n"
    (workdir / "m1DLC.csv").write_text(pose + "".join(f"{i},1,2,0.9,3,4,0.8\n" for i in range(50)))
    (workdir / "bouts.csv").write_text("behavior,start_frame,stop_frame\ngroom,10,19\n")
    session = (
        '{"name": "s1_resident_intruder_2026-03-02", "subject": "m1", "fps": 25, "pose": {"path": "m1DLC.csv"},'
        ' "labels": [{"path": "bouts.csv", "annotator": "ada"}]}'
    )
    (workdir / "manifest.json").write_text(
        f'{{"manifest_version": 1, "lab": "labA", "subjects": [{{"name": "m1"}}], "sessions": [{session}]}}'
    )
    result = runner.invoke(app, ["ingest", "--check", "manifest.json", "--no-progress"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "m1/s1" in line)
    assert [cell.strip() for cell in row.strip("│ ").split("│")] == [
        "labA",
        "m1/s1_resident_intruder_2026-03-02",
        "dlc_csv, 50 frames",
        "25 (manifest)",
        "ada:interval_csv (interval_csv): groom",
        "-",
        "-",
    ]
    assert "1 manifest(s), 1 session(s): no problems; nothing was written" in result.output
    assert not (workdir / "lake").exists()
    (workdir / "bouts.csv").write_text("behavior,start_frame,stop_frame\ngroom,10,79\n")
    failed = runner.invoke(app, ["ingest", "--check", "manifest.json", "--no-progress"])
    assert isinstance(failed.exception, ManifestError)
    assert "labels run to frame 79 (0-based) but the session has 50 frames" in failed.exception.problems[0]
    assert not (workdir / "lake").exists()


def test_ingest_check_shows_pose_and_video_frame_counts(workdir, shared_data):
    session = {
        "name": "pair",
        "subject": "flies",
        "video": {"path": str(shared_data("pose/video_sleap_nn_centered_pair_small.mp4"))},
        "pose": {"path": str(shared_data("pose/sleap_nn_centered_pair_small.predictions.slp"))},
    }
    manifest = {"manifest_version": 1, "lab": "labA", "subjects": [{"name": "flies"}], "sessions": [session]}
    (workdir / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["ingest", "--check", "manifest.json", "--no-progress"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "flies/pair" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[2:6] == ["sleap_slp, 10 frames", "15 (video)", "-", "h264, 1100 frames"]


def test_prefect_services_do_not_report_their_shutdown_progress(caplog):
    import logging

    from etholake.flowrun import prepare_prefect

    prepare_prefect()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("EventsWorker").warning("Still processing items: 3 items remaining...")
        logging.getLogger("EventsWorker").warning("Service 'EventsWorker' queue is full (9 items), dropping item")
    assert [record.getMessage() for record in caplog.records] == [
        "Service 'EventsWorker' queue is full (9 items), dropping item"
    ]


def test_output_to_a_file_or_pipe_is_not_cut_to_80_columns(monkeypatch):
    from etholake.console import UNCUT_WIDTH, command_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert command_console().width == UNCUT_WIDTH
    monkeypatch.setenv("COLUMNS", "100")
    assert command_console().width == 100


def test_command_tables_print_brackets_in_messages_and_paths_as_they_are(capsys, monkeypatch):
    import pandas as pd

    from etholake.tables import OutputFormat, print_frame

    monkeypatch.delenv("COLUMNS", raising=False)
    note = "/data/[lab a]/s1.csv: header rows are ['scorer']; expected scorer, [individuals,] bodyparts, coords"
    print_frame(pd.DataFrame({"session": ["lab/m1/s1"], "notes": [note]}), OutputFormat.table)
    assert note in capsys.readouterr().out


def test_csv_output_writes_lists_and_mappings_as_json(capsys):
    import io

    import pandas as pd

    from etholake.tables import OutputFormat, print_frame

    frame = pd.DataFrame({"model": ["social"], "behaviors": [["aggression", "social"]], "f1": [{"aggression": 0.626}]})
    print_frame(frame, OutputFormat.csv)
    back = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert json.loads(back.loc[0, "behaviors"]) == ["aggression", "social"]
    assert json.loads(back.loc[0, "f1"]) == {"aggression": 0.626}
    assert back.loc[0, "model"] == "social"


def test_command_tables_print_colon_words_as_they_are_not_as_emoji(capsys, monkeypatch):
    import pandas as pd

    from etholake.tables import OutputFormat, print_frame

    monkeypatch.delenv("COLUMNS", raising=False)
    print_frame(pd.DataFrame({"identity": ["pulses:camera:", "frame_times:camera:"]}), OutputFormat.table)
    shown = capsys.readouterr().out
    assert "pulses:camera:" in shown and "frame_times:camera:" in shown


def test_command_tables_print_times_to_the_second_and_lists_as_text(capsys, monkeypatch):
    import pandas as pd

    from etholake.tables import OutputFormat, print_frame

    monkeypatch.delenv("COLUMNS", raising=False)
    created = pd.Timestamp("2026-12-07 04:11:44.596893+00:00")
    frame = pd.DataFrame(
        {
            "model": ["social"],
            "behaviors": [["attack", "sniff"]],
            "created_at": [created],
            "grouped_f1": [{"attack": 0.7733, "sniff": 0.92134}],
        }
    )
    print_frame(frame, OutputFormat.table)
    printed = capsys.readouterr().out
    assert "2026-12-07 04:11:44+00:00" in printed
    assert "596893" not in printed
    assert "attack, sniff" in printed
    assert "attack 0.7733, sniff 0.9213" in printed


@pytest.mark.parametrize("output", ["table", "csv"])
def test_a_shared_column_is_printed_once_below_the_table_and_kept_in_csv(capsys, monkeypatch, output):
    import pandas as pd

    from etholake.tables import OutputFormat, print_frame

    monkeypatch.setenv("COLUMNS", "200")
    method = "circular-shift permutation, BH FDR"
    frame = pd.DataFrame({"unit": ["0", "1"], "method": [method, method], "region": ["VMHvl", "VMHvl"]})
    print_frame(frame, OutputFormat(output), title="units", shared=("method", "absent"))
    printed = capsys.readouterr().out
    assert printed.count(method) == (1 if output == "table" else 2)
    if output == "table":
        assert f"method (every row): {method}" in printed
        assert printed.count("VMHvl") == 2
    differing = frame.assign(method=[method, "other"])
    print_frame(differing, OutputFormat.table, shared=("method",))
    assert capsys.readouterr().out.count(method) == 1


def test_ingest_check_lists_the_problems_of_every_manifest_at_once(workdir):
    for name in ("a", "b"):
        session = f'{{"name": "s1", "subject": "m1", "fps": 30, "pose": {{"path": "{name}_missing.csv"}}}}'
        (workdir / f"{name}.json").write_text(
            f'{{"manifest_version": 1, "lab": "lab{name}", "subjects": [{{"name": "m1"}}], "sessions": [{session}]}}'
        )
    failed = runner.invoke(app, ["ingest", "--check", "a.json", "b.json", "--no-progress"])
    assert isinstance(failed.exception, ManifestError)
    assert str(failed.exception).splitlines()[0] == "2 manifests: 2 problem(s):"
    assert failed.exception.problems == [
        f"{workdir / name}.json: session m1/s1: file not found: {workdir / name}_missing.csv" for name in ("a", "b")
    ]


def test_ingest_check_lists_reference_schema_and_file_problems_together(workdir):
    sessions = '[{"name": "s1", "subject": "m2", "fps": 30, "pose": {"path": "missing.csv"}}]'
    (workdir / "a.json").write_text(
        f'{{"manifest_version": 1, "lab": "labA", "subjects": [{{"name": "m1"}}], "sessions": {sessions}}}'
    )
    (workdir / "b.json").write_text('{"manifest_version": 1, "lab": "labB", "sessions": [], "colour": 1}')
    failed = runner.invoke(app, ["ingest", "--check", "a.json", "b.json", "--no-progress"])
    assert isinstance(failed.exception, ManifestError)
    assert failed.exception.problems == [
        f"{workdir / 'a.json'}: sessions[0] (s1): subject 'm2' is not listed under subjects",
        f"{workdir / 'a.json'}: session m2/s1: file not found: {workdir / 'missing.csv'}",
        f"{workdir / 'b.json'}: (top level): Additional properties are not allowed ('colour' was unexpected)",
        f"{workdir / 'b.json'}: sessions: [] should be non-empty",
    ]


def test_warnings_etholake_raises_print_as_one_line_once_and_others_keep_their_origin(capsys, monkeypatch):
    from etholake.cli import PACKAGE_DIR, WarningPrinter

    monkeypatch.setattr("warnings.showwarning", WarningPrinter())
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        for behavior in ("attack", "sniff"):
            warnings.warn_explicit("random-frame split is leaky", UserWarning, str(PACKAGE_DIR / "models" / "x.py"), 7)
            warnings.warn_explicit(f"{behavior}: few bouts", UserWarning, str(PACKAGE_DIR / "models" / "x.py"), 9)
        warnings.warn_explicit("a library's warning", FutureWarning, "/elsewhere/library.py", 12)
    assert capsys.readouterr().err.splitlines() == [
        "warning: random-frame split is leaky",
        "warning: attack: few bouts",
        "warning: sniff: few bouts",
        "/elsewhere/library.py:12: FutureWarning: a library's warning",
    ]


def test_the_ingest_summary_shows_each_status_as_a_word(monkeypatch):
    from etholake.catalog import SessionKey
    from etholake.console import command_console
    from etholake.ingest.commands import summary_table
    from etholake.ingest.session import SessionOutcome

    monkeypatch.delenv("COLUMNS", raising=False)
    outcomes = [
        SessionOutcome(SessionKey("labA", "m1", "s1"), created={"pose": "a" * 32}),
        SessionOutcome(SessionKey("labA", "m1", "s2"), error="/data/[lab a]/s2.csv: file is empty"),
        SessionOutcome(SessionKey("labA", "m1", "s3")),
    ]
    console = command_console()
    with console.capture() as captured:
        console.print(summary_table(outcomes))
    rows = [line for line in captured.get().splitlines() if "labA/m1/" in line]
    statuses = [[cell.strip() for cell in row.split("│")][2] for row in rows]
    assert statuses == ["ingested", "failed", "unchanged"]
    assert "/data/[lab a]/s2.csv: file is empty" in rows[1]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--params", "notjson"], "--params is not valid JSON (Expecting value at character 0): notjson"),
        (["--params", "[1]"], "--params must be a JSON object"),
        (["--params", '{"depth": 3}'], "unknown random_forest parameter(s): depth"),
        (["--estimator", "svm"], "estimator kind must be one of random_forest, hist_gradient_boosting, got 'svm'"),
        (["--group-by", "cage"], "group_by must be one of session, subject, lab, got 'cage'"),
        (["--policy", "most"], "label policy must be majority, any or single:<annotator>, got 'most'"),
        (["--feature-set", "nope"], "nope: no such feature-set spec file"),
        (["--name", "../m"], "invalid model name '../m'"),
        (["--lab", "labB"], "no lab named 'labB'"),
    ],
)
def test_train_refuses_a_bad_option_before_any_work(workdir, arguments, message):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    given = dict(zip(arguments[::2], arguments[1::2]))
    options = {"--name": "m1", "--lab": "labA", "--behavior": "attack"} | given
    result = runner.invoke(app, ["train", *[part for pair in options.items() for part in pair]])
    assert result.exit_code == 1
    assert message in str(result.exception)
    if "--name" not in given and "--lab" not in given:
        evaluated = runner.invoke(app, ["evaluate", "--behavior", "attack", *arguments])
        assert evaluated.exit_code == 1 and message in str(evaluated.exception)
    assert not (workdir / "lake" / "labs" / "labA" / "models").exists()


def test_train_and_evaluate_list_every_bad_option_at_once(workdir):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    bad = ["--estimator", "svm", "--policy", "foo", "--group-by", "cage", "--feature-set", "nope"]
    expected = [
        "estimator kind must be one of random_forest, hist_gradient_boosting, got 'svm'",
        "label policy must be majority, any or single:<annotator>, got 'foo'",
        "group_by must be one of session, subject, lab, got 'cage'",
        "nope: no such feature-set spec file",
    ]
    trained = runner.invoke(app, ["train", "--name", "../m", "--lab", "labA", "--behavior", "attack", *bad])
    evaluated = runner.invoke(app, ["evaluate", "--behavior", "attack", *bad])
    for result, problems in ((trained, [*expected, "invalid model name '../m'"]), (evaluated, expected)):
        assert result.exit_code == 1
        for problem in problems:
            assert problem in str(result.exception)
        assert str(result.exception).count("; ") >= len(problems) - 1


def test_features_refuses_an_unknown_feature_set_before_starting_a_flow(workdir, monkeypatch):
    import etholake.flowrun

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["features", "--spec", "nope"])
    assert result.exit_code == 1
    assert "nope: no such feature-set spec file (built-in sets are: default, jaaba, simba)" in str(result.exception)


def test_sessions_named_with_session_are_checked_before_a_flow_starts(workdir, monkeypatch):
    import etholake.flowrun
    from etholake.catalog import SessionKey
    from etholake.jobs.context import JobContext

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    context = JobContext.from_settings()
    with context.catalog() as catalog:
        catalog.register_subject("alice", "labA", "m1")
        catalog.register_session("alice", SessionKey("labA", "m1", "s1"), fps=30.0)
    missing = "no session labA/m1/s9 visible to alice"
    for command, problems in (
        (["features"], "session labA/m1/s1 has no pose"),
        (["align"], "session labA/m1/s1 has no units; session labA/m1/s1 has no bouts"),
    ):
        result = runner.invoke(app, [*command, "--session", "labA/m1/s1", "--session", "labA/m1/s9"])
        assert result.exit_code == 1
        assert str(result.exception) == f"{problems}; {missing}"


def test_a_model_no_one_can_see_is_refused_before_a_flow_starts(workdir, monkeypatch):
    import etholake.flowrun

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    for command, message in (
        (["infer", "--model", "social"], "no production version of model 'social' visible to alice"),
        (["infer", "--model", "social", "--version", "3"], "no version 3 of model 'social' visible to alice"),
        (["reprocess", "--model", "social"], "no production version of model 'social' visible to alice"),
        (["status", "--model", "social"], "no production version of model 'social' visible to alice"),
    ):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert str(result.exception) == message


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--after", "2025-13-01"], "--after must be a date written YYYY-MM-DD, got '2025-13-01' (month must be in"),
        (["--before", "yesterday"], "--before must be a date written YYYY-MM-DD, got 'yesterday'"),
        (["--source", "human"], "--source without --behavior: give the behavior whose bouts to filter"),
        (["--min-bouts", "2", "--min-time", "1.5"], "--min-bouts and --min-time without --behavior"),
    ],
)
def test_query_sessions_refuses_options_it_cannot_use(workdir, arguments, message):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["query", "sessions", *arguments])
    assert result.exit_code == 1
    assert str(result.exception).startswith(message)


def test_query_assets_says_which_version_replaced_which(workdir):
    from pipeline_helpers import add_sessions, synthetic_pose

    from etholake.catalog import SessionKey
    from etholake.catalog.records import PREVIOUS_VERSION
    from etholake.jobs.context import JobContext
    from etholake.lake import publish_dataset

    assert runner.invoke(app, ["init"]).exit_code == 0
    context = JobContext.from_settings()
    key = SessionKey("labA", "m1", "s1")
    with context.catalog() as catalog:
        add_sessions(context.lake(), catalog, "alice", "labA", ["s1"])
        (first,) = catalog.assets("alice", kind="pose")
        second = publish_dataset(
            context.lake(),
            catalog,
            "alice",
            synthetic_pose(seed=9),
            kind="pose",
            lab="labA",
            session=key,
            params={"identity": "pose"},
            parents={first.id: PREVIOUS_VERSION},
        ).record
    listed = json.loads(runner.invoke(app, ["query", "assets", "--format", "json"]).output)
    versions = {row["id"]: (row["replaces"], row["replaced_by"]) for row in listed}
    assert versions == {second.id: (first.id, ""), first.id: ("", second.id)}
    (overview,) = json.loads(runner.invoke(app, ["query", "session", "labA/m1/s1", "--format", "json"]).output)
    assert overview["assets"] == {"pose": "1 (+1 older version)"}
    assert (overview["lab"], overview["subject"], overview["session"]) == key
    table = runner.invoke(app, ["query", "session", "labA/m1/s1"])
    assert table.exit_code == 0 and "pose 1 (+1 older version)" in table.output
    csv_lines = runner.invoke(app, ["query", "session", "labA/m1/s1", "--format", "csv"]).output.splitlines()
    assert len(csv_lines) == 2 and csv_lines[1].endswith(",pose 1 (+1 older version)")
    missing = runner.invoke(app, ["query", "session", "labA/m1/s9"])
    assert missing.exit_code == 1 and str(missing.exception) == "no session labA/m1/s9 visible to alice"


def test_query_assets_lists_ids_with_what_each_asset_is(workdir):
    from pipeline_helpers import add_sessions

    from etholake.jobs.context import JobContext

    assert runner.invoke(app, ["init"]).exit_code == 0
    context = JobContext.from_settings()
    with context.catalog() as catalog:
        add_sessions(context.lake(), catalog, "alice", "labA", ["s1", "s2"])
        pose_ids = {a.session.session: a.id for a in catalog.assets("alice", kind="pose")}
    result = runner.invoke(app, ["query", "assets", "--session", "labA/m1/s2", "--format", "json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert {k: row[k] for k in ("id", "kind", "session", "identity")} == {
        "id": pose_ids["s2"],
        "kind": "pose",
        "session": "labA/m1/s2",
        "identity": "pose",
    }
    listed = json.loads(runner.invoke(app, ["query", "assets", "--kind", "pose", "--format", "json"]).output)
    assert {row["id"] for row in listed} == set(pose_ids.values())
    for arguments, message in (
        (["--kind", "poses"], "no 'poses' asset here; the kinds there are: pose"),
        (["--session", "labA/m1/s9"], "no session labA/m1/s9 visible to alice"),
        (["--session", "labA/s1"], "session 'labA/s1' must be written lab/subject/session"),
    ):
        result = runner.invoke(app, ["query", "assets", *arguments])
        assert result.exit_code == 1
        assert str(result.exception) == message


@pytest.mark.filterwarnings("ignore:Logger 'prefect.task_runs' attempted to send logs")
def test_a_run_that_failed_with_an_etholake_error_is_not_reported_by_prefect(caplog):
    import logging

    from etholake.errors import InputFileError
    from etholake.flowrun import prepare_prefect

    prepare_prefect()
    logger = logging.getLogger("prefect.task_runs")
    with caplog.at_level(logging.ERROR):
        try:
            raise InputFileError("/data/s1.h5", "truncated HDF5 file")
        except InputFileError:
            logger.error("Task run failed with exception", exc_info=True)
        logger.error("Finished in state Failed('Task run encountered an exception InputFileError: /data/s1.h5: x')")
        logger.error("Finished in state Failed('Task run encountered an exception KeyError: x')")
    assert [record.getMessage() for record in caplog.records] == [
        "Finished in state Failed('Task run encountered an exception KeyError: x')"
    ]


def test_ingest_into_a_lab_the_user_may_not_write_to_is_refused_before_a_flow_starts(workdir, monkeypatch):
    import etholake.flowrun

    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    for lab in ("labA", "labB"):
        session = '{"name": "s1", "subject": "m1", "fps": 30, "pose": {"path": "s1.csv"}}'
        (workdir / f"{lab}.json").write_text(
            f'{{"manifest_version": 1, "lab": "{lab}", "subjects": [{{"name": "m1"}}], "sessions": [{session}]}}'
        )
    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    monkeypatch.setenv("ETHOLAKE_USER", "bob")
    for command in (["ingest", "labA.json", "labB.json"], ["ingest", "--check", "labA.json", "labB.json"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert str(result.exception) == "user 'bob' may not write to lab 'labA': owner or member role needed"


@pytest.mark.parametrize("command", [["features"], ["align"], ["reprocess"], ["infer", "--model", "m"]])
def test_a_lab_not_in_the_catalog_is_refused_before_a_flow_starts(workdir, monkeypatch, command):
    import etholake.flowrun
    import etholake.jobs.commands

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    monkeypatch.setattr(etholake.jobs.commands, "_require_model", lambda *arguments: None)
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, [*command, "--lab", "labZ"])
    assert result.exit_code == 1
    assert str(result.exception) == "no lab named 'labZ'; the catalog's labs are labA"


def test_schedule_lists_every_problem_of_its_options_before_serving(workdir, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["schedule", "--cron", "every night", "--lab", "labZ"])
    assert result.exit_code == 1
    assert str(result.exception) == (
        "no lab named 'labZ'; the catalog's labs are labA; --cron 'every night' is not a cron schedule: "
        "give minute hour day month weekday, e.g. '0 3 * * *'"
    )
    result = runner.invoke(app, ["schedule", "--interval", "0"])
    assert str(result.exception) == "--interval must be a positive number of seconds, got 0"
    completed = subprocess.run(
        [sys.executable, "-m", "etholake", "schedule", "--cron", "0 3 * * *"],
        capture_output=True,
        text=True,
        cwd=workdir,
    )
    assert completed.returncode == 1
    (line,) = completed.stderr.strip().splitlines()
    assert line.startswith("error: the Prefect server at http://127.0.0.1:9/api does not answer (")


def test_a_catalog_that_init_never_set_up_says_to_run_init(workdir, catalog_url, monkeypatch):
    monkeypatch.setenv("ETHOLAKE_CATALOG", catalog_url)
    completed = subprocess.run(
        [sys.executable, "-m", "etholake", "status"], capture_output=True, text=True, cwd=workdir
    )
    assert completed.returncode == 1
    (line,) = completed.stderr.strip().splitlines()
    problem = "does not exist" if catalog_url.startswith("sqlite") else "has no etholake tables"
    assert line.startswith("error: the catalog ") and line.endswith(f"{problem}: run `etholake init` first")


def test_a_command_on_a_lake_that_does_not_exist_creates_nothing(workdir, monkeypatch):
    lake = workdir / "typo"
    monkeypatch.setenv("ETHOLAKE_LAKE", str(lake))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert (
        str(result.exception)
        == f"the catalog sqlite:///{lake}/catalog.sqlite does not exist: run `etholake init` first"
    )
    assert not lake.exists()


def test_init_with_a_bad_lab_name_creates_nothing(workdir, monkeypatch):
    lake = workdir / "new"
    monkeypatch.setenv("ETHOLAKE_LAKE", str(lake))
    result = runner.invoke(app, ["init", "--lab", "../x"])
    assert result.exit_code == 1
    assert str(result.exception).startswith("invalid lab name '../x'")
    assert not lake.exists()


@pytest.mark.parametrize(
    "command",
    [["query", "sessions"], ["models", "list"], ["gc"], ["lineage", "0123"], ["report", "-o", "site"], ["features"]],
)
def test_commands_other_than_init_do_not_create_a_lake_or_catalog(workdir, monkeypatch, command):
    lake = workdir / "typo"
    monkeypatch.setenv("ETHOLAKE_LAKE", str(lake))
    result = runner.invoke(app, command)
    assert result.exit_code == 1
    assert str(result.exception).endswith(
        ("catalog.sqlite does not exist: run `etholake init` first", "typo does not exist (`etholake init` creates it)")
    )
    assert not lake.exists()
    assert not (workdir / "site").exists()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["features"], "no session you may write to has pose: nothing to compute (ingest a manifest first)"),
        (["align", "--lab", "labA"], "no session of lab labA you may write to has both units and machine bouts"),
    ],
)
def test_a_lake_with_nothing_to_do_says_so_without_starting_a_flow(workdir, monkeypatch, command, message):
    import etholake.flowrun

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, command)
    assert result.exit_code == 0
    assert message in " ".join(result.output.split())


def test_status_and_reprocess_say_when_no_model_is_in_production(workdir, monkeypatch):
    from pipeline_helpers import add_sessions

    import etholake.flowrun
    from etholake.jobs.context import JobContext

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    context = JobContext.from_settings()
    with context.catalog() as catalog:
        add_sessions(context.lake(), catalog, "alice", "labA", ["s1"])
    hint = "no model is in production: nothing can be stale (`etholake models promote NAME VERSION`)"
    for command in (["status"], ["reprocess"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert hint in " ".join(result.output.split())


def test_reprocess_with_nothing_stale_starts_no_flow(workdir, monkeypatch):
    import etholake.flowrun
    import etholake.jobs.status
    from etholake.catalog import SessionKey
    from etholake.jobs.status import SessionState

    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda: pytest.fail("a flow was started"))
    current = SessionState(SessionKey("labA", "m1", "s1"), "social", 2, 2, True, "")
    monkeypatch.setattr(etholake.jobs.status, "session_states", lambda *arguments, **options: [current])
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["reprocess"])
    assert result.exit_code == 0, result.output
    assert "0 stale session(s) annotated, 1 already current" in result.output


def test_an_owner_shares_a_lab_from_the_command_line(workdir, monkeypatch):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["labs", "add-member", "labA", "bob", "--role", "viewer"])
    assert result.exit_code == 0 and result.output == "bob is now a viewer of lab labA\n"
    members = runner.invoke(app, ["labs", "members", "labA", "--format", "csv"]).output
    assert members == "user,role\nalice,owner\nbob,viewer\n"
    monkeypatch.setenv("ETHOLAKE_USER", "bob")
    assert runner.invoke(app, ["labs", "list", "--format", "csv"]).output == "lab,role\nlabA,viewer\n"
    refused = runner.invoke(app, ["labs", "add-member", "labA", "bob", "--role", "owner"])
    assert refused.exit_code == 1 and str(refused.exception) == "only an owner of lab 'labA' may change its roles"
    monkeypatch.setenv("ETHOLAKE_USER", "alice")
    result = runner.invoke(app, ["labs", "remove-member", "labA", "bob"])
    assert result.exit_code == 0 and result.output == "bob is no longer a viewer of lab labA\n"
    last = runner.invoke(app, ["labs", "remove-member", "labA", "alice"])
    assert str(last.exception) == "alice is the only owner of lab 'labA': make another user an owner first"


def test_an_unreachable_prefect_server_is_one_clear_error_before_a_flow_starts(monkeypatch):
    from etholake.errors import ConfigError
    from etholake.flowrun import require_prefect_server

    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:1/api")
    with pytest.raises(ConfigError, match=r"the Prefect server at http://127.0.0.1:1/api does not answer \("):
        require_prefect_server()


def test_a_prefect_server_set_in_etholake_toml_is_checked_and_given_to_prefect(tmp_path, monkeypatch):
    import http.server
    import threading

    from etholake.flowrun import require_prefect_server

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/api/health" else 404)
            self.end_headers()
            self.wfile.write(b"true")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/api"
        (tmp_path / "etholake.toml").write_text(f'prefect_api_url = "{url}"\n')
        monkeypatch.setenv("ETHOLAKE_CONFIG", str(tmp_path / "etholake.toml"))
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        require_prefect_server()
        assert os.environ["PREFECT_API_URL"] == url
    finally:
        server.shutdown()


def test_reprocess_counts_as_annotated_only_the_sessions_it_annotated(workdir, monkeypatch):
    from types import SimpleNamespace

    import etholake.flowrun
    import etholake.flows.reprocess
    import etholake.jobs.status
    from etholake.catalog import SessionKey
    from etholake.jobs.inference import InferenceOutcome
    from etholake.jobs.status import SessionState

    keys = [SessionKey("labA", "m1", f"s{i}") for i in range(3)]
    stale = [SessionState(key, "social", 2, 1, False, "new production model (v1 -> v2)") for key in keys]
    monkeypatch.setattr(etholake.flowrun, "prepare_prefect", lambda **options: None)
    monkeypatch.setattr(etholake.jobs.status, "session_states", lambda *arguments, **options: stale)
    outcomes = [
        InferenceOutcome(key, "social", 2, "a" * 32, "b" * 32, index == 0, False, 100, 3, 0.1)
        for index, key in enumerate(keys)
    ]
    monkeypatch.setattr(
        etholake.flows.reprocess, "reprocess_flow", lambda **options: SimpleNamespace(outcomes=outcomes)
    )
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    result = runner.invoke(app, ["reprocess"])
    assert result.exit_code == 0, result.output
    assert "1 stale session(s) annotated, 2 annotated meanwhile by another run, 0 already current" in " ".join(
        result.output.split()
    )


def test_a_corrupt_catalog_file_is_one_line(workdir):
    assert runner.invoke(app, ["init", "--lab", "labA"]).exit_code == 0
    catalog_file = workdir / "lake" / "catalog.sqlite"
    with open(catalog_file, "r+b") as handle:
        handle.write(b"\0" * 100)
    completed = subprocess.run(
        [sys.executable, "-m", "etholake", "query", "sessions"], capture_output=True, text=True, cwd=workdir
    )
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        "error: the catalog database cannot be used: file is not a database"
    ]


def test_a_terminated_flow_command_leaves_no_prefect_server_behind(workdir):
    import signal

    import psutil
    from pipeline_helpers import add_sessions

    from etholake.jobs.context import JobContext

    assert runner.invoke(app, ["init"]).exit_code == 0
    context = JobContext.from_settings()
    with context.catalog() as catalog:
        add_sessions(context.lake(), catalog, "alice", "labA", ["s1", "s2"])
    command = subprocess.Popen([sys.executable, "-m", "etholake", "features"], cwd=workdir)
    parent = psutil.Process(command.pid)
    servers, workers = [], []
    deadline = time.monotonic() + 120
    while not (servers and workers) and time.monotonic() < deadline and command.poll() is None:
        children = parent.children(recursive=True)
        servers = [p for p in children if "uvicorn" in " ".join(p.cmdline())]
        workers = [p for p in children if "multiprocessing.spawn" in " ".join(p.cmdline())]
        time.sleep(0.2)
    assert servers and workers, "the command started no Prefect server and Dask workers"
    command.send_signal(signal.SIGTERM)
    assert command.wait(timeout=120) != 0
    time.sleep(10)
    running = [p for p in servers + workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for process in running:
        process.kill()
    assert running == []
