"""SQLAlchemy 2.0 models of the catalog.

The tables hold who (labs, users, memberships), what (subjects, sessions with
DANDI-like metadata) and the assets with their lineage. Large tables (bouts,
aligned statistics) stay in the lake as Parquet; the catalog points to them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from etholake.names import MAX_NAME_LENGTH

ROLES = ("owner", "member", "viewer")
VISIBILITIES = ("private", "shared", "public")
NAME = String(MAX_NAME_LENGTH)
LABEL_IDENTITY = String(2 * MAX_NAME_LENGTH + 1)


def utcnow() -> datetime:
    """The current time, with time zone."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A point in time stored in UTC and always returned with a time zone (also on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime {value.isoformat()} has no time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the catalog models."""

    type_annotation_map: ClassVar[dict] = {dict[str, Any]: JSON, datetime: UTCDateTime}


class Lab(Base):
    """A lab: owner of subjects, sessions and assets."""

    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person or service acting on the catalog."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Membership(Base):
    """A user's role in a lab: owner, member or viewer."""

    __tablename__ = "memberships"
    __table_args__ = (CheckConstraint(f"role IN {ROLES}", name="ck_membership_role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))


class Subject(Base):
    """An animal, with DANDI-like metadata."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("lab_id", "name", name="uq_subject_lab_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(NAME)
    species: Mapped[str | None] = mapped_column(String(128))
    sex: Mapped[str | None] = mapped_column(String(8))
    age: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    genotype: Mapped[str | None] = mapped_column(String(256))
    strain: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lab: Mapped[Lab] = relationship()


class Session(Base):
    """A recording session of one subject (and its partner animals)."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("lab_id", "subject_id", "name", name="uq_session_lab_subject_name"),
        CheckConstraint(f"visibility IN {VISIBILITIES}", name="ck_session_visibility"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(NAME)
    start_time: Mapped[datetime | None] = mapped_column()
    experimenter: Mapped[str | None] = mapped_column(String(256))
    protocol: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)
    fps: Mapped[float | None] = mapped_column(Float)
    px_per_mm: Mapped[float | None] = mapped_column(Float)
    arena_width_mm: Mapped[float | None] = mapped_column(Float)
    arena_height_mm: Mapped[float | None] = mapped_column(Float)
    license: Mapped[str | None] = mapped_column(String(64))
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lab: Mapped[Lab] = relationship()
    subject: Mapped[Subject] = relationship()


class Asset(Base):
    """An immutable stored object: a Zarr store, a Parquet table, a JSON document or a file.

    ``uri`` is relative to the lake root when ``in_lake`` is true (so a lake can
    move), or an absolute URL for files referenced in place. ``unique_key``, when
    set, names what the asset is the result of (``bouts:<features>:<model>:<version>``,
    ``ingest:<hash of session, identity, recipe and previous version>``), so two
    concurrent runs cannot both record the same result.
    """

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint(f"visibility IN {VISIBILITIES}", name="ck_asset_visibility"),
        Index("ix_assets_session_kind", "session_id", "kind"),
        Index("ix_assets_source_sha256", "source_sha256"),
        UniqueConstraint("unique_key", name="uq_assets_unique_key"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    uri: Mapped[str] = mapped_column(Text)
    in_lake: Mapped[bool] = mapped_column(Boolean, default=True)
    format: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    schema_name: Mapped[str | None] = mapped_column(String(64))
    schema_version: Mapped[int | None] = mapped_column(Integer)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    unique_key: Mapped[str | None] = mapped_column(String(255))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lab: Mapped[Lab] = relationship()
    session: Mapped[Session | None] = relationship()


class AssetParent(Base):
    """A lineage edge: ``child`` was derived from ``parent`` (in the given role)."""

    __tablename__ = "asset_parents"

    child_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(32), default="input")


STAGES = ("candidate", "production", "archived")


class FeatureSet(Base):
    """A feature-set specification, identified by its content hash."""

    __tablename__ = "feature_sets"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    version: Mapped[str] = mapped_column(String(32))
    spec: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Model(Base):
    """A trained behavior classifier version: its artifact asset, card and stage."""

    __tablename__ = "models"
    __table_args__ = (
        UniqueConstraint("name", "version", name="uq_model_name_version"),
        CheckConstraint(f"stage IN {STAGES}", name="ck_model_stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, index=True)
    version: Mapped[int] = mapped_column(Integer)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    behaviors: Mapped[list[str]] = mapped_column(JSON, default=list)
    feature_set_hash: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16), default="candidate")
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str | None] = mapped_column(NAME)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    lab: Mapped[Lab] = relationship()


class BehaviorSummary(Base):
    """Per session and behavior: what an annotations (or human labels) asset found, for queries that open no file.

    For human label sets ``model_name`` holds the label set's identity, ``annotator:label_set``.
    """

    __tablename__ = "behavior_summaries"
    __table_args__ = (UniqueConstraint("annotations_id", "behavior", name="uq_summary_annotations_behavior"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    annotations_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    behavior: Mapped[str] = mapped_column(NAME, index=True)
    model_name: Mapped[str | None] = mapped_column(LABEL_IDENTITY)
    model_version: Mapped[int | None] = mapped_column(Integer)
    bout_count: Mapped[int] = mapped_column(Integer)
    total_duration_s: Mapped[float] = mapped_column(Float)
    mean_duration_s: Mapped[float | None] = mapped_column(Float)
    percent_of_session: Mapped[float] = mapped_column(Float)
    latency_s: Mapped[float | None] = mapped_column(Float)
    mean_interval_s: Mapped[float | None] = mapped_column(Float)
    session_duration_s: Mapped[float] = mapped_column(Float)


class UnitSummary(Base):
    """Per session, unit and behavior: modulation statistics from an alignment asset."""

    __tablename__ = "unit_summaries"
    __table_args__ = (UniqueConstraint("asset_id", "unit", "behavior", name="uq_unit_summary"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(NAME)
    region: Mapped[str | None] = mapped_column(String(128))
    behavior: Mapped[str] = mapped_column(NAME, index=True)
    rate_in_hz: Mapped[float | None] = mapped_column(Float)
    rate_out_hz: Mapped[float | None] = mapped_column(Float)
    modulation_index: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    q_value: Mapped[float | None] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
