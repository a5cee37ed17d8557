"""Registry: skops artifact + card, refused when tampered, mislabelled or not skops."""

from __future__ import annotations

import hashlib
import json
import pickle

import numpy as np
import pytest

from etholake.errors import IntegrityError, SchemaError
from etholake.models.estimators import EstimatorSpec
from etholake.models.registry import ARTIFACT_FILE, CARD_FILE, load_model, read_card, save_model, set_stage
from etholake.models.training import train_model
from etholake.models.trainset import build_training_set


@pytest.fixture(scope="module", params=["random_forest", "hist_gradient_boosting"])
def trained(request, synthetic_session):
    sessions = [synthetic_session(f"s{i}", 200 + i, n_frames=600)[0] for i in range(3)]
    trainset = build_training_set(sessions, ["attack"])
    params = {"n_estimators": 10, "n_jobs": 1} if request.param == "random_forest" else {"max_iter": 20}
    bundle = train_model(trainset, name="attack-model", spec=EstimatorSpec(request.param, params), inner_splits=3)
    return bundle, sessions


def test_roundtrip(trained, tmp_path):
    bundle, sessions = trained
    card = save_model(bundle, str(tmp_path / "m" / "1"))
    assert card["artifact"]["sha256"] == hashlib.sha256((tmp_path / "m" / "1" / ARTIFACT_FILE).read_bytes()).hexdigest()
    for key in ("behaviors", "feature_set_hash", "feature_names", "training", "estimator", "metrics", "postprocessing"):
        assert key in card
    assert card["postprocessing"]["attack"]["threshold"] == bundle.settings["attack"].threshold
    assert card["training"]["label_policy"] == "majority"
    assert {"scikit-learn", "skops", "numpy"} <= set(card["library_versions"])
    loaded = load_model(str(tmp_path / "m" / "1"), card["artifact"]["sha256"])
    features = sessions[0].features
    np.testing.assert_array_equal(loaded.predict_probability(features), bundle.predict_probability(features))
    _, predicted, bouts = loaded.annotate(features)
    assert predicted.dtype == bool and len(bouts) > 0
    assert set_stage(str(tmp_path / "m" / "1"), "production")["stage"] == "production"
    assert read_card(str(tmp_path / "m" / "1"))["stage"] == "production"


def test_tampered_file_is_refused(trained, tmp_path):
    card = save_model(trained[0], str(tmp_path))
    artifact = tmp_path / ARTIFACT_FILE
    payload = bytearray(artifact.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    artifact.write_bytes(bytes(payload))
    with pytest.raises(IntegrityError, match="does not match the registered"):
        load_model(str(tmp_path), card["artifact"]["sha256"])


def test_card_listing_other_features_is_refused(trained, tmp_path):
    card = save_model(trained[0], str(tmp_path))
    edited = {**card, "feature_names": [*card["feature_names"][:-1], "tail_speed"]}
    (tmp_path / CARD_FILE).write_text(json.dumps(edited))
    with pytest.raises(SchemaError, match=r"other features.*missing 1 feature\(s\): 'noise_2'.*'tail_speed'"):
        load_model(str(tmp_path), card["artifact"]["sha256"])


def test_pickle_renamed_skops_is_refused(trained, tmp_path):
    card = save_model(trained[0], str(tmp_path))
    payload = pickle.dumps(trained[0].estimators["attack"])
    (tmp_path / ARTIFACT_FILE).write_bytes(payload)
    with pytest.raises(IntegrityError, match="does not match"):
        load_model(str(tmp_path), card["artifact"]["sha256"])
    forged = {**card, "artifact": {**card["artifact"], "sha256": hashlib.sha256(payload).hexdigest()}}
    (tmp_path / CARD_FILE).write_text(json.dumps(forged))
    with pytest.raises(IntegrityError, match=r"not a skops archive.*pickle"):
        load_model(str(tmp_path), forged["artifact"]["sha256"])


def test_features_that_differ_are_refused(trained):
    bundle, sessions = trained
    features = sessions[0].features
    renamed = features.assign_coords(feature=[*features["feature"].values[:-1], "tail_speed"])
    with pytest.raises(
        SchemaError, match=r"missing 1 feature\(s\): 'noise_2'; unexpected 1 feature\(s\): 'tail_speed'"
    ):
        bundle.predict_probability(renamed)
    reordered = features.isel(feature=[1, 0, 2, 3, 4])
    with pytest.raises(SchemaError, match="another order"):
        bundle.predict_probability(reordered)
    with pytest.raises(SchemaError, match="feature set"):
        bundle.predict_probability(features.assign_attrs(feature_set_hash="other"))


def test_untrusted_types_are_refused(tmp_path):
    import operator

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from etholake.inference.bouts import BoutSettings
    from etholake.models.bundle import ModelBundle

    x, y = np.random.default_rng(0).normal(size=(40, 2)), np.arange(40) % 2
    risky = make_pipeline(FunctionTransformer(operator.neg), LogisticRegression()).fit(x, y)
    bundle = ModelBundle("risky", ["a"], {"a": risky}, ["f1", "f2"], "", {"a": BoutSettings()}, EstimatorSpec())
    card = save_model(bundle, str(tmp_path))
    with pytest.raises(IntegrityError, match=r"outside the trusted allowlist.*operator\.neg"):
        load_model(str(tmp_path), card["artifact"]["sha256"])


def test_frames_without_any_feature_get_no_probability(trained):
    bundle, sessions = trained
    features = sessions[0].features.copy(deep=True)
    values = features["features"].values
    values[[0, 7]] = np.nan
    values[3, 0] = np.nan
    values[5, 1:] = np.nan
    probability = bundle.predict_probability(features).values[:, 0]
    assert np.isnan(probability[[0, 7]]).all()
    assert np.isfinite(np.delete(probability, [0, 7])).all()
