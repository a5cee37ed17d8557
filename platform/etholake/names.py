"""Validation of names that become lake paths or catalog keys."""

from __future__ import annotations

import re

from etholake.errors import InvalidNameError

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_NAME_LENGTH = 128


def validate_name(value: object, what: str = "name") -> str:
    """Return ``value`` if it is a safe lab, subject, session, behavior or model name.

    A safe name starts with a letter or digit, continues with letters, digits,
    ``.``, ``_`` or ``-``, is at most 128 characters long and contains no ``..``,
    so it can never escape its folder in the lake or change the meaning of a key.

    Parameters
    ----------
    value
        The candidate name.
    what
        What the name is for (``"lab"``, ``"session"``, ...), used in the message.

    Returns
    -------
    str
        The name, unchanged.

    Raises
    ------
    InvalidNameError
        If the name is not a string, empty, too long or has characters outside
        ``[A-Za-z0-9._-]``.

    Examples
    --------
    >>> validate_name("mouse-01", "subject")
    'mouse-01'
    >>> validate_name("../x", "lab")
    Traceback (most recent call last):
    ...
    etholake.errors.InvalidNameError: invalid lab name '../x': ...
    """
    if not isinstance(value, str):
        raise InvalidNameError(f"invalid {what} name {value!r}: must be a string")
    if not value:
        raise InvalidNameError(f"invalid {what} name '': must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidNameError(
            f"invalid {what} name {value[:20]!r}...: {len(value)} characters, at most {MAX_NAME_LENGTH} allowed"
        )
    if not NAME_PATTERN.fullmatch(value) or ".." in value:
        raise InvalidNameError(
            f"invalid {what} name {value!r}: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no '/', spaces, '..' or control characters)"
        )
    return value
