"""Who may do what in a lab: the owner, member and viewer roles, and the labs a user sees.

Only an owner of a lab changes its roles, and a lab always keeps at least one
owner. Only users with a role in a lab may list its members.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, select

from etholake.catalog import access
from etholake.catalog.models import ROLES, Lab, Membership, User
from etholake.errors import AccessDeniedError, NotFoundError, OptionError
from etholake.names import validate_name


class MembershipsMixin:
    """Lab membership methods of :class:`etholake.catalog.Catalog`."""

    def add_member(self, actor: str, lab: str, user: str, role: str = "member") -> None:
        """Give ``user`` a role in ``lab``, or change the role they have.

        Parameters
        ----------
        actor
            The acting user: an owner of ``lab``.
        lab, user
            The lab and the user (registered if new).
        role
            ``owner``, ``member`` (reads and writes) or ``viewer`` (reads).

        Raises
        ------
        OptionError
            If ``role`` is not one of the three, or the change would leave the lab without an owner.
        AccessDeniedError
            If ``actor`` is not an owner of ``lab``.
        """
        if role not in ROLES:
            raise OptionError(f"role {role!r} must be one of {', '.join(ROLES)}")
        with self.transaction() as db:
            lab_row = self._owned_lab(db, actor, lab, "change its roles")
            user_id = self._ensure_user(db, user)
            existing = db.get(Membership, (user_id, lab_row.id))
            if existing is None:
                db.add(Membership(user_id=user_id, lab_id=lab_row.id, role=role))
                return
            if existing.role == "owner" and role != "owner":
                _keep_an_owner(db, lab_row, user)
            existing.role = role

    def remove_member(self, actor: str, lab: str, user: str) -> str:
        """Take ``user``'s role in ``lab`` away; return the role they had.

        Raises
        ------
        NotFoundError
            If ``user`` has no role in ``lab``.
        OptionError
            If ``user`` is the lab's only owner.
        AccessDeniedError
            If ``actor`` is not an owner of ``lab``.
        """
        with self.transaction() as db:
            lab_row = self._owned_lab(db, actor, lab, "change its roles")
            user_id = db.scalar(select(User.id).where(User.name == validate_name(user, "user")))
            existing = None if user_id is None else db.get(Membership, (user_id, lab_row.id))
            if existing is None:
                raise NotFoundError(f"user {user!r} has no role in lab {lab!r}")
            if existing.role == "owner":
                _keep_an_owner(db, lab_row, user)
            role = existing.role
            db.delete(existing)
        return role

    def members(self, actor: str | None, lab: str) -> pd.DataFrame:
        """The users with a role in ``lab``: columns user and role, owners first.

        Raises
        ------
        AccessDeniedError
            If ``actor`` has no role in ``lab``.
        """
        with self.transaction() as db:
            lab_row = self._lab(db, lab)
            if access.role_in_lab(db, actor, lab_row) is None:
                raise AccessDeniedError(f"only users with a role in lab {lab!r} may list its members")
            rank = case({role: index for index, role in enumerate(ROLES)}, value=Membership.role)
            rows = db.execute(
                select(User.name, Membership.role)
                .join(User, User.id == Membership.user_id)
                .where(Membership.lab_id == lab_row.id)
                .order_by(rank, User.name)
            ).all()
        return pd.DataFrame(rows, columns=["user", "role"])

    def _owned_lab(self, db, actor: str, lab: str, what: str) -> Lab:
        lab_row = self._lab(db, lab)
        if access.role_in_lab(db, actor, lab_row) != "owner":
            raise AccessDeniedError(f"only an owner of lab {lab!r} may {what}")
        return lab_row


def _keep_an_owner(db, lab: Lab, user: str) -> None:
    """Refuse to take the owner role from ``user`` when they are the lab's only owner."""
    owners = db.scalars(
        select(Membership.user_id).where(Membership.lab_id == lab.id, Membership.role == "owner").with_for_update()
    ).all()
    if len(owners) <= 1:
        raise OptionError(f"{user} is the only owner of lab {lab.name!r}: make another user an owner first")
