"""Fixtures of the feature-engine tests."""

from __future__ import annotations

import functools

import pytest
from feature_poses import RAT24, read_rat_pose


@functools.cache
def _rat_pose(path: str):
    return read_rat_pose(path)


@pytest.fixture
def rat_pose(shared_data):
    """Rat video 24 (DeepLabCut, 2 rats x 5 body parts, 30 fps), read once per test session."""
    return _rat_pose(str(shared_data(RAT24)))
