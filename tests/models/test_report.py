"""The HTML report is one self-contained page with every section."""

from __future__ import annotations

import re
import warnings

import pytest

from etholake.models.agreement import agreement_report
from etholake.models.evaluation import Candidate, evaluate_behavior
from etholake.models.report import render_report
from etholake.models.trainset import build_training_set


@pytest.fixture(scope="module")
def evaluation_and_agreement(synthetic_session, small_forest, small_grid):
    sessions = [
        synthetic_session(f"s{i}", 500 + i, n_frames=900, lab="AB"[i % 2], annotators={"alice": 0, "bob": 3 * i})[0]
        for i in range(4)
    ]
    trainset = build_training_set(sessions, ["attack"], policy="single:alice")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluation = evaluate_behavior(
            Candidate("d", trainset, small_forest),
            "attack",
            n_splits=2,
            inner_splits=2,
            grid=small_grid,
            learning_curve=(1, 2),
        )
    return evaluation, agreement_report(trainset)


def test_report_is_self_contained(evaluation_and_agreement, tmp_path):
    evaluation, agreement = evaluation_and_agreement
    card = {"name": "m", "version": "1", "feature_names": ["a"], "artifact": {"sha256": "abc"}}
    page = render_report(
        [evaluation], title="attack model", card=card, agreement=agreement, fps=30.0, path=tmp_path / "report.html"
    )
    assert (tmp_path / "report.html").read_text() == page
    assert page.startswith("<!DOCTYPE html>")
    images = re.findall(r'src="([^"]+)"', page)
    assert len(images) == 5 and all(src.startswith("data:image/png;base64,") for src in images)
    assert "http://" not in page and "https://" not in page
    for heading in ("Model card", "Held-out scores", "Per lab", "Per annotator", "Top features", "agreement"):
        assert heading in page
    assert "random frames (leaky)" in page and "overstates accuracy" in page


def test_a_model_without_feature_importance_says_so_instead_of_an_empty_figure(evaluation_and_agreement):
    import dataclasses

    evaluation, agreement = evaluation_and_agreement
    blank = evaluation.importance.assign(impurity=float("nan"), permutation=float("nan"))
    page = render_report([dataclasses.replace(evaluation, importance=blank)], title="m", agreement=agreement)
    assert len(re.findall(r'src="data:image/png', page)) == 4
    assert "no feature importance: this estimator has no impurity importance" in page
