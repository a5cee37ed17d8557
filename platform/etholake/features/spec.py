"""Feature-set specs: load, validate against ``schemas/featureset.v1.json``, hash.

A spec is a JSON (or YAML) document naming the families to compute, their options,
the preprocessing, the rolling windows and a keypoint role map. Built-in specs live in
``etholake/features/builtin/``; :func:`load_spec` accepts a built-in name, a path, a
mapping or a :class:`FeatureSetSpec`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from etholake.errors import InputFileError, SchemaError

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "featureset.v1.json"


@dataclass(frozen=True)
class FeatureSetSpec:
    """A validated feature-set spec.

    Attributes
    ----------
    name, version
        The spec's name and version, copied into the features dataset's attributes.
    content
        The whole validated document (treat as read-only).
    sha256
        Hash of the canonical JSON of ``content``: two specs with the same hash compute
        the same features.
    """

    name: str
    version: str
    content: dict[str, Any] = field(repr=False)
    sha256: str

    def section(self, key: str) -> dict[str, Any]:
        """Return a top-level section of the spec, ``{}`` when absent."""
        return self.content.get(key) or {}

    def family(self, name: str) -> dict[str, Any] | None:
        """Options of family ``name``, or None when the spec does not ask for it."""
        return self.section("families").get(name)

    def replace(self, **changes: Any) -> FeatureSetSpec:
        """Return a new spec with top-level keys replaced (validated and re-hashed)."""
        content = copy.deepcopy(self.content)
        content.update(changes)
        return spec_from_mapping(content)


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def builtin_spec_names() -> list[str]:
    """Names of the built-in feature sets."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.json"))


def spec_hash(content: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON (sorted keys, no whitespace) of a spec document."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def spec_from_mapping(content: Mapping[str, Any], source: str = "spec") -> FeatureSetSpec:
    """Validate a spec document and wrap it.

    Raises
    ------
    SchemaError
        When the document does not follow ``featureset.v1.json``; the message names the
        offending key.
    """
    document = json.loads(json.dumps(content))
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise SchemaError(f"{source}: feature-set spec invalid at {where}: {error.message}")
    return FeatureSetSpec(
        name=document["name"], version=str(document["version"]), content=document, sha256=spec_hash(document)
    )


def load_spec(spec: str | Path | Mapping[str, Any] | FeatureSetSpec) -> FeatureSetSpec:
    """Return a validated spec from a built-in name, a JSON/YAML path, a mapping or a spec.

    Parameters
    ----------
    spec
        ``"default"``, ``"simba"``, ``"jaaba"``, a path to a ``.json``/``.yaml`` file, a
        mapping following ``featureset.v1.json``, or a :class:`FeatureSetSpec`.

    Raises
    ------
    InputFileError
        When a file cannot be read or parsed.
    SchemaError
        When the document is not a valid spec.
    """
    if isinstance(spec, FeatureSetSpec):
        return spec
    if isinstance(spec, Mapping):
        return spec_from_mapping(spec)
    if isinstance(spec, str) and spec in builtin_spec_names():
        return _builtin(spec)
    path = Path(spec)
    if not path.is_file():
        raise InputFileError(
            path, f"no such feature-set spec file (built-in sets are: {', '.join(builtin_spec_names())})"
        )
    return spec_from_mapping(_read_document(path), source=str(path))


@cache
def _builtin(name: str) -> FeatureSetSpec:
    return spec_from_mapping(_read_document(BUILTIN_DIR / f"{name}.json"), source=f"built-in spec {name!r}")


def _read_document(path: Path) -> dict[str, Any]:
    text = path.read_text()
    try:
        document = yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
    except (ValueError, yaml.YAMLError) as error:
        raise InputFileError(path, f"cannot parse the feature-set spec: {error}") from None
    if not isinstance(document, dict):
        raise InputFileError(path, "a feature-set spec must be a JSON/YAML object")
    return document
