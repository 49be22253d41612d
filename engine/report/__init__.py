"""Report: offline HTML reports of a run or an experiment (``python -m engine report``)."""

from engine.report.builder import experiment_report, run_report

__all__ = ["experiment_report", "run_report"]
