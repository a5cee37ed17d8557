from pathlib import Path

import pytest

from etholake.config import load_settings
from etholake.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for variable in (
        "ETHOLAKE_LAKE",
        "ETHOLAKE_CATALOG",
        "ETHOLAKE_DASK_ADDRESS",
        "ETHOLAKE_DASK_WORKERS",
        "PREFECT_API_URL",
        "ETHOLAKE_S3_ENDPOINT_URL",
        "AWS_ENDPOINT_URL",
        "ETHOLAKE_CONFIG",
        "ETHOLAKE_USER",
    ):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)


def test_embedded_defaults_put_the_catalog_inside_a_local_lake(tmp_path):
    settings = load_settings()
    assert settings.lake == "lake"
    assert settings.catalog_url == f"sqlite:///{(tmp_path / 'lake' / 'catalog.sqlite').resolve()}"
    assert settings.dask_address is None
    assert settings.prefect_api_url is None
    assert settings.storage_options == {}


def test_environment_overrides_toml_and_toml_overrides_defaults(monkeypatch, tmp_path):
    Path("etholake.toml").write_text(
        '[etholake]\nlake = "s3://bucket/lake"\ndask_workers = 3\ns3_endpoint_url = "http://127.0.0.1:9000"\n'
    )
    settings = load_settings()
    assert settings.lake == "s3://bucket/lake"
    assert settings.dask_workers == 3
    assert settings.storage_options == {"endpoint_url": "http://127.0.0.1:9000"}
    assert settings.catalog_url.startswith("sqlite:///") and "etholake-catalog.sqlite" in settings.catalog_url
    monkeypatch.setenv("ETHOLAKE_LAKE", str(tmp_path / "other"))
    monkeypatch.setenv("ETHOLAKE_CATALOG", "postgresql+psycopg://u@127.0.0.1:5432/db")
    monkeypatch.setenv("ETHOLAKE_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    settings = load_settings()
    assert settings.lake == str(tmp_path / "other")
    assert settings.catalog_url == "postgresql+psycopg://u@127.0.0.1:5432/db"
    assert settings.dask_address == "tcp://127.0.0.1:8786"
    assert settings.prefect_api_url == "http://127.0.0.1:4200/api"
    assert load_settings(lake="x").lake == "x"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("lake = 1\nbogus = 2\n", "unknown setting"),
        ("lake = \n", "cannot read configuration"),
        ('dask_workers = "many"\n', "whole number"),
    ],
)
def test_bad_configuration_files_say_what_is_wrong(content, message):
    Path("etholake.toml").write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_missing_explicit_config_file_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("ETHOLAKE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()
