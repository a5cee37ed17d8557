"""Packages whose public names are imported from their modules on first use.

The command line imports every area's commands; with eager package imports that
pulled in xarray, SciPy, Matplotlib and Prefect before any command ran.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any


def lazy_exports(
    package: str, modules: dict[str, Sequence[str]], *, defined_here: Sequence[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` of a package whose names load on first use.

    Parameters
    ----------
    package
        The package's ``__name__`` (for the error message).
    modules
        Module -> the public names it defines.
    defined_here
        Public names the package's ``__init__`` defines itself.

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` to assign in the package's ``__init__``.
    """
    origin = {name: module for module, names in modules.items() for name in names}
    public = sorted([*origin, *defined_here])

    def load(name: str) -> Any:
        if name in origin:
            return getattr(import_module(origin[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def names() -> list[str]:
        return public

    return load, names, public
