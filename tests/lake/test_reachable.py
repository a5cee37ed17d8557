"""A lake that cannot be used is one clear error before any work: a missing bucket, an endpoint that does not answer."""

import pytest

from etholake.errors import ConfigError
from etholake.lake import open_lake


def test_a_new_lake_answers(lake):
    lake.require_reachable()


def test_a_missing_bucket_is_named(s3_endpoint):
    lake = open_lake("s3://no-such-bucket/lake", {"endpoint_url": s3_endpoint})
    with pytest.raises(ConfigError, match="lake s3://no-such-bucket/lake: no-such-bucket does not exist"):
        lake.require_reachable()


@pytest.mark.slow
def test_an_endpoint_that_does_not_answer_is_named(monkeypatch):
    from services import free_port

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    lake = open_lake("s3://bucket/lake", {"endpoint_url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(ConfigError, match=r"lake s3://bucket/lake cannot be reached: EndpointConnectionError: "):
        lake.require_reachable()
