"""The HTML report of one population (``distscale report``), or of many tasks with an index."""

from distscale.report.build import Report, make_report
from distscale.report.multi import MultiReport, make_reports
from distscale.report.summaries import TaskSummaries, summary_by_task

__all__ = [
    "MultiReport",
    "Report",
    "TaskSummaries",
    "make_report",
    "make_reports",
    "summary_by_task",
]
