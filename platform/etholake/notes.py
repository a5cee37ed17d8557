"""Warnings caught while a job read or computed something, kept as the job's notes."""

from __future__ import annotations

import warnings

LIBRARY_NOTICES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)
"""Warnings about a library's own API (pynwb's deprecated ``manufacturer`` field, say), not about the data."""


def warning_notes(caught: list[warnings.WarningMessage]) -> list[str]:
    """The distinct messages of ``caught`` that speak about the data, in order; library API notices are left out."""
    return list(dict.fromkeys(str(w.message) for w in caught if not issubclass(w.category, LIBRARY_NOTICES)))
