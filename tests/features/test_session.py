"""Whole-session statistics (the explicit second pass)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from feature_poses import random_pose

from etholake.errors import SchemaError
from etholake.features import compute_features
from etholake.features.session import session_statistics

SPEC = {"featureset_version": 1, "name": "s", "version": "1", "families": {"kinematics": {"keypoints": ["nose"]}}}


@pytest.mark.parametrize("chunks", [None, 40])
def test_deviation_and_percentile_rank(chunks):
    pose = random_pose(150)
    pose = pose.chunk({"time": chunks}) if chunks else pose
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = compute_features(pose, SPEC)
    result = session_statistics(features, ["a1.speed.*"])
    names = list(result["feature"].values)
    assert names == [
        "a1.speed.nose.deviation",
        "a1.speed.centroid.deviation",
        "a1.speed.nose.percentile_rank",
        "a1.speed.centroid.percentile_rank",
    ]
    speed = features["features"].sel(feature="a1.speed.nose").to_series()
    deviation = result["features"].sel(feature="a1.speed.nose.deviation").values
    np.testing.assert_allclose(deviation, speed - speed.mean(), rtol=1e-5, atol=1e-4)
    expected_rank = pd.Series(speed.values).rank(pct=True).values
    np.testing.assert_allclose(
        result["features"].sel(feature="a1.speed.nose.percentile_rank"), expected_rank, rtol=1e-6
    )
    assert np.isnan(deviation[0]) and result["feature_family"].values[0] == "session"
    assert result["feature_unit"].values[-1] == "1"


def test_unknown_statistic_is_rejected():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features = compute_features(random_pose(20), SPEC)
    with pytest.raises(SchemaError, match="zscore"):
        session_statistics(features, ["*"], ["zscore"])
