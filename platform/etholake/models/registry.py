"""Model registry storage: a ``model.skops`` artifact and a ``card.json`` model card in one directory.

The directory is an fsspec URL (local path, ``s3://...``). ``skops.io.dump`` is not
byte-reproducible, so the hash recorded is the sha256 of the exact bytes stored. Loading refuses,
before any object is built:

* bytes whose sha256 differs from the expected one (a tampered or replaced file);
* anything that is not a skops archive (a pickle renamed ``.skops`` is refused here, never opened);
* an archive that asks for types outside :data:`TRUSTED_TYPES`, the allowlist kept in this code;
* a card whose feature names differ from those stored inside the artifact.

Nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform as python_platform
import posixpath
import zipfile

import fsspec
import numpy as np
import pandas as pd
import sklearn
import skops
import skops.io as sio

import etholake
from etholake.errors import InputFileError, IntegrityError, SchemaError
from etholake.inference.bouts import BoutSettings
from etholake.models.bundle import STAGES, ModelBundle
from etholake.models.estimators import EstimatorSpec
from etholake.models.trainset import name_difference
from etholake.names import validate_name

ARTIFACT_FILE = "model.skops"
CARD_FILE = "card.json"
CARD_SCHEMA = "etholake.model_card/1"

TRUSTED_TYPES = frozenset(
    {
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "etholake.models.binning.QuantileBins",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.Interval",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "numpy.random.mtrand.RandomState",
        "numpy.random._mt19937.MT19937",
    }
)


def _library_versions() -> dict[str, str]:
    return {
        "etholake": etholake.__version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": python_platform.python_version(),
    }


def model_card(bundle: ModelBundle, sha256: str) -> dict:
    """The JSON model card of ``bundle`` whose artifact bytes hash to ``sha256``."""
    return {
        "schema": CARD_SCHEMA,
        "name": bundle.name,
        "version": bundle.version,
        "stage": bundle.stage,
        "behaviors": list(bundle.behaviors),
        "feature_set_hash": bundle.feature_set_hash,
        "feature_names": list(bundle.feature_names),
        "postprocessing": {b: bundle.settings[b].to_dict() for b in bundle.behaviors},
        "fps": bundle.fps,
        "estimator": bundle.spec.to_dict(),
        "training": bundle.training,
        "metrics": bundle.metrics,
        "library_versions": _library_versions(),
        "created_by": bundle.created_by,
        "created_at": bundle.created_at,
        "artifact": {"file": ARTIFACT_FILE, "format": "skops", "sha256": sha256},
    }


def _join(url: str, name: str) -> str:
    return posixpath.join(url.rstrip("/"), name)


def save_model(bundle: ModelBundle, url: str, storage_options: dict | None = None) -> dict:
    """Write ``model.skops`` and ``card.json`` into the directory ``url``.

    Parameters
    ----------
    bundle
        The trained model.
    url
        Directory URL (fsspec), for example ``lake/labs/<lab>/model/<asset-id>.model``.
    storage_options
        fsspec options for remote storage.

    Returns
    -------
    dict
        The model card, with ``artifact.sha256`` the hash of the stored bytes (record it in the
        catalog and pass it to :func:`load_model`).
    """
    validate_name(bundle.name, "model")
    if bundle.stage not in STAGES:
        raise SchemaError(f"model stage must be one of {', '.join(STAGES)}, got {bundle.stage!r}")
    payload = sio.dumps(
        {
            "behaviors": list(bundle.behaviors),
            "feature_names": list(bundle.feature_names),
            "estimators": {b: bundle.estimators[b] for b in bundle.behaviors},
        }
    )
    sha256 = hashlib.sha256(payload).hexdigest()
    card = model_card(bundle, sha256)
    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    fs.makedirs(root, exist_ok=True)
    fs.pipe_file(_join(root, ARTIFACT_FILE), payload)
    fs.pipe_file(_join(root, CARD_FILE), json.dumps(card, indent=2, sort_keys=True).encode())
    return card


def read_card(url: str, storage_options: dict | None = None) -> dict:
    """Read the model card of the model directory ``url``."""
    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    path = _join(root, CARD_FILE)
    if not fs.exists(path):
        raise InputFileError(path, "no model card (card.json) here")
    try:
        card = json.loads(fs.cat_file(path))
    except json.JSONDecodeError as error:
        raise InputFileError(path, f"model card is not valid JSON ({error.msg} at line {error.lineno})") from None
    if card.get("schema") != CARD_SCHEMA:
        raise InputFileError(path, f"model card schema is {card.get('schema')!r}, expected {CARD_SCHEMA!r}")
    return card


def set_stage(url: str, stage: str, storage_options: dict | None = None) -> dict:
    """Move a stored model to ``stage`` (candidate, production, archived); return the new card."""
    if stage not in STAGES:
        raise SchemaError(f"model stage must be one of {', '.join(STAGES)}, got {stage!r}")
    card = {**read_card(url, storage_options), "stage": stage}
    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    fs.pipe_file(_join(root, CARD_FILE), json.dumps(card, indent=2, sort_keys=True).encode())
    return card


def _check_artifact(path: str, payload: bytes, expected_sha256: str) -> list[str]:
    """Refuse a payload with the wrong hash, not a skops archive, or with untrusted types."""
    sha256 = hashlib.sha256(payload).hexdigest()
    if sha256 != expected_sha256:
        raise IntegrityError(
            f"{path}: sha256 {sha256} does not match the registered {expected_sha256}; "
            "the file was modified or replaced and is not loaded"
        )
    if not zipfile.is_zipfile(io.BytesIO(payload)):
        looks_like = " (it looks like a pickle)" if payload[:1] == b"\x80" else ""
        raise IntegrityError(f"{path}: not a skops archive{looks_like}; refusing to load it")
    try:
        untrusted = sio.get_untrusted_types(data=payload)
    except Exception as error:
        raise IntegrityError(f"{path}: unreadable skops archive ({error})") from None
    unexpected = sorted(set(untrusted) - TRUSTED_TYPES)
    if unexpected:
        raise IntegrityError(f"{path}: artifact needs types outside the trusted allowlist: {', '.join(unexpected)}")
    return list(untrusted)


def load_model(url: str, expected_sha256: str, storage_options: dict | None = None) -> ModelBundle:
    """Load a model saved by :func:`save_model`, after checking hash, format, types and card.

    Parameters
    ----------
    url
        Model directory URL.
    expected_sha256
        The hash recorded at registration (from the catalog, not from the card next to the file).
    storage_options
        fsspec options.

    Returns
    -------
    ModelBundle

    Raises
    ------
    IntegrityError
        Hash mismatch, not a skops archive, or types outside :data:`TRUSTED_TYPES`.
    SchemaError
        The card lists other features or behaviors than the artifact holds.
    """
    card = read_card(url, storage_options)
    fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
    path = _join(root, ARTIFACT_FILE)
    if not fs.exists(path):
        raise InputFileError(path, "model artifact is missing")
    payload = fs.cat_file(path)
    trusted = _check_artifact(path, payload, expected_sha256)
    if card["artifact"]["sha256"] != expected_sha256:
        raise IntegrityError(
            f"{_join(root, CARD_FILE)}: card records sha256 {card['artifact']['sha256']}, registered {expected_sha256}"
        )
    content = sio.loads(payload, trusted=trusted)
    if list(content["feature_names"]) != list(card["feature_names"]):
        raise SchemaError(
            f"{_join(root, CARD_FILE)}: the card lists other features than the model was trained on: "
            f"{name_difference(list(content['feature_names']), list(card['feature_names']))}"
        )
    if list(content["behaviors"]) != list(card["behaviors"]):
        raise SchemaError(
            f"{_join(root, CARD_FILE)}: card behaviors {card['behaviors']} differ from the artifact's "
            f"{list(content['behaviors'])}"
        )
    return ModelBundle(
        name=card["name"],
        behaviors=list(card["behaviors"]),
        estimators=dict(content["estimators"]),
        feature_names=list(card["feature_names"]),
        feature_set_hash=card["feature_set_hash"],
        settings={b: BoutSettings(**s) for b, s in card["postprocessing"].items()},
        spec=EstimatorSpec.from_dict(card["estimator"]),
        training=card["training"],
        metrics=card["metrics"],
        fps=card["fps"],
        version=card["version"],
        created_by=card["created_by"],
        created_at=card["created_at"],
        stage=card["stage"],
    )
