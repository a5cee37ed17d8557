"""The HTML report site: one self-contained folder of pages that opens from disk with no server."""

from etholake.report.site import build_site

__all__ = ["build_site"]
