"""The HTML report site: one self-contained folder of pages that opens from disk with no server."""

from etholake.lazy_exports import lazy_exports

_EXPORTS = {
    "build_site": "etholake.report.site",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return __all__
