"""Active-learning suggestions and the labelling loop end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score

from etholake.models.estimators import EstimatorSpec
from etholake.models.suggest import BORIS_COLUMNS, TASK_COLUMNS, suggest_labels, write_task_list
from etholake.models.training import train_model
from etholake.models.trainset import SessionData, build_training_set
from etholake.schema.labels import make_labels_dataset


def test_suggestions_spread_across_sessions_and_skip_labelled():
    probability = {"a": np.full(300, 0.5), "b": np.full(300, 0.05), "c": np.full(300, 0.95)}
    probability["b"][60:90] = 0.45
    labelled = {"a": np.zeros(300, dtype=bool)}
    labelled["a"][:150] = True
    tasks = suggest_labels(
        probability, behavior="attack", threshold=0.5, labelled=labelled, fps=30.0, videos={"a": "a.mp4"}, n_tasks=3
    )
    assert list(tasks.columns) == list(TASK_COLUMNS)
    assert sorted(tasks["session"]) == ["a", "b", "c"]
    row_b = tasks.set_index("session").loc["b"]
    assert (row_b["start_frame"], row_b["stop_frame"]) == (60, 89)
    assert row_b["start_time"] == pytest.approx(2.0) and row_b["stop_time"] == pytest.approx(3.0)
    assert tasks.set_index("session").loc["a", "start_frame"] >= 150
    assert tasks.set_index("session").loc["a", "video"] == "a.mp4"


def test_nothing_to_suggest_is_an_empty_table_with_a_warning_saying_how_much_is_labelled():
    probability = {"a": np.full(90, 0.5), "b": np.full(60, 0.5)}
    labelled = {"a": np.zeros(90, dtype=bool), "b": np.ones(60, dtype=bool)}
    labelled["a"][::30] = True
    with pytest.warns(UserWarning, match=r"'attack': 63 of the 150 frames of the 2 session\(s\) are labelled"):
        tasks = suggest_labels(probability, behavior="attack", threshold=0.5, labelled=labelled, segment_frames=30)
    assert tasks.empty and list(tasks.columns) == list(TASK_COLUMNS)


def test_fold_disagreement_raises_the_score():
    probability = {"s": np.full(120, 0.9)}
    folds = np.full((3, 120), 0.9)
    folds[:, 60:90] = [[0.1], [0.9], [0.99]]
    tasks = suggest_labels(probability, behavior="x", threshold=0.5, fold_probability={"s": folds}, n_tasks=1)
    assert tasks.loc[0, "start_frame"] == 60 and tasks.loc[0, "reason"] == "fold disagreement"


@pytest.mark.parametrize(
    ("kind", "suffix", "separator"), [("csv", "csv", ","), ("boris", "csv", ","), ("boris", "tsv", "\t")]
)
def test_task_list_files(tmp_path, kind, suffix, separator):
    tasks = suggest_labels({"s": np.linspace(0, 1, 90)}, behavior="attack", threshold=0.5, fps=30.0, n_tasks=2)
    path = write_task_list(tasks, tmp_path / "new" / f"tasks.{kind}.{suffix}", kind=kind)
    table = pd.read_csv(path, sep=separator)
    assert len(table) == 2
    if kind == "boris":
        assert list(table.columns) == list(BORIS_COLUMNS)
        assert table["Duration (s)"].tolist() == [1.0, 1.0]
        assert (table["Behavior type"] == "STATE").all()


def test_an_unknown_task_list_kind_is_refused_before_anything_is_written(tmp_path):
    from etholake.errors import ExportError

    tasks = suggest_labels({"s": np.linspace(0, 1, 90)}, behavior="attack", threshold=0.5, fps=30.0, n_tasks=2)
    with pytest.raises(ExportError, match="task list kind must be 'csv' or 'boris', got 'xlsx'"):
        write_task_list(tasks, tmp_path / "new" / "tasks.xlsx", kind="xlsx")
    assert not (tmp_path / "new").exists()


def _labels(truth: np.ndarray, known: np.ndarray) -> list:
    label = np.where(known, truth, -1).astype(np.int8)
    return [make_labels_dataset(label[:, None], behaviors=["attack"], annotator="alice", label_set="S1", fps=30.0)]


def test_labelling_loop_improves_the_held_out_score(synthetic_session, small_grid, tmp_path):
    pool = [synthetic_session(f"p{i}", 300 + i, n_frames=1500) for i in range(5)]
    held_out = [synthetic_session(f"h{i}", 400 + i, n_frames=1500) for i in range(2)]
    known = {s.session: np.arange(1500) < 120 for s, _ in pool}
    spec = EstimatorSpec("random_forest", {"n_estimators": 40, "n_jobs": 1, "max_samples": None})

    def train_and_score():
        sessions = [SessionData(s.session, s.features, _labels(t, known[s.session])) for s, t in pool]
        bundle = train_model(build_training_set(sessions, ["attack"]), name="m", spec=spec, grid=small_grid)
        truth = np.concatenate([t for _, t in held_out])
        probability = np.concatenate([bundle.predict_probability(s.features).values[:, 0] for s, _ in held_out])
        return bundle, average_precision_score(truth, probability)

    bundle, before = train_and_score()
    probability = {s.session: bundle.predict_probability(s.features).values[:, 0] for s, _ in pool}
    tasks = suggest_labels(
        probability,
        behavior="attack",
        threshold=bundle.settings["attack"].threshold,
        labelled=known,
        fps=30.0,
        n_tasks=30,
    )
    write_task_list(tasks, tmp_path / "tasks.csv", kind="boris")
    assert tasks["session"].value_counts().max() <= 6
    for row in tasks.itertuples():
        known[row.session][row.start_frame : row.stop_frame + 1] = True
    _, after = train_and_score()
    assert after > before + 0.03, (before, after)
