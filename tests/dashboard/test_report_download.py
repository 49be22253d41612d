"""AppTest of the Runs page's "Download report": a selected run's or an experiment's offline report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.state import keys
from engine.experiments import ExperimentSpec, run_experiment
from tests.dashboard.conftest import TRAINED_RUN_ID
from tests.dashboard.shown import shown

PAGE = "views/runs.py"


def captions(at) -> str:
    return " ".join(shown(caption.value) for caption in at.caption)


def test_a_selected_run_gets_a_report_to_download(app_at) -> None:
    at = app_at(PAGE, **{keys.RUNS_SELECTED: [TRAINED_RUN_ID]})
    assert not at.exception
    target = at.selectbox(key="runs_report_target")
    assert target.value == ("run", TRAINED_RUN_ID)
    assert at.get("download_button") == []  # built only when asked: a report is megabytes
    at.button(key="runs_report_prepare").click().run()
    assert not at.exception, at.exception
    (button,) = at.get("download_button")
    assert button.proto.label == "Download report"
    assert "every script in-line" in captions(at)
    assert f"python -m engine report {TRAINED_RUN_ID}" in captions(at)


@pytest.fixture(scope="module")
def experiment_dir(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("report-experiment")
    spec = ExperimentSpec("duo", "synthetic", ["mf", "lightgcn"], [0, 1], epochs=1, base={"ks": [10], "dim": 16})
    run_experiment(spec, runs_dir, progress=False)
    return runs_dir


def test_an_experiment_is_offered_and_reported(app_at, experiment_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=experiment_dir, **{keys.RUNS_SELECTED: []})
    target = at.selectbox(key="runs_report_target")
    assert target.options == ["experiment duo"]
    at.button(key="runs_report_prepare").click().run()
    assert not at.exception, at.exception
    assert len(at.get("download_button")) == 1
    assert "python -m engine report duo" in captions(at)
