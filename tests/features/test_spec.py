"""Feature-set specs: built-ins, validation, hashing, loading from files."""

from __future__ import annotations

import json

import pytest

from etholake.errors import InputFileError, SchemaError
from etholake.features import FeatureSetSpec, builtin_spec_names, load_spec, spec_hash

MINIMAL = {"featureset_version": 1, "name": "tiny", "version": "0.1", "families": {"kinematics": {}}}


@pytest.mark.parametrize("name", ["default", "simba", "jaaba"])
def test_builtin_specs_are_valid(name):
    spec = load_spec(name)
    assert isinstance(spec, FeatureSetSpec)
    assert spec.name == name
    assert len(spec.sha256) == 64
    assert spec.content["roles"]["nose"]


def test_builtin_names():
    assert {"default", "simba", "jaaba"} <= set(builtin_spec_names())


def test_hash_ignores_key_order_and_changes_with_content():
    reordered = dict(reversed(list(MINIMAL.items())))
    assert load_spec(MINIMAL).sha256 == load_spec(reordered).sha256 == spec_hash(MINIMAL)
    assert load_spec({**MINIMAL, "version": "0.2"}).sha256 != load_spec(MINIMAL).sha256


def test_replace_revalidates_and_rehashes():
    spec = load_spec(MINIMAL)
    changed = spec.replace(preprocess={"interpolate_max_gap_ms": 100})
    assert changed.sha256 != spec.sha256
    with pytest.raises(SchemaError, match="preprocess"):
        spec.replace(preprocess={"interpolate_gap": 100})


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": "has space"}, "name"),
        ({"families": {"kinematics": {"difference": "forward"}}}, "families/kinematics/difference"),
        ({"windows": [{"select": ["*"], "windows_ms": [0], "stats": ["mean"]}]}, "windows/0/windows_ms/0"),
        ({"windows": [{"select": ["*"], "windows_ms": [100], "stats": ["mode"]}]}, "windows/0/stats/0"),
        ({"families": {"body": {"bends": [["nose", "tail_base"]]}}}, "families/body/bends/0"),
        ({"unknown": 1}, "top level"),
    ],
)
def test_invalid_specs_name_the_offending_key(change, where):
    with pytest.raises(SchemaError, match=where):
        load_spec({**MINIMAL, **change})


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_load_from_file(tmp_path, suffix):
    import yaml

    path = tmp_path / f"lab{suffix}"
    path.write_text(json.dumps(MINIMAL) if suffix == ".json" else yaml.safe_dump(MINIMAL))
    assert load_spec(path).sha256 == spec_hash(MINIMAL)


@pytest.mark.parametrize(("text", "problem"), [("{not json", "cannot parse"), ("[1, 2]", "must be a JSON/YAML object")])
def test_bad_files_raise_input_file_error(tmp_path, text, problem):
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(InputFileError, match=problem) as error:
        load_spec(path)
    assert error.value.path == str(path)


def test_unknown_name_lists_the_builtins():
    with pytest.raises(InputFileError, match="default"):
        load_spec("no-such-set")
