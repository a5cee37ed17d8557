"""Grouped nested evaluation on synthetic multi-lab data."""

from __future__ import annotations

import numpy as np
import pytest

from etholake.errors import SchemaError
from etholake.models.estimators import EstimatorSpec
from etholake.models.evaluation import Candidate, evaluate_behavior, group_folds
from etholake.models.trainset import build_training_set


@pytest.fixture(scope="module")
def multilab(synthetic_session):
    """Three labs of three sessions; lab C's annotator marks bouts 25 frames late."""
    sessions = []
    for j, (lab, annotator, shift) in enumerate((("A", "alice", 0), ("B", "bob", 0), ("C", "carol", 25))):
        for i in range(3):
            sessions.append(synthetic_session(f"{lab}{i}", 100 + 10 * j + i, lab=lab, annotators={annotator: shift})[0])
    return build_training_set(sessions, ["attack"], policy="any")


@pytest.mark.parametrize(("n_groups", "n_splits", "n_folds"), [(6, 3, 3), (4, None, 4), (3, 5, 3)])
def test_group_folds_hold_whole_groups_out(n_groups, n_splits, n_folds):
    groups = np.repeat(np.arange(n_groups), 10)
    folds = group_folds(groups, n_splits)
    assert len(folds) == n_folds
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(groups.size))


def test_multilab_breakdown_flags_the_biased_lab(multilab, small_forest, small_grid):
    with pytest.warns(UserWarning) as record:
        evaluation = evaluate_behavior(
            Candidate("default", multilab, small_forest),
            "attack",
            group_by="lab",
            inner_splits=2,
            grid=small_grid,
            learning_curve=(1, 3),
            permutation_repeats=1,
        )
    messages = [str(w.message) for w in record]
    assert any("lab 'C'" in m and "well below" in m for m in messages)
    assert any("random-frame split" in m for m in messages)
    labs = evaluation.lab_breakdown.set_index("group")
    assert labs.loc["C", "flagged"] and not labs.loc["A", "flagged"] and not labs.loc["B", "flagged"]
    assert labs.loc["C", "f1"] < labs.loc["A", "f1"] - 0.2
    annotators = evaluation.annotator_breakdown.set_index("group")
    assert annotators.loc["carol", "flagged"]
    assert set(evaluation.folds["test_groups"]) == {"A", "B", "C"}
    assert evaluation.heldout["probability"].notna().all()
    assert evaluation.random_split["f1"] >= evaluation.pooled["f1"]
    top = evaluation.importance["feature"].head(2).tolist()
    assert set(top) == {"signal_a", "signal_b"}
    curve = evaluation.learning_curve
    assert set(curve["n_train_sessions"]) == {1, 3}
    assert evaluation.confusion.sum() == multilab.n_rows
    summary = evaluation.summary()
    assert summary["group_by"] == "lab" and summary["random_split_f1"] is not None


def test_candidates_are_chosen_on_training_groups(multilab, small_grid):
    good = Candidate("forest", multilab, EstimatorSpec("random_forest", {"n_estimators": 20, "n_jobs": 1}))
    blind_set = build_blind(multilab)
    blind = Candidate("blind", blind_set, EstimatorSpec("random_forest", {"n_estimators": 20, "n_jobs": 1}))
    evaluation = evaluate_behavior(
        [blind, good], "attack", group_by="session", n_splits=3, inner_splits=2, grid=small_grid, random_split=False
    )
    assert set(evaluation.folds["candidate"]) == {"forest"}
    assert evaluation.random_split is None
    assert evaluation.pooled["f1"] > 0.6


def test_a_behavior_the_model_barely_finds_is_announced(multilab, small_grid):
    from dataclasses import replace

    rng = np.random.default_rng(1)
    rare = (rng.random(multilab.y.shape) < 0.02).astype(np.int8)
    noise = replace(multilab, X=rng.normal(size=multilab.X.shape).astype(np.float32), y=rare)
    candidate = Candidate("noise", noise, EstimatorSpec("random_forest", {"n_estimators": 10, "n_jobs": 1}))
    with pytest.warns(UserWarning, match=r"attack: held-out F1 0\.\d\d .* on unseen sessions: the model barely finds"):
        evaluation = evaluate_behavior(
            candidate, "attack", group_by="session", n_splits=3, inner_splits=2, grid=small_grid, random_split=False
        )
    assert evaluation.pooled["f1"] < 0.2


def build_blind(trainset):
    """The same rows with the informative features replaced by noise."""
    from dataclasses import replace

    x = trainset.X.copy()
    x[:, :2] = np.random.default_rng(0).normal(size=(x.shape[0], 2))
    return replace(trainset, X=x)


def test_dask_client_gives_the_same_result(multilab, small_forest, small_grid):
    distributed = pytest.importorskip("distributed")
    local = evaluate_behavior(
        Candidate("d", multilab, small_forest),
        "attack",
        n_splits=3,
        inner_splits=2,
        grid=small_grid,
        random_split=False,
    )
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = evaluate_behavior(
            Candidate("d", multilab, small_forest),
            "attack",
            n_splits=3,
            inner_splits=2,
            grid=small_grid,
            random_split=False,
            client=client,
        )
    np.testing.assert_allclose(remote.heldout["probability"], local.heldout["probability"])
    assert remote.pooled["f1"] == pytest.approx(local.pooled["f1"])


def test_outer_folds_that_leave_one_group_to_train_on_are_refused(multilab, small_forest, small_grid):
    with pytest.raises(SchemaError, match=r"3 lab\(s\) \(A, B, C\); an outer fold trains on 1.*use 3 outer folds"):
        evaluate_behavior(
            Candidate("default", multilab, small_forest), "attack", group_by="lab", n_splits=2, grid=small_grid
        )


def test_two_labs_cannot_be_evaluated_grouped_by_lab(synthetic_session, small_forest, small_grid):
    sessions = [synthetic_session(f"{lab}0", seed, lab=lab)[0] for lab, seed in (("A", 1), ("B", 2))]
    trainset = build_training_set(sessions, ["attack"], policy="any")
    with pytest.raises(SchemaError, match=r"2 lab\(s\).*needs at least 3 labs"):
        evaluate_behavior(Candidate("default", trainset, small_forest), "attack", group_by="lab", grid=small_grid)
