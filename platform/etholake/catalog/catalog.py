"""The catalog: labs, people, subjects, sessions and assets, with visibility applied to every read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Integer, and_, delete, func, inspect, literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased, sessionmaker

from etholake.catalog import access, migrate
from etholake.catalog.engine import create_catalog_engine
from etholake.catalog.memberships import MembershipsMixin
from etholake.catalog.model_registry import ModelRegistryMixin, NewModel
from etholake.catalog.models import VISIBILITIES, Asset, AssetParent, Lab, Membership, Session, Subject, User
from etholake.catalog.queries import QueriesMixin
from etholake.catalog.records import AssetRecord, NewAsset, SessionKey
from etholake.catalog.summaries import BehaviorSummaryRows, SummariesMixin, UnitSummaryRows
from etholake.errors import DuplicateAssetError, EtholakeError, NotFoundError
from etholake.names import validate_name

SUBJECT_FIELDS = ("species", "sex", "age", "date_of_birth", "genotype", "strain", "description")
SESSION_FIELDS = (
    "start_time",
    "experimenter",
    "protocol",
    "description",
    "fps",
    "px_per_mm",
    "arena_width_mm",
    "arena_height_mm",
    "license",
    "visibility",
    "extra",
)


def _check_visibility(visibility: str) -> str:
    if visibility not in VISIBILITIES:
        raise EtholakeError(f"visibility {visibility!r} must be one of {', '.join(VISIBILITIES)}")
    return visibility


class Catalog(ModelRegistryMixin, SummariesMixin, QueriesMixin, MembershipsMixin):
    """The etholake catalog on SQLite or PostgreSQL.

    Every read takes the acting user (``actor``; None = anonymous) and returns
    only what that user may see; every write checks the actor's role.

    Parameters
    ----------
    url
        SQLAlchemy URL: ``sqlite:///lake/catalog.sqlite`` or ``postgresql+psycopg://...``.
    migrate_schema
        Bring the schema to the newest revision on open (default).
    create
        Create a SQLite catalog that does not exist (default; only when the
        schema is migrated). Otherwise a missing SQLite file is refused, with a
        message to run ``etholake init``, and nothing is written.
    """

    def __init__(self, url: str, *, migrate_schema: bool = True, create: bool = True) -> None:
        self.url = url
        self.engine: Engine = create_catalog_engine(url, create=create and migrate_schema)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate_schema:
            migrate.upgrade(self.engine)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[OrmSession]:
        """A database session inside one transaction, committed on success."""
        with self._sessions() as db, db.begin():
            yield db

    def _insert_ignore(self, db: OrmSession, model: type, values: dict[str, Any]) -> bool:
        """Insert a row unless it violates a unique constraint; return whether it was inserted."""
        dialect = db.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        key = inspect(model).primary_key[0]
        result = db.execute(insert(model).values(**values).on_conflict_do_nothing().returning(key))
        return result.first() is not None

    def _ensure_user(self, db: OrmSession, name: str) -> int:
        validate_name(name, "user")
        self._insert_ignore(db, User, {"name": name, "created_at": datetime.now().astimezone()})
        return db.scalar(select(User.id).where(User.name == name))

    def _lab(self, db: OrmSession, name: str) -> Lab:
        lab = db.scalar(select(Lab).where(Lab.name == validate_name(name, "lab")))
        if lab is None:
            raise NotFoundError(f"no lab named {name!r}")
        return lab

    # people -------------------------------------------------------------------------------------

    def create_lab(self, actor: str, name: str) -> bool:
        """Create lab ``name`` with ``actor`` as owner; if it exists, check the actor may write to it.

        Returns
        -------
        bool
            Whether the lab was created.
        """
        validate_name(name, "lab")
        with self.transaction() as db:
            user = self._ensure_user(db, actor)
            created = self._insert_ignore(db, Lab, {"name": name, "created_at": datetime.now().astimezone()})
            lab = self._lab(db, name)
            if created:
                db.add(Membership(user_id=user, lab_id=lab.id, role="owner"))
            else:
                access.require_write(db, actor, lab)
        return created

    def add_user(self, name: str) -> None:
        """Register a user (no lab yet)."""
        with self.transaction() as db:
            self._ensure_user(db, name)

    def require_write(self, actor: str, lab: str) -> None:
        """Raise unless lab ``lab`` exists and ``actor`` may write to it (owner or member)."""
        with self.transaction() as db:
            access.require_write(db, actor, self._lab(db, lab))

    def labs(self, actor: str | None) -> pd.DataFrame:
        """Labs with the actor's role in each (None where not a member)."""
        with self.transaction() as db:
            role = (
                select(Membership.role)
                .join(User, User.id == Membership.user_id)
                .where(User.name == actor, Membership.lab_id == Lab.id)
                .scalar_subquery()
            )
            rows = db.execute(select(Lab.name, role.label("role")).order_by(Lab.name)).all()
        return pd.DataFrame(rows, columns=["lab", "role"])

    def writable_labs(self, actor: str | None) -> set[str]:
        """Names of the labs in which ``actor`` is an owner or a member (where it may store results)."""
        labs = self.labs(actor)
        return set(labs.loc[labs["role"].isin(access.WRITE_ROLES), "lab"])

    # subjects and sessions ----------------------------------------------------------------------

    def register_subject(
        self, actor: str, lab: str, name: str, *, update_existing: bool = True, **metadata: Any
    ) -> bool:
        """Create subject ``name`` in ``lab`` or update the metadata given.

        Parameters
        ----------
        update_existing
            Whether an existing subject takes ``metadata`` (if not, it is left as it is).
        metadata
            Any of species, sex, age (ISO 8601 duration), date_of_birth, genotype,
            strain, description; None values leave the stored value alone.

        Returns
        -------
        bool
            Whether the subject was created.
        """
        validate_name(name, "subject")
        unknown = set(metadata) - set(SUBJECT_FIELDS)
        if unknown:
            raise EtholakeError(f"unknown subject field(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in metadata.items() if v is not None}
        if isinstance(values.get("date_of_birth"), str):
            values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
        with self.transaction() as db:
            lab_row = self._lab(db, lab)
            access.require_write(db, actor, lab_row)
            inserted = self._insert_ignore(
                db, Subject, {"lab_id": lab_row.id, "name": name, "created_at": datetime.now().astimezone(), **values}
            )
            if not inserted and update_existing and values:
                db.execute(update(Subject).where(Subject.lab_id == lab_row.id, Subject.name == name).values(**values))
        return inserted

    def register_session(self, actor: str, key: SessionKey, *, update_existing: bool = True, **metadata: Any) -> bool:
        """Create a session (its subject must exist) or update the metadata given.

        Parameters
        ----------
        key
            Lab, subject and session names.
        update_existing
            Whether an existing session takes ``metadata`` (if not, it is left as it is).
        metadata
            Any of start_time (datetime with time zone), experimenter, protocol,
            description, fps, px_per_mm, arena_width_mm, arena_height_mm, license,
            visibility (private/shared/public), extra (JSON object).

        Returns
        -------
        bool
            Whether the session was created.
        """
        key = SessionKey(*key)
        validate_name(key.session, "session")
        unknown = set(metadata) - set(SESSION_FIELDS)
        if unknown:
            raise EtholakeError(f"unknown session field(s): {', '.join(sorted(unknown))}")
        values = {k: v for k, v in metadata.items() if v is not None}
        if "visibility" in values:
            _check_visibility(values["visibility"])
        if isinstance(values.get("start_time"), str):
            values["start_time"] = datetime.fromisoformat(values["start_time"])
        start = values.get("start_time")
        if isinstance(start, datetime) and start.tzinfo is None:
            raise EtholakeError(f"session {key}: start_time {start.isoformat()} has no time zone")
        with self.transaction() as db:
            lab_row = self._lab(db, key.lab)
            access.require_write(db, actor, lab_row)
            subject_id = db.scalar(select(Subject.id).where(Subject.lab_id == lab_row.id, Subject.name == key.subject))
            if subject_id is None:
                raise NotFoundError(f"no subject {key.subject!r} in lab {key.lab!r}; register it first")
            row = {"lab_id": lab_row.id, "subject_id": subject_id, "name": key.session, "extra": {}}
            row["created_at"] = datetime.now().astimezone()
            row["visibility"] = "private"
            inserted = self._insert_ignore(db, Session, {**row, **values})
            if not inserted and update_existing and values:
                db.execute(
                    update(Session)
                    .where(Session.lab_id == lab_row.id, Session.subject_id == subject_id, Session.name == key.session)
                    .values(**values)
                )
        return inserted

    def remove_empty(
        self,
        actor: str,
        lab: str,
        *,
        sessions: Sequence[SessionKey] = (),
        subjects: Sequence[str] = (),
        lab_too: bool = False,
    ) -> None:
        """Remove registrations that hold nothing: what a failed ingest registered, taken back.

        In one transaction: each of ``sessions`` (of ``lab``) that holds no asset, then each
        of ``subjects`` that holds no session, then, with ``lab_too``, the lab itself (and
        its roles) when it holds no subject and no asset. Anything holding data stays.
        """
        with self.transaction() as db:
            lab_row = self._lab(db, lab)
            access.require_write(db, actor, lab_row)
            for key in (SessionKey(*key) for key in sessions):
                subject = select(Subject.id).where(Subject.lab_id == lab_row.id, Subject.name == key.subject)
                db.execute(
                    delete(Session).where(
                        Session.lab_id == lab_row.id,
                        Session.subject_id == subject.scalar_subquery(),
                        Session.name == key.session,
                        ~select(Asset.id).where(Asset.session_id == Session.id).exists(),
                    )
                )
            if subjects:
                db.execute(
                    delete(Subject).where(
                        Subject.lab_id == lab_row.id,
                        Subject.name.in_(list(subjects)),
                        ~select(Session.id).where(Session.subject_id == Subject.id).exists(),
                    )
                )
            if lab_too:
                db.execute(
                    delete(Lab).where(
                        Lab.id == lab_row.id,
                        ~select(Subject.id).where(Subject.lab_id == Lab.id).exists(),
                        ~select(Asset.id).where(Asset.lab_id == Lab.id).exists(),
                    )
                )

    def _session_select(self):
        return (
            select(
                Lab.name.label("lab"),
                Subject.name.label("subject"),
                Session.name.label("session"),
                Session.start_time,
                Session.experimenter,
                Session.protocol,
                Session.description,
                Session.fps,
                Session.px_per_mm,
                Session.arena_width_mm,
                Session.arena_height_mm,
                Session.license,
                Session.visibility,
                Subject.species,
                Subject.sex,
                Subject.age,
                Subject.genotype,
                Subject.strain,
                Session.extra,
                Session.id.label("session_id"),
            )
            .join(Lab, Lab.id == Session.lab_id)
            .join(Subject, Subject.id == Session.subject_id)
        )

    def sessions(
        self,
        actor: str | None,
        *,
        lab: str | None = None,
        subject: str | None = None,
        **subject_filters: str,
    ) -> pd.DataFrame:
        """The sessions ``actor`` may see, one row each with subject metadata.

        Parameters
        ----------
        actor
            Acting user; None for an anonymous reader.
        lab, subject
            Restrict to one lab or subject.
        subject_filters
            Equality filters on species, sex, genotype or strain.
        """
        with self.transaction() as db:
            query = self._session_select().where(access.visible_sessions(db, actor))
            if lab is not None:
                query = query.where(Lab.name == lab)
            if subject is not None:
                query = query.where(Subject.name == subject)
            for name, value in subject_filters.items():
                if name not in ("species", "sex", "genotype", "strain"):
                    raise EtholakeError(f"cannot filter sessions by {name!r}")
                query = query.where(getattr(Subject, name) == value)
            rows = db.execute(query.order_by(Lab.name, Subject.name, Session.name)).mappings().all()
        return pd.DataFrame([dict(r) for r in rows], columns=list(self._session_select().selected_columns.keys()))

    def session(self, actor: str | None, key: SessionKey) -> dict[str, Any]:
        """One session's record; NotFoundError if it does not exist or is not visible."""
        key = SessionKey(*key)
        with self.transaction() as db:
            row = (
                db.execute(
                    self._session_select().where(
                        Lab.name == key.lab,
                        Subject.name == key.subject,
                        Session.name == key.session,
                        access.visible_sessions(db, actor),
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFoundError(f"no session {key} visible to {actor or 'anonymous readers'}")
        return dict(row)

    def count_sessions(self) -> int:
        """Number of sessions in the catalog, whatever their visibility (for administration)."""
        with self.transaction() as db:
            return db.scalar(select(func.count()).select_from(Session))

    # assets -------------------------------------------------------------------------------------

    def register_asset(self, actor: str, asset: NewAsset) -> AssetRecord:
        """Record one published asset and its lineage (see :meth:`register_assets`)."""
        return self.register_assets(actor, [asset])[0]

    def register_assets(
        self,
        actor: str,
        assets: list[NewAsset],
        *,
        behavior_summaries: list[BehaviorSummaryRows] | None = None,
        unit_summaries: list[UnitSummaryRows] | None = None,
        model: NewModel | None = None,
    ) -> list[AssetRecord]:
        """Record published assets, their lineage, summaries and model version in one transaction.

        Either everything becomes visible or nothing does. An asset may name an
        earlier asset of the same call as its parent. With ``model``, the new
        version number is in the returned model artifact record's ``params["version"]``.

        Raises
        ------
        NotFoundError
            If a lab, session or parent asset does not exist.
        AccessDeniedError
            If ``actor`` may not write to a lab.
        """
        with self.transaction() as db:
            self._ensure_user(db, actor)
            rows = [self._add_asset(db, actor, asset) for asset in assets]
            for summary in behavior_summaries or []:
                self._add_behavior_summaries(db, actor, summary)
            for summary in unit_summaries or []:
                self._add_unit_summaries(db, actor, summary)
            if model is not None:
                version = self._add_model(db, actor, model)
                artifact = next(row for row in rows if row.id == model.asset_id)
                artifact.params = {**artifact.params, "version": version}
                db.flush()
            return [self._record(db, row) for row in rows]

    def _add_asset(self, db: OrmSession, actor: str, asset: NewAsset) -> Asset:
        _check_visibility(asset.visibility)
        lab_row = self._lab(db, asset.lab)
        access.require_write(db, actor, lab_row)
        session_id = None
        if asset.session is not None:
            session_id = self._session_id(db, SessionKey(*asset.session))
        missing = [p for p in asset.parents if db.get(Asset, p) is None]
        if missing:
            raise NotFoundError(f"parent asset(s) {', '.join(missing)} not in the catalog")
        row = Asset(
            id=asset.id,
            kind=asset.kind,
            uri=asset.uri,
            in_lake=asset.in_lake,
            format=asset.format,
            sha256=asset.sha256,
            size_bytes=asset.size_bytes,
            schema_name=asset.schema_name,
            schema_version=asset.schema_version,
            lab_id=lab_row.id,
            session_id=session_id,
            visibility=asset.visibility,
            source_sha256=asset.source_sha256,
            unique_key=asset.unique_key,
            params=asset.params,
            created_by=actor,
            created_at=datetime.now().astimezone(),
        )
        if asset.unique_key is not None:
            existing = db.scalar(select(Asset.id).where(Asset.unique_key == asset.unique_key))
            if existing is not None:
                raise DuplicateAssetError(asset.unique_key, existing)
        db.add(row)
        try:
            db.flush()
        except IntegrityError as error:
            if asset.unique_key is None:
                raise
            raise DuplicateAssetError(asset.unique_key, "(recorded concurrently)") from error
        for parent, role in asset.parents.items():
            db.add(AssetParent(child_id=asset.id, parent_id=parent, role=role))
        db.flush()
        return row

    @staticmethod
    def _session_id_query(key: SessionKey):
        return (
            select(Session.id)
            .join(Lab, Lab.id == Session.lab_id)
            .join(Subject, Subject.id == Session.subject_id)
            .where(Lab.name == key.lab, Subject.name == key.subject, Session.name == key.session)
        )

    def _session_id(self, db: OrmSession, key: SessionKey) -> int:
        session_id = db.scalar(self._session_id_query(key))
        if session_id is None:
            raise NotFoundError(f"no session {key}; register it first")
        return session_id

    def _visible_session_id(self, db: OrmSession, actor: str | None, key: SessionKey) -> int:
        """The id of a session ``actor`` may see; a missing and an invisible session get the same NotFoundError."""
        session_id = db.scalar(self._session_id_query(key).where(access.visible_sessions(db, actor)))
        if session_id is None:
            raise NotFoundError(f"no session {key} visible to {actor or 'anonymous readers'}")
        return session_id

    def _record(self, db: OrmSession, row: Asset) -> AssetRecord:
        key = None
        if row.session is not None:
            key = SessionKey(row.lab.name, row.session.subject.name, row.session.name)
        parents = dict(
            db.execute(select(AssetParent.parent_id, AssetParent.role).where(AssetParent.child_id == row.id)).all()
        )
        return AssetRecord(
            id=row.id,
            kind=row.kind,
            uri=row.uri,
            in_lake=row.in_lake,
            format=row.format,
            sha256=row.sha256,
            size_bytes=row.size_bytes,
            schema_name=row.schema_name,
            schema_version=row.schema_version,
            lab=row.lab.name,
            session=key,
            visibility=row.session.visibility if row.session is not None else row.visibility,
            source_sha256=row.source_sha256,
            params=dict(row.params or {}),
            created_by=row.created_by,
            created_at=row.created_at,
            parents=parents,
        )

    def _visible_asset_query(self, db: OrmSession, actor: str | None):
        return select(Asset).outerjoin(Session, Session.id == Asset.session_id).where(access.visible_assets(db, actor))

    def asset(self, actor: str | None, asset_id: str) -> AssetRecord:
        """One asset; NotFoundError if it does not exist or is not visible to ``actor``."""
        with self.transaction() as db:
            row = db.scalar(self._visible_asset_query(db, actor).where(Asset.id == asset_id))
            if row is None:
                raise NotFoundError(f"no asset {asset_id!r} visible to {actor or 'anonymous readers'}")
            return self._record(db, row)

    def assets(
        self,
        actor: str | None,
        *,
        kind: str | None = None,
        lab: str | None = None,
        session: SessionKey | None = None,
        source_sha256: str | None = None,
    ) -> list[AssetRecord]:
        """Assets visible to ``actor``, newest first, optionally filtered (an unknown ``lab`` is a NotFoundError)."""
        with self.transaction() as db:
            query = self._visible_asset_query(db, actor)
            if kind is not None:
                query = query.where(Asset.kind == kind)
            if lab is not None:
                query = query.where(Asset.lab_id == self._lab(db, lab).id)
            if session is not None:
                query = query.where(Asset.session_id == self._visible_session_id(db, actor, SessionKey(*session)))
            if source_sha256 is not None:
                query = query.where(Asset.source_sha256 == source_sha256)
            rows = db.scalars(query.order_by(Asset.created_at.desc(), Asset.id)).all()
            return [self._record(db, row) for row in rows]

    def asset_by_key(self, actor: str | None, unique_key: str) -> AssetRecord | None:
        """The asset holding ``unique_key``, if any (and visible to ``actor``)."""
        with self.transaction() as db:
            row = db.scalar(self._visible_asset_query(db, actor).where(Asset.unique_key == unique_key))
            return None if row is None else self._record(db, row)

    def lineage(self, actor: str | None, asset_id: str, direction: str = "ancestors") -> pd.DataFrame:
        """Every asset ``asset_id`` was derived from (``ancestors``) or that derives from it (``descendants``).

        Returns
        -------
        pandas.DataFrame
            One row per related asset visible to ``actor``: id, kind, uri, the roles of
            the edges that reached it (comma-separated), depth (1 = direct parent or
            child; the shortest path), created_at. Assets ``actor`` may not see are left out.
        """
        if direction not in ("ancestors", "descendants"):
            raise EtholakeError("direction must be 'ancestors' or 'descendants'")
        self.asset(actor, asset_id)
        near, far = ("child_id", "parent_id") if direction == "ancestors" else ("parent_id", "child_id")
        edge = aliased(AssetParent)
        with self.transaction() as db:
            start = select(
                getattr(AssetParent, far).label("id"),
                AssetParent.role.label("role"),
                literal(1, Integer).label("depth"),
            ).where(getattr(AssetParent, near) == asset_id)
            tree = start.cte("tree", recursive=True)
            step = select(getattr(edge, far), edge.role, tree.c.depth + 1).where(
                and_(getattr(edge, near) == tree.c.id, tree.c.depth < 64)
            )
            tree = tree.union(step)
            visible_ids = self._visible_asset_query(db, actor).with_only_columns(Asset.id).scalar_subquery()
            rows = db.execute(
                select(
                    Asset.id,
                    Asset.kind,
                    Asset.uri,
                    tree.c.role,
                    func.min(tree.c.depth).label("depth"),
                    Asset.created_at,
                )
                .join(tree, tree.c.id == Asset.id)
                .where(Asset.id.in_(visible_ids))
                .group_by(Asset.id, Asset.kind, Asset.uri, tree.c.role, Asset.created_at)
            ).all()
        edges = pd.DataFrame(rows, columns=["id", "kind", "uri", "role", "depth", "created_at"])
        related = edges.groupby(["id", "kind", "uri", "created_at"], as_index=False, sort=False).agg(
            role=("role", lambda roles: ", ".join(sorted(set(roles)))), depth=("depth", "min")
        )
        columns = ["id", "kind", "uri", "role", "depth", "created_at"]
        return related[columns].sort_values(["depth", "id"], ignore_index=True)

    def recorded_asset_ids(self, asset_ids: list[str]) -> set[str]:
        """Which of ``asset_ids`` the catalog holds, whatever their visibility (for cleaning up after a publish)."""
        with self.transaction() as db:
            return set(db.scalars(select(Asset.id).where(Asset.id.in_(asset_ids))).all())

    def lake_uris(self) -> set[str]:
        """Lake-relative URIs of every asset stored in the lake (for garbage collection)."""
        with self.transaction() as db:
            return set(db.scalars(select(Asset.uri).where(Asset.in_lake.is_(True))).all())
