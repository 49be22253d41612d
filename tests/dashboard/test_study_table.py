"""The Tune page's studies table keeps its running and failed columns only where some study has them."""

from __future__ import annotations

import pandas as pd

from dashboard.plots.study_table import without_idle_columns


def test_idle_running_and_failed_columns_give_way_and_busy_ones_stay():
    frame = pd.DataFrame({"study": ["a", "b"], "finished": [0, 3], "running": [0, 0], "failed": [0, 1]})
    assert list(without_idle_columns(frame).columns) == ["study", "finished", "failed"]
    frame["running"] = [1, 0]
    assert list(without_idle_columns(frame).columns) == ["study", "finished", "running", "failed"]
    assert list(without_idle_columns(frame.iloc[:0]).columns) == ["study", "finished"]  # no study: nothing to show
