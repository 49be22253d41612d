"""AppTest of the Train page's *Custom model* field: a user's Recommender trained from the browser, bad ones refused."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.runs.runstore import RunStore
from tests.dashboard.shown import shown
from tests.dashboard.test_train_page import PAGE, training_processes, wait_for

CUSTOM = "tests.support.custom_models:BiasedMF"


@pytest.fixture
def runs_dir(tmp_path: Path):
    yield tmp_path
    for pid in training_processes(tmp_path):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("nopkg.models:TwoTower", "Custom model: cannot import module 'nopkg.models'"),
        ("tests.support.custom_models:NoLoss", "NoLoss does not implement loss (abstract in Recommender)"),
        ("two tower", "Custom model: unknown model 'two tower'"),
    ],
)
def test_a_custom_model_that_cannot_train_is_named_and_no_form_is_shown(app_at, runs_dir, typed, message):
    at = app_at(PAGE, runs_dir=runs_dir)
    at.text_input(key=keys.TRAIN_CUSTOM_MODEL).set_value(typed).run()
    assert not at.exception
    assert any(message in shown(error.value) for error in at.error)
    assert not any(button.label == "Start training" for button in at.button)


def test_a_custom_model_trains_from_the_page(app_at, runs_dir):
    at = app_at(PAGE, runs_dir=runs_dir)
    at.text_input(key=keys.TRAIN_CUSTOM_MODEL).set_value(CUSTOM).run()
    assert not at.exception
    assert [w.label for w in at.number_input if w.key.startswith(f"{keys.TRAIN_PARAM_PREFIX}{CUSTOM}_")] == [
        "Initial std"
    ]
    prefix = f"{keys.TRAIN_FIELD_PREFIX}{CUSTOM}_"
    at.number_input(key=prefix + "epochs").set_value(1)
    at.number_input(key=prefix + "dim").set_value(8)
    at = next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception and not at.error
    run_id = at.session_state[keys.TRAIN_RUN_ID]
    run = wait_for(runs_dir, run_id, lambda run: run.state in ("finished", "failed"), "finished")
    assert run.state == "finished", run.status.get("error")
    assert RunStore(runs_dir).get(run_id).config["model"] == CUSTOM
