"""The model card as `etholake models show` prints it."""

import math

from etholake.models.card_summary import BEHAVIOR_COLUMNS, card_behaviors, card_overview

CARD = {
    "name": "social",
    "version": 2,
    "stage": "production",
    "asset_id": "373ea315",
    "created_by": "ana",
    "created_at": "2026-12-07T07:12:01+00:00",
    "behaviors": ["attack", "sniff"],
    "estimator": {"kind": "random_forest", "params": {"n_estimators": 100, "class_weight": "balanced"}},
    "feature_names": ["a", "b", "c"],
    "feature_set_hash": "4515cecf559c2151943f4207",
    "library_versions": {"etholake": "0.1.0", "scikit-learn": "1.9.1"},
    "artifact": {"file": "model.skops", "sha256": "ef" * 32},
    "postprocessing": {"attack": {"threshold": 0.3, "smooth": 15, "min_bout": 20, "merge_gap": 0}},
    "metrics": {
        "attack": {"group_by": "subject", "n_folds": 3, "pooled_f1": 0.5, "random_split_f1": 0.93},
        "sniff": None,
    },
    "training": {
        "n_sessions": 3,
        "n_rows": 7195,
        "policy": "majority",
        "annotators": ["a1", "a2"],
        "positive_frames": {"attack": 80, "sniff": 1217},
        "sources": [
            {"session": "L/m1/s1", "subject": "L/m1", "lab": "L"},
            {"session": "L/m1/s2", "subject": "L/m1", "lab": "L"},
            {"session": "K/m2/s1", "subject": "K/m2", "lab": "K"},
        ],
    },
}


def test_overview_says_what_the_model_is_and_learned_from():
    overview = dict(card_overview(CARD))
    assert overview["model"] == "social v2 (production)"
    assert overview["estimator"] == "random_forest (class_weight=balanced, n_estimators=100)"
    assert overview["features"] == "3 of feature set 4515cecf559c"
    assert overview["trained on"] == "3 session(s) of 2 subject(s) in K, L; 7,195 frames"
    assert overview["labels"] == "policy majority, annotators a1, a2"
    assert overview["evaluation"] == "grouped by subject, 3 outer folds"


def test_behaviors_hold_postprocessing_and_scores_and_leave_missing_ones_empty():
    table = card_behaviors(CARD).set_index("behavior")
    assert list(table.reset_index().columns) == BEHAVIOR_COLUMNS
    assert table.loc["attack", "threshold"] == 0.3 and table.loc["attack", "grouped_f1"] == 0.5
    assert table.loc["attack", "leaky_random_split_f1"] == 0.93 and table.loc["sniff", "positive_frames"] == 1217
    assert all(
        v is None or (isinstance(v, float) and math.isnan(v)) for v in table.loc["sniff", ["threshold", "grouped_f1"]]
    )


def test_a_card_of_a_model_trained_outside_a_flow_says_what_is_not_recorded():
    bare = {key: value for key, value in CARD.items() if key not in ("training", "metrics", "created_by", "created_at")}
    overview = dict(card_overview(bare))
    assert overview["trained on"].startswith("not recorded") and overview["labels"].startswith("not recorded")
    assert overview["evaluation"] == "not evaluated" and overview["created"] == "by unknown at an unknown time"


def test_the_label_policy_shows_as_the_training_set_records_it():
    training = {key: value for key, value in CARD["training"].items() if key != "policy"}
    overview = dict(card_overview({**CARD, "training": {**training, "label_policy": "annotator:a1"}}))
    assert overview["labels"] == "policy annotator:a1, annotators a1, a2"


def test_a_training_run_for_another_lab_is_not_the_same_recipe():
    from etholake.jobs.train import training_recipe

    settings = (["attack"], "majority", {"kind": "random_forest"}, "session", 5)
    assert training_recipe("labA", ["b", "a"], *settings) == training_recipe("labA", ["a", "b"], *settings)
    assert training_recipe("labA", ["a", "b"], *settings) != training_recipe("labB", ["a", "b"], *settings)
