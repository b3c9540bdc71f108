"""The HTML report of one population (``distscale report``), or of many tasks with an index."""

from distscale.report.build import Report, make_report
from distscale.report.multi import MultiReport, make_reports

__all__ = ["MultiReport", "Report", "make_report", "make_reports"]
