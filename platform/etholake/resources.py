"""Files shipped inside the package: JSON Schemas (``schemas/``) and the Prefect flows (``flows/``)."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def json_schema(name: str) -> dict[str, Any]:
    """Load a JSON Schema shipped with etholake, e.g. ``json_schema("manifest.v1.json")``."""
    return json.loads((files("etholake") / "schemas" / name).read_text())
