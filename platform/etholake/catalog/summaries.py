"""Per-session summaries kept in the catalog so that queries need not open files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import delete, select

from etholake.catalog import access
from etholake.catalog.models import Asset, BehaviorSummary, UnitSummary
from etholake.errors import NotFoundError

BEHAVIOR_FIELDS = (
    "behavior",
    "bout_count",
    "total_duration_s",
    "mean_duration_s",
    "percent_of_session",
    "latency_s",
    "mean_interval_s",
    "session_duration_s",
)
IDS_PER_QUERY = 1000
UNIT_FIELDS = (
    "unit",
    "region",
    "behavior",
    "rate_in_hz",
    "rate_out_hz",
    "modulation_index",
    "p_value",
    "q_value",
    "method",
    "params",
)


@dataclass(frozen=True)
class BehaviorSummaryRows:
    """The per-behavior summary of one annotations or labels asset, to store with it."""

    asset_id: str
    rows: pd.DataFrame
    source: str
    model_name: str | None = None
    model_version: int | None = None


@dataclass(frozen=True)
class UnitSummaryRows:
    """The per unit x behavior statistics of one alignment asset, to store with it."""

    asset_id: str
    rows: pd.DataFrame


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


class SummariesMixin:
    """Summary-table methods of :class:`etholake.catalog.Catalog`."""

    def _asset_with_session(self, db, actor: str, asset_id: str) -> Asset:
        asset = db.get(Asset, asset_id)
        if asset is None or asset.session_id is None:
            raise NotFoundError(f"no session asset {asset_id}")
        access.require_write(db, actor, asset.lab)
        return asset

    def replace_behavior_summaries(self, actor: str, summary: BehaviorSummaryRows) -> None:
        """Store the per-behavior summary of one annotations (or labels) asset, replacing any earlier one.

        ``summary.rows`` has one row per behavior with the columns of :data:`BEHAVIOR_FIELDS`;
        ``summary.source`` is ``"model"`` for machine annotations, ``"human"`` for label sets.
        """
        with self.transaction() as db:
            self._add_behavior_summaries(db, actor, summary)

    def _add_behavior_summaries(self, db, actor: str, summary: BehaviorSummaryRows) -> None:
        db.flush()
        asset = self._asset_with_session(db, actor, summary.asset_id)
        db.execute(delete(BehaviorSummary).where(BehaviorSummary.annotations_id == summary.asset_id))
        for record in summary.rows.to_dict("records"):
            values = {field: _plain(record.get(field)) for field in BEHAVIOR_FIELDS}
            db.add(
                BehaviorSummary(
                    session_id=asset.session_id,
                    annotations_id=summary.asset_id,
                    source=summary.source,
                    model_name=summary.model_name,
                    model_version=summary.model_version,
                    **values,
                )
            )

    def summarised_assets(self, asset_ids: Iterable[str]) -> set[str]:
        """Which of ``asset_ids`` (annotations or labels assets) have behavior summary rows.

        Asked :data:`IDS_PER_QUERY` ids at a time (SQLite caps the parameters of one statement).
        """
        ids = list(asset_ids)
        found: set[str] = set()
        with self.transaction() as db:
            for start in range(0, len(ids), IDS_PER_QUERY):
                batch = ids[start : start + IDS_PER_QUERY]
                query = select(BehaviorSummary.annotations_id).where(BehaviorSummary.annotations_id.in_(batch))
                found.update(db.scalars(query.distinct()))
        return found

    def behavior_summaries(self, actor: str | None, *, behavior: str | None = None) -> pd.DataFrame:
        """Behavior summaries of the sessions ``actor`` may see, with the session's lab/subject/name."""
        with self.transaction() as db:
            query = access.session_rows(
                db,
                actor,
                BehaviorSummary.session_id,
                BehaviorSummary.annotations_id,
                BehaviorSummary.source,
                BehaviorSummary.model_name,
                BehaviorSummary.model_version,
                *[getattr(BehaviorSummary, f) for f in BEHAVIOR_FIELDS],
            )
            if behavior is not None:
                query = query.where(BehaviorSummary.behavior == behavior)
            result = db.execute(query.order_by("lab", "subject", "session", BehaviorSummary.behavior))
            return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))

    def replace_unit_summaries(self, actor: str, summary: UnitSummaryRows) -> None:
        """Store the per unit x behavior statistics of one alignment asset, replacing any earlier ones."""
        with self.transaction() as db:
            self._add_unit_summaries(db, actor, summary)

    def _add_unit_summaries(self, db, actor: str, summary: UnitSummaryRows) -> None:
        db.flush()
        asset = self._asset_with_session(db, actor, summary.asset_id)
        db.execute(delete(UnitSummary).where(UnitSummary.asset_id == summary.asset_id))
        for record in summary.rows.to_dict("records"):
            values = {field: _plain(record.get(field)) for field in UNIT_FIELDS}
            values["unit"] = str(values["unit"])
            values["params"] = values["params"] or {}
            db.add(UnitSummary(session_id=asset.session_id, asset_id=summary.asset_id, **values))
