"""Packages whose public names are imported from their modules on first use.

The command line imports every area's commands; with eager package imports that
pulled in xarray, SciPy, Matplotlib and Prefect before any command ran.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> Callable[[str], Any]:
    """Module ``__getattr__`` for ``package``, loading each exported name from its module on first use.

    Parameters
    ----------
    package
        The package's ``__name__`` (for the error message).
    exports
        Public name -> module that defines it.

    Returns
    -------
    callable
        The package's ``__getattr__``.
    """

    def load(name: str) -> Any:
        if name in exports:
            return getattr(import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return load
