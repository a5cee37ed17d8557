"""Bout metrics, agreement and the choice of post-processing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from etholake.inference.bouts import BoutSettings
from etholake.models.agreement import agreement_report, cohens_kappa, pair_agreement
from etholake.models.bout_metrics import bout_scores, split_runs
from etholake.models.selection import SelectionGrid, choose_settings, frame_scores, postprocess_segments
from etholake.models.trainset import build_training_set


def mask(text: str) -> np.ndarray:
    return np.array([c == "#" for c in text])


@pytest.mark.parametrize(
    ("truth", "predicted", "precision", "recall"),
    [
        ("..###...###..", "..###...###..", 1.0, 1.0),
        ("..###...###..", "...#.........", 1.0, 0.5),
        ("..###........", ".#....##...#.", 0.0, 0.0),
        ("..###...###..", "..#########..", 1.0, 1.0),
        ("..###........", "####.......##", 0.5, 1.0),
    ],
)
def test_bout_scores_by_overlap(truth, predicted, precision, recall):
    scores = bout_scores(mask(truth), mask(predicted))
    assert scores["bout_precision"] == pytest.approx(precision)
    assert scores["bout_recall"] == pytest.approx(recall)


def test_min_overlap_fraction():
    scores = bout_scores(mask("..####......"), mask(".....#######"), min_overlap=0.5)
    assert (scores["bout_precision"], scores["bout_recall"]) == (0.0, 0.0)
    loose = bout_scores(mask("..####......"), mask(".....#######"))
    assert (loose["bout_precision"], loose["bout_recall"]) == (1.0, 1.0)


def test_runs_are_cut_at_segment_starts():
    starts = np.zeros(8, dtype=bool)
    starts[[0, 4]] = True
    first, last = split_runs(np.ones(8, dtype=bool), starts)
    assert first.tolist() == [0, 4] and last.tolist() == [3, 7]
    assert bout_scores(np.ones(8, bool), np.ones(8, bool), starts)["n_true_bouts"] == 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 2, 500), rng.integers(0, 2, 500)
    b[:200] = a[:200]
    assert cohens_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_kappa_ignores_not_scored():
    a = np.array([1, 0, 1, -1, 1])
    b = np.array([1, 0, 1, 0, -1])
    assert cohens_kappa(a, b) == 1.0
    assert np.isnan(cohens_kappa(np.array([-1]), np.array([1])))
    assert pair_agreement(a, b)["n_frames"] == 3


def test_agreement_report_quantifies_a_shifted_annotator(synthetic_session):
    sessions = [
        synthetic_session(f"s{i}", 10 + i, n_frames=1200, annotators={"alice": 0, "bob": 0, "carol": 25})[0]
        for i in range(2)
    ]
    report = agreement_report(build_training_set(sessions, ["attack"], policy="single:alice"))
    pooled = report[report["session"] == "(all)"].set_index(["annotator_a", "annotator_b"])
    assert pooled.loc[("alice", "bob"), "kappa"] == pytest.approx(1.0)
    assert pooled.loc[("alice", "bob"), "bout_f1"] == pytest.approx(1.0)
    assert 0.0 < pooled.loc[("alice", "carol"), "kappa"] < 0.6
    assert pooled.loc[("alice", "carol"), "percent_agreement"] < 0.9
    assert set(report["session"]) == {"s0", "s1", "(all)"}


def test_agreement_under_majority_counts_the_frames_two_annotators_disagree_on(synthetic_session):
    sessions = [
        synthetic_session(f"s{i}", 10 + i, n_frames=1200, annotators={"alice": 0, "carol": 25})[0] for i in range(2)
    ]
    single = agreement_report(build_training_set(sessions, ["attack"], policy="single:alice"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        majority = build_training_set(sessions, ["attack"], policy="majority")
    pooled = agreement_report(majority).set_index(["session", "annotator_a", "annotator_b"])
    expected = single.set_index(["session", "annotator_a", "annotator_b"])
    assert pooled.loc[("(all)", "alice", "carol"), "kappa"] < 0.9
    assert pooled.loc[("(all)", "alice", "carol"), "n_frames"] == expected.loc[("(all)", "alice", "carol"), "n_frames"]
    assert pooled.loc[("(all)", "alice", "carol"), "kappa"] == pytest.approx(
        expected.loc[("(all)", "alice", "carol"), "kappa"]
    )
    assert majority.scored_rows("attack").size < majority.n_rows, "the tied frames are kept, not trained on"


def test_postprocessing_never_crosses_segments():
    probability = np.array([0.9, 0.9, 0.1, 0.9, 0.9, 0.9])
    starts = np.array([True, False, False, True, False, False])
    settings = BoutSettings(merge_gap=3, min_bout=3)
    assert postprocess_segments(probability, starts, settings).tolist() == [False] * 3 + [True] * 3
    smoothed = postprocess_segments(np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0]), starts, BoutSettings(smooth=5))
    assert smoothed.tolist() == [True] * 3 + [False] * 3


def test_choose_settings_removes_flicker():
    rng = np.random.default_rng(0)
    truth = np.zeros(3000, dtype=bool)
    for start in range(100, 2900, 300):
        truth[start : start + 60] = True
    probability = np.clip(truth * 0.45 + rng.random(3000) * 0.55, 0, 1)
    starts = np.zeros(3000, dtype=bool)
    starts[0] = True
    grid = SelectionGrid(thresholds=(0.3, 0.5, 0.7), smooths=(1, 9), merge_gaps=(0, 10), min_bouts=(1, 20))
    settings, scores = choose_settings(probability, truth, starts, grid)
    assert len(scores) == 24
    assert settings.smooth == 9 or settings.min_bout == 20
    raw_f1 = scores.query("smooth == 1 and merge_gap == 0 and min_bout == 1")["f1"].max()
    assert scores["f1"].max() > raw_f1 + 0.1


def test_choose_settings_scores_match_postprocessing():
    rng = np.random.default_rng(1)
    truth = np.repeat(rng.random(200) < 0.3, 20)
    probability = np.clip(truth * 0.3 + rng.random(truth.size) * 0.7, 0, 1)
    probability[rng.random(truth.size) < 0.01] = np.nan
    starts = np.zeros(truth.size, dtype=bool)
    starts[[0, 1000, 2500]] = True
    _, scores = choose_settings(probability, truth, starts, SelectionGrid())
    for row in scores.sample(25, random_state=0).itertuples():
        settings = BoutSettings(
            threshold=row.threshold, merge_gap=row.merge_gap, min_bout=row.min_bout, smooth=row.smooth
        )
        predicted = postprocess_segments(probability, starts, settings)
        expected = frame_scores(truth, predicted)
        np.testing.assert_allclose([row.precision, row.recall, row.f1], expected)
