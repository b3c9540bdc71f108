"""The HTML report of one population (``distscale report``)."""

from distscale.report.build import Report, make_report

__all__ = ["Report", "make_report"]
