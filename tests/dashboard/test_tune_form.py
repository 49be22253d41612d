"""AppTest of the Train page's study form: bad input refused with one message and nothing started, a real ``tune``
process started, its trials and optimisation history shown, and the link to the Tune page."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from dashboard.components.tune_form import TRIALS_UNDER_TIME, budget
from dashboard.state import keys
from engine.tuning import study_info, study_names
from tests.dashboard.shown import shown
from tests.support.sample_runs import engine_processes
from tests.support.studies import tune_sample_study

PAGE = "views/train.py"
WAIT_SECONDS = 300


@pytest.fixture
def runs_dir(tmp_path: Path):
    """An empty runs directory; tune processes still writing into it at the end are killed."""
    yield tmp_path
    for pid in engine_processes(tmp_path, "tune"):
        os.kill(pid, signal.SIGKILL)


def start(at, name: str, trials: int | None = 2, minutes: float | None = None, epochs: int | None = 1, model="mf"):
    at.selectbox(key=keys.TRAIN_MODEL).set_value(model).run()
    at.text_input(key=keys.TUNE_NAME).set_value(name)
    at.number_input(key=keys.TUNE_TRIALS).set_value(trials)
    at.number_input(key=keys.TUNE_MINUTES).set_value(minutes)
    at.number_input(key=keys.TUNE_EPOCHS).set_value(epochs)
    return next(button for button in at.button if button.label == "Start study").click().run()


@pytest.mark.parametrize(
    ("trials", "minutes", "expected"),
    [(3, None, (3, None)), (None, 2.5, (TRIALS_UNDER_TIME, 150.0)), (5, 1.0, (5, 60.0)), (None, None, (20, None))],
)
def test_the_budget_is_trials_minutes_or_both(trials, minutes, expected) -> None:
    assert budget(trials, minutes) == expected


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "give the study a name"),
        ({"name": "../up"}, "study name '../up' must be 1-80 letters"),
        ({"name": "s", "trials": 0}, "trials must be at least 1 (got 0)"),
        ({"name": "s", "minutes": 0.0}, "minutes must be more than 0 (got 0)"),
        ({"name": "s", "epochs": 0}, "epochs per trial must be at least 1 (got 0)"),
    ],
)
def test_bad_input_is_refused_with_a_message(app_at, runs_dir: Path, fields: dict, message: str) -> None:
    at = start(app_at(PAGE, runs_dir=runs_dir), **fields)
    assert not at.exception
    errors = [shown(error.value) for error in at.error]
    assert any("Not started" in text and message in text for text in errors), errors
    assert study_names(runs_dir) == [] and not (runs_dir / ".logs" / "studies").exists()
    assert engine_processes(runs_dir, "tune") == []


def test_a_name_that_exists_with_another_model_is_refused(app_at, runs_dir: Path) -> None:
    tune_sample_study(runs_dir, "taken", "mf", trials=1, epochs=1)
    at = start(app_at(PAGE, runs_dir=runs_dir), "taken", model="lightgcn")
    errors = [shown(error.value) for error in at.error]
    assert any("study 'taken' exists with other settings" in text and "model 'mf' there, 'lightgcn' now" in text
               for text in errors), errors  # fmt: skip
    assert engine_processes(runs_dir, "tune") == []


def test_start_runs_the_study_and_shows_its_history_and_the_way_to_the_tune_page(app_at, runs_dir: Path) -> None:
    at = start(app_at(PAGE, runs_dir=runs_dir), "form-study", trials=2, epochs=1)
    assert not at.exception and not at.error
    assert at.session_state[keys.TRAIN_STUDY] == "form-study"
    deadline = time.monotonic() + WAIT_SECONDS
    while engine_processes(runs_dir, "tune") or "form-study" not in study_names(runs_dir):
        assert time.monotonic() < deadline, "the tune process did not finish"
        time.sleep(0.5)
    info = study_info(runs_dir, "form-study")
    assert (info.done + info.pruned, info.model, info.meta["epochs"]) == (2, "mf", 1)
    at.run()
    assert not at.exception
    progress = [shown(bar.proto.text) for bar in at.get("progress")]
    assert any(text.startswith("2/2 trials: ") for text in progress), progress
    assert any("Study form-study finished" in shown(box.value) for box in at.success)
    history = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert any(spec["layout"]["title"]["text"].startswith("Optimisation history") for spec in history)
    links = at.get("page_link")
    assert any(link.proto.label == "Open in the Tune view" and link.proto.query_string == "study=form-study"
               for link in links)  # fmt: skip
