"""Folders etholake writes in (outputs, a local lake, a SQLite catalog): made if missing, or one clear error."""

import pytest

from etholake.catalog import Catalog
from etholake.errors import ConfigError, ExportError
from etholake.lake import open_lake
from etholake.output_files import output_folder


@pytest.fixture
def blocking_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("a file")
    return path


def test_an_output_folder_is_made_with_its_parents(tmp_path):
    assert output_folder(tmp_path / "a" / "b").is_dir()


def test_a_file_in_the_way_of_an_output_folder_is_named(blocking_file):
    with pytest.raises(ExportError, match=rf"cannot write in {blocking_file}/report: {blocking_file} is a file"):
        output_folder(blocking_file / "report")
    with pytest.raises(ExportError, match=rf"cannot write in {blocking_file}: {blocking_file} is a file"):
        output_folder(blocking_file)
    assert blocking_file.read_text() == "a file"


def test_a_lake_or_catalog_under_a_file_is_a_configuration_error(blocking_file):
    with pytest.raises(ConfigError, match=rf"lake {blocking_file}/lake: {blocking_file} is a file, not a folder"):
        open_lake(str(blocking_file / "lake"))
    url = f"sqlite:///{blocking_file}/catalog.sqlite"
    with pytest.raises(ConfigError, match=rf"catalog {url}: {blocking_file} is a file, not a folder"):
        Catalog(url)
    assert blocking_file.read_text() == "a file"
