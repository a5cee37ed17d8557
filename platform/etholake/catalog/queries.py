"""Catalog queries researchers ask: sessions by metadata and behavior, modulated units.

Every query applies the catalog's visibility rules for the acting user, uses
bound parameters only, and answers from catalog tables (no lake file is opened).
Behavior criteria use each session's newest machine annotation per model (or
the human label sets with ``source="human"``).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import and_, exists, func, select

from etholake.catalog import access
from etholake.catalog.models import Asset, BehaviorSummary, Lab, Session, Subject, UnitSummary
from etholake.errors import EtholakeError, OptionError

SUBJECT_FILTERS = ("species", "sex", "genotype", "strain")
BEHAVIOR_SOURCES = ("model", "human")
BEHAVIOR_HOLDERS = {"model": "model annotation", "human": "label set"}
NONE_YET = {
    "unit": "no unit you can see has modulation results yet: `etholake align` computes them",
    "model annotation": "no session you can see is annotated yet: `etholake infer --model MODEL` annotates them",
    "label set": "no label set you can see is in the catalog yet: `etholake ingest` adds them",
}
"""What to do when no visible summary row exists at all, by the rows' holder."""


def _newest_annotations(source: str):
    """Select the ids of each session's newest annotations asset per model (or label set) of ``source``.

    A behavior the newest version no longer holds must not be read from an older one.
    """
    ranked = (
        select(
            BehaviorSummary.annotations_id,
            func.dense_rank()
            .over(
                partition_by=(BehaviorSummary.session_id, BehaviorSummary.model_name),
                order_by=(Asset.created_at.desc(), Asset.id.desc()),
            )
            .label("rank"),
        )
        .join(Asset, Asset.id == BehaviorSummary.annotations_id)
        .where(BehaviorSummary.source == source)
        .subquery()
    )
    return select(ranked.c.annotations_id).where(ranked.c.rank == 1)


def _newest_summaries(source: str):
    """Subquery: the summary rows of each session's newest annotations asset per model (or label set)."""
    return (
        select(BehaviorSummary)
        .where(BehaviorSummary.source == source, BehaviorSummary.annotations_id.in_(_newest_annotations(source)))
        .subquery()
    )


class QueriesMixin:
    """Query methods of :class:`etholake.catalog.Catalog`."""

    def find_sessions(
        self,
        actor: str | None,
        *,
        lab: str | None = None,
        behavior: str | None = None,
        min_bouts: int | None = None,
        min_time_s: float | None = None,
        source: str = "model",
        has_units: bool | None = None,
        has_calcium: bool | None = None,
        start_after: date | datetime | None = None,
        start_before: date | datetime | None = None,
        **subject_filters: str,
    ) -> pd.DataFrame:
        """Sessions matching every criterion given.

        Parameters
        ----------
        actor
            Acting user (None: anonymous, public sessions only).
        lab
            Only this lab (a lab that does not exist is a NotFoundError, not an empty table).
        behavior
            Only sessions where this behavior was found; with ``min_bouts`` and/or
            ``min_time_s`` (total seconds) as thresholds (default: at least one bout).
        source
            ``"model"`` (machine annotations) or ``"human"`` (label sets) for the behavior criteria.
        has_units, has_calcium
            Require (True) or exclude (False) sessions with spike units / calcium traces.
        start_after, start_before
            Session start time bounds.
        subject_filters
            Equality on species, sex, genotype, strain.

        Returns
        -------
        pandas.DataFrame
            lab, subject, session, start_time, species, sex, genotype, strain, fps,
            and with ``behavior``: bout_count, total_duration_s, model_name, model_version
            (with ``source="human"``: bout_count, total_duration_s, label_set, named
            ``annotator:label_set``; a session has one row per label set that found the behavior).

        Raises
        ------
        OptionError
            If no visible annotation (or label set, with ``source="human"``) holds
            ``behavior``: the message lists the behaviors there are.
        """
        unknown = set(subject_filters) - set(SUBJECT_FILTERS)
        if unknown:
            raise EtholakeError(f"cannot filter sessions by {', '.join(sorted(unknown))}")
        if source not in BEHAVIOR_SOURCES:
            raise OptionError(f"source must be one of {', '.join(BEHAVIOR_SOURCES)}, got {source!r}")
        if behavior is None and (min_bouts is not None or min_time_s is not None):
            raise OptionError("min_bouts and min_time_s are thresholds on one behavior's bouts: give the behavior")
        columns = [
            Lab.name.label("lab"),
            Subject.name.label("subject"),
            Session.name.label("session"),
            Session.start_time,
            Subject.species,
            Subject.sex,
            Subject.genotype,
            Subject.strain,
            Session.fps,
        ]
        with self.transaction() as db:
            query = (
                select(*columns)
                .join(Lab, Lab.id == Session.lab_id)
                .join(Subject, Subject.id == Session.subject_id)
                .where(access.visible_sessions(db, actor))
            )
            if lab is not None:
                query = query.where(Lab.id == self._lab(db, lab).id)
            for name, value in subject_filters.items():
                query = query.where(getattr(Subject, name) == value)
            if start_after is not None:
                query = query.where(Session.start_time >= _as_datetime(start_after))
            if start_before is not None:
                query = query.where(Session.start_time < _as_datetime(start_before))
            for kind, wanted in (("units", has_units), ("calcium", has_calcium)):
                if wanted is not None:
                    held = exists().where(Asset.session_id == Session.id, Asset.kind == kind)
                    query = query.where(held if wanted else ~held)
            if behavior is not None:
                summary = _newest_summaries(source)
                query = query.join(
                    summary, and_(summary.c.session_id == Session.id, summary.c.behavior == behavior)
                ).add_columns(summary.c.bout_count, summary.c.total_duration_s)
                if source == "human":
                    query = query.add_columns(summary.c.model_name.label("label_set"))
                else:
                    query = query.add_columns(summary.c.model_name, summary.c.model_version)
                query = query.where(summary.c.bout_count >= (1 if min_bouts is None else min_bouts))
                if min_time_s is not None:
                    query = query.where(summary.c.total_duration_s >= min_time_s)
            result = db.execute(query.order_by(Lab.name, Subject.name, Session.name))
            frame = pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
            if frame.empty:
                holder = BEHAVIOR_HOLDERS[source]
                condition = BehaviorSummary.annotations_id.in_(_newest_annotations(source))
                _require_known(db, actor, holder, "behavior", behavior, BehaviorSummary.behavior, condition)
            return frame

    def find_units(
        self,
        actor: str | None,
        *,
        behavior: str | None = None,
        max_q: float | None = None,
        region: str | None = None,
        lab: str | None = None,
    ) -> pd.DataFrame:
        """Units with their modulation statistics, e.g. "modulated by attack at q < 0.05".

        Each row's ``q_value`` is the one ``align`` stored: Benjamini-Hochberg across the
        units of its session, per behavior. A query spans more tests than that (every
        session and behavior it returns), so ``query_q_value`` corrects the ``p_value`` of
        every row the query finds, before ``max_q``, and ``max_q`` applies to it.

        Parameters
        ----------
        behavior
            Only statistics for this behavior.
        max_q
            Only units whose ``query_q_value`` is below this (in (0, 1]).
        region
            Only units in this brain region.
        lab
            Only this lab (a lab that does not exist is a NotFoundError, not an empty table).

        Raises
        ------
        OptionError
            If no unit the actor can see has statistics for ``behavior`` or lies in ``region``
            (the message lists the ones there are), or ``max_q`` is outside (0, 1].
        """
        if max_q is not None and not 0 < max_q <= 1:
            raise OptionError(f"max_q is a q-value threshold in (0, 1], got {max_q}")
        with self.transaction() as db:
            query = access.session_rows(
                db,
                actor,
                UnitSummary.session_id,
                UnitSummary.unit,
                UnitSummary.region,
                UnitSummary.behavior,
                UnitSummary.rate_in_hz,
                UnitSummary.rate_out_hz,
                UnitSummary.modulation_index,
                UnitSummary.p_value,
                UnitSummary.q_value,
                UnitSummary.method,
            )
            if behavior is not None:
                query = query.where(UnitSummary.behavior == behavior)
            if region is not None:
                query = query.where(UnitSummary.region == region)
            if lab is not None:
                query = query.where(Lab.id == self._lab(db, lab).id)
            result = db.execute(query.order_by(Lab.name, Session.name, UnitSummary.unit))
            frame = _with_query_q_values(pd.DataFrame(result.mappings().all(), columns=list(result.keys())), max_q)
            if frame.empty:
                for name, value, column in (
                    ("behavior", behavior, UnitSummary.behavior),
                    ("region", region, UnitSummary.region),
                ):
                    _require_known(db, actor, "unit", name, value, column)
            return frame


def _with_query_q_values(units: pd.DataFrame, max_q: float | None) -> pd.DataFrame:
    """Units with ``query_q_value`` (Benjamini-Hochberg across all their rows), below ``max_q``, smallest first."""
    from etholake.neural.stats import benjamini_hochberg

    units = units.assign(query_q_value=benjamini_hochberg(units["p_value"].to_numpy(dtype=np.float64)))
    if max_q is not None:
        units = units[units["query_q_value"] < max_q]
    return units.sort_values("query_q_value", kind="stable", ignore_index=True)


def _require_known(db, actor: str | None, holder: str, name: str, value: str | None, column, *conditions) -> None:
    """Refuse a filter value that no visible summary holds, listing the values there are.

    ``column`` is a column of a summary table (unit or behavior summaries);
    ``holder`` names its rows in the message; ``conditions`` narrow the rows.
    """
    if value is None:
        return
    values = (
        select(column)
        .distinct()
        .join(Session, Session.id == column.class_.session_id)
        .where(access.visible_sessions(db, actor), *conditions)
    )
    known = sorted(str(v) for v in db.execute(values).scalars() if v)
    if value not in known:
        listed = ", ".join(known) if known else f"none ({NONE_YET[holder]})"
        raise OptionError(f"no {holder} you can see has {name} {value!r}; the {name}s there are: {listed}")


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise EtholakeError(f"{value.isoformat()} has no time zone")
        return value
    return datetime(value.year, value.month, value.day).astimezone()
