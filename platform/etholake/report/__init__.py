"""The HTML report site: one self-contained folder of pages that opens from disk with no server."""

from etholake.lazy_exports import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {"etholake.report.site": ("build_site",)})
