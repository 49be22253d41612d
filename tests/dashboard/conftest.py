"""Fixtures for AppTest tests of the dashboard: a runs directory with a really trained run, and app factories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import keys
from tests.support.sample_runs import train_sample_run

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "dashboard" / "app.py")
APP_TIMEOUT = 180
TRAINED_RUN_ID = "fixture-mf-1epoch"


@pytest.fixture(scope="session")
def trained_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A runs directory holding one run really trained for 1 epoch on the sample data with the training CLI."""
    runs_dir = tmp_path_factory.mktemp("dashboard-runs")
    train_sample_run(runs_dir, TRAINED_RUN_ID, "mf", epochs=1)
    return runs_dir


@pytest.fixture
def app_at(trained_runs_dir: Path) -> Callable[..., AppTest]:
    """``app_at(page, runs_dir=..., query=..., **session)``: an AppTest of ``dashboard/app.py`` on ``page``, run once.

    ``runs_dir`` defaults to :func:`trained_runs_dir`; ``query`` sets URL query parameters; other keyword arguments
    are session-state values set before the first run.
    """

    def open_page(
        page: str = "views/data.py", runs_dir: Path | str | None = None, query: dict | None = None, **session
    ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
        at.session_state[keys.RUNS_DIR] = str(trained_runs_dir if runs_dir is None else runs_dir)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        for key, value in session.items():
            at.session_state[key] = value
        at.run()  # the first run registers st.navigation's pages; switching before it would bypass app.py
        at.switch_page(page)
        return at.run()

    return open_page


@pytest.fixture
def frame_with() -> Callable:
    """``frame_with(at, column)``: the first dataframe on the page that has ``column`` (AppTest frames carry no key)."""

    def find(at: AppTest, column: str):
        frames = [frame.value for frame in at.dataframe]
        for frame in frames:
            if column in frame.columns or column == frame.index.name:
                return frame
        raise AssertionError(f"no dataframe with column {column!r}; columns: {[list(f.columns) for f in frames]}")

    return find
