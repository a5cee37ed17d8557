"""Training sets: joining on frames, annotator policies, sampling."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from etholake.errors import OptionError, SchemaError
from etholake.models.trainset import (
    LabelPolicy,
    Sampling,
    SessionData,
    build_training_set,
    combine_labels,
    count_ties,
    name_difference,
    sample_rows,
)
from etholake.schema.labels import make_labels_dataset

# three annotators x five frames x one behavior
VOTES = np.array([[[1], [1], [0], [-1], [-1]], [[1], [0], [0], [1], [-1]], [[0], [-1], [0], [-1], [-1]]])


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("majority", [1, -1, 0, 1, -1]),
        ("any", [1, 1, 0, 1, -1]),
        ("single:b", [1, 0, 0, 1, -1]),
        ("single:zed", [-1, -1, -1, -1, -1]),
    ],
)
def test_policies(policy, expected):
    combined = combine_labels(VOTES, LabelPolicy.parse(policy), ["a", "b", "c"])
    assert combined[:, 0].tolist() == expected


def test_count_ties_counts_rows_where_majority_voting_ties():
    assert count_ties(VOTES).tolist() == [1]
    assert count_ties(VOTES[:1]).tolist() == [0]


@pytest.mark.parametrize("text", ["single", "majority:a", "vote"])
def test_bad_policies(text):
    with pytest.raises(ValueError):
        LabelPolicy.parse(text)


def test_join_on_frames_and_exclude_not_scored(synthetic_session):
    session, truth = synthetic_session("s1", 0, n_frames=200)
    features = session.features.isel(time=slice(50, None))
    labels = make_labels_dataset(
        np.where(np.arange(200) < 20, -1, truth).astype(np.int8)[:, None],
        behaviors=["attack"],
        annotator="alice",
        label_set="S1",
        fps=30,
    )
    with pytest.warns(UserWarning, match="50 labelled frame"):
        trainset = build_training_set([SessionData("s1", features, [labels])], ["attack"])
    assert trainset.frame.tolist() == list(range(50, 200))
    assert trainset.y[:, 0].tolist() == truth[50:].astype(int).tolist()
    np.testing.assert_array_equal(trainset.X, features["features"].values)
    assert trainset.describe()["label_policy"] == "majority"


def test_not_scored_frames_are_excluded(synthetic_session):
    session, truth = synthetic_session("s1", 1, n_frames=100)
    label = truth.astype(np.int8)
    label[10:30] = -1
    labels = make_labels_dataset(label[:, None], behaviors=["attack"], annotator="alice", label_set="S1")
    trainset = build_training_set([SessionData("s1", session.features, [labels])], ["attack"])
    assert trainset.n_rows == 80
    assert not np.isin(np.arange(10, 30), trainset.frame).any()
    starts = trainset.segment_starts(np.arange(trainset.n_rows))
    assert np.flatnonzero(starts).tolist() == [0, 10]


def test_two_annotators_kept_apart_and_combined(synthetic_session):
    session, truth = synthetic_session("s1", 2, n_frames=300, annotators={"alice": 0, "carol": 10})
    trainset = build_training_set([session], ["attack"], policy="single:alice")
    assert set(trainset.annotator_labels) == {"alice", "carol"}
    assert trainset.y[:, 0].tolist() == truth.astype(int).tolist()
    any_set = build_training_set([session], ["attack"], policy="any")
    assert (any_set.y[:, 0] == 1).sum() >= (trainset.y[:, 0] == 1).sum()


def test_majority_ties_give_one_warning_naming_sessions_and_behaviors(synthetic_session):
    first, truth_1 = synthetic_session("lab/m1/s1", 2, n_frames=300, annotators={"alice": 0, "carol": 10})
    second, truth_2 = synthetic_session("lab/m1/s2", 5, n_frames=300, annotators={"alice": 0, "carol": 10})
    expected = {
        name: int((np.roll(truth, 10)[10:] != truth[10:]).sum())
        for name, truth in (("lab/m1/s1", truth_1), ("lab/m1/s2", truth_2))
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_training_set([first, second], ["attack"], policy="majority")
    messages = [str(w.message) for w in caught if "majority policy" in str(w.message)]
    assert len(messages) == 1
    total = sum(expected.values())
    assert f"annotators tie on {total:,} frame-behavior pair(s) (attack {total:,})" in messages[0]
    for name, ties in expected.items():
        assert f"{name} {ties:,}" in messages[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_training_set([first, second], ["attack"], policy="any")
    assert not [w for w in caught if "tie" in str(w.message)]


def test_feature_mismatch_is_refused(synthetic_session):
    first, _ = synthetic_session("s1", 3, n_frames=50)
    second, _ = synthetic_session("s2", 4, n_frames=50)
    renamed = second.features.assign_coords(feature=["signal_a", "signal_b", "other", "noise_1", "noise_2"])
    with pytest.raises(SchemaError, match=r"missing 1 feature.*'distractor'.*unexpected 1 feature.*'other'"):
        build_training_set([first, SessionData("s2", renamed, second.labels)], ["attack"])
    rehashed = second.features.assign_attrs(feature_set_hash="other")
    with pytest.raises(SchemaError, match="feature_set_hash"):
        build_training_set([first, SessionData("s2", rehashed, second.labels)], ["attack"])


def test_a_behavior_no_label_set_scores_is_refused_naming_the_scored_ones(synthetic_session):
    session, _ = synthetic_session("s1", 3, n_frames=50)
    with pytest.raises(OptionError, match=r"no label set scores 'fly'; the label sets score attack$"):
        build_training_set([session], ["attack", "fly"])


def test_a_left_out_session_says_whether_its_label_sets_list_the_behaviors(synthetic_session):
    first, _ = synthetic_session("lab/m1/s1", 3, n_frames=60)
    second, _ = synthetic_session("lab/m1/s2", 4, n_frames=60)
    unlisted = make_labels_dataset(np.ones((60, 1), np.int8), behaviors=["groom"], annotator="ben", label_set="S1")
    unscored = make_labels_dataset(np.full((60, 1), -1, np.int8), behaviors=["attack"], annotator="ben", label_set="S2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_training_set([first, SessionData("lab/m1/s2", second.features, [unlisted])], ["attack"])
        build_training_set([first, SessionData("lab/m1/s2", second.features, [unscored])], ["attack"])
    messages = [str(w.message) for w in caught if "left out" in str(w.message)]
    assert messages == [
        "session 'lab/m1/s2' is left out: its label sets (ben:S1) do not list attack, so none of its frames is "
        "scored for it. A label set lists the behaviors its file uses; to count a behavior that never occurs in "
        "a file as absent, give the full ethogram in the manifest's label entry: options: {behaviors: [...]} "
        "(a Caltech file: per stream, options: {behaviors: {S1: [...]}})",
        "session 'lab/m1/s2' has no frames scored under policy majority; it is left out",
    ]


def test_a_session_whose_label_sets_do_not_list_one_of_the_behaviors_is_named(synthetic_session):
    first = SessionData(
        "lab/m1/s1",
        synthetic_session("lab/m1/s1", 3, n_frames=60)[0].features,
        [
            make_labels_dataset(
                np.ones((60, 2), np.int8), behaviors=["attack", "groom"], annotator="ada", label_set="S1"
            )
        ],
    )
    second, _ = synthetic_session("lab/m1/s2", 4, n_frames=60)
    groom_only = make_labels_dataset(np.ones((60, 1), np.int8), behaviors=["groom"], annotator="ben", label_set="S1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_training_set([first, SessionData("lab/m1/s2", second.features, [groom_only])], ["attack", "groom"])
    messages = [str(w.message) for w in caught if "lab/m1/s2" in str(w.message)]
    assert messages == [
        "session 'lab/m1/s2' is left out for attack: its label sets (ben:S1) do not list it, so none of its frames "
        "is scored for it. A label set lists the behaviors its file uses; to count a behavior that never occurs in "
        "a file as absent, give the full ethogram in the manifest's label entry: options: {behaviors: [...]} "
        "(a Caltech file: per stream, options: {behaviors: {S1: [...]}})",
    ]


def test_name_difference_reports_order():
    assert "another order" in name_difference(["a", "b"], ["b", "a"])


@pytest.mark.parametrize(
    ("sampling", "n_positive", "n_negative"),
    [
        (Sampling("class_weight"), 10, 90),
        (Sampling("undersample", ratio=2.0), 10, 20),
        (Sampling("none", stride=3), 4, 30),
    ],
)
def test_sampling(sampling, n_positive, n_negative):
    y = np.zeros(100, dtype=np.int8)
    y[::10] = 1
    rows = sample_rows(y, sampling)
    assert (y[rows] == 1).sum() == n_positive
    assert (y[rows] == 0).sum() == n_negative
    assert np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(rows, sample_rows(y, sampling))
