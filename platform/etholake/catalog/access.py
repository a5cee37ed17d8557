"""Who may see and change what.

Visibility of a session: ``private`` (members of its lab only), ``shared``
(any registered user of the catalog) or ``public`` (everyone, also anonymous
readers). An asset attached to a session has the session's visibility; a
lab-wide asset (a model, a feature set) has its own. Writing needs the
``owner`` or ``member`` role in the lab; ``viewer`` only reads.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.orm import Session as OrmSession

from etholake.catalog.models import Asset, Lab, Membership, Session, Subject, User
from etholake.errors import AccessDeniedError

WRITE_ROLES = ("owner", "member")


def user_id(db: OrmSession, actor: str | None) -> int | None:
    """Database id of the acting user, or None for an anonymous or unknown reader."""
    if actor is None:
        return None
    return db.scalar(select(User.id).where(User.name == actor))


def member_lab_ids(db: OrmSession, actor: str | None):
    """Subquery of the ids of the labs the actor belongs to (any role)."""
    return select(Membership.lab_id).join(User, User.id == Membership.user_id).where(User.name == actor)


def visible(db: OrmSession, actor: str | None, lab_column, visibility_column) -> ColumnElement[bool]:
    """SQL condition: a row with this lab and visibility is visible to ``actor``."""
    if actor is None or user_id(db, actor) is None:
        return visibility_column == "public"
    return or_(
        visibility_column.in_(("public", "shared")),
        lab_column.in_(member_lab_ids(db, actor)),
    )


def visible_sessions(db: OrmSession, actor: str | None) -> ColumnElement[bool]:
    """SQL condition selecting the sessions ``actor`` may read."""
    return visible(db, actor, Session.lab_id, Session.visibility)


def visible_assets(db: OrmSession, actor: str | None) -> ColumnElement[bool]:
    """SQL condition selecting the assets ``actor`` may read (join Asset to Session outer first)."""
    own = visible(db, actor, Asset.lab_id, Asset.visibility)
    through_session = visible_sessions(db, actor)
    return or_(
        (Asset.session_id.is_(None)) & own,
        (Asset.session_id.is_not(None)) & through_session,
    )


def session_rows(db: OrmSession, actor: str | None, session_id, *columns) -> Select:
    """Rows of a per-session table, with the session's lab, subject and name, for the sessions ``actor`` may see.

    Parameters
    ----------
    session_id
        The table's column holding the session id (``BehaviorSummary.session_id``, say).
    columns
        The table's columns to select after ``lab``, ``subject`` and ``session``.
    """
    return (
        select(Lab.name.label("lab"), Subject.name.label("subject"), Session.name.label("session"), *columns)
        .join(Session, Session.id == session_id)
        .join(Lab, Lab.id == Session.lab_id)
        .join(Subject, Subject.id == Session.subject_id)
        .where(visible_sessions(db, actor))
    )


def role_in_lab(db: OrmSession, actor: str | None, lab: Lab) -> str | None:
    """The actor's role in ``lab``, or None."""
    if actor is None:
        return None
    return db.scalar(
        select(Membership.role)
        .join(User, User.id == Membership.user_id)
        .where(User.name == actor, Membership.lab_id == lab.id)
    )


def require_write(db: OrmSession, actor: str | None, lab: Lab) -> None:
    """Raise unless ``actor`` is an owner or member of ``lab``."""
    role = role_in_lab(db, actor, lab)
    if role not in WRITE_ROLES:
        who = "an anonymous user" if actor is None else f"user {actor!r}"
        held = f" (role: {role})" if role else ""
        raise AccessDeniedError(f"{who} may not write to lab {lab.name!r}{held}: owner or member role needed")
