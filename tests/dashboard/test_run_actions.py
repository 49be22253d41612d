"""AppTest: the Runs page's Resume (a stopped run continued to more epochs) and Clone (a run's settings in the Train
form) — issue 22, point 4."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from dashboard.components.run_actions import clone_values
from dashboard.state import keys
from engine.runs.query import config_diff
from engine.runs.runstore import RunStore
from tests.dashboard.shown import shown
from tests.dashboard.test_train_page import training_processes, wait_for
from tests.support.sample_runs import stopped_sample_run, train_sample_run

PAGE = "views/runs.py"


@pytest.fixture(scope="module")
def action_runs(tmp_path_factory: pytest.TempPathFactory):
    """A runs directory with a stopped MF run and a finished LightGCN run; processes left running are killed."""
    runs_dir = tmp_path_factory.mktemp("action-runs")
    stopped_sample_run(runs_dir, "stopped-mf", "mf")
    train_sample_run(runs_dir, "done-lightgcn", "lightgcn", 1)
    yield runs_dir
    for pid in training_processes(runs_dir):
        os.kill(pid, signal.SIGKILL)


def pick(at, run_id: str):
    return at.selectbox(key=keys.RUNS_ACTION_PICK).set_value(run_id).run()


def test_a_finished_run_can_be_cloned_but_not_resumed(app_at, action_runs: Path) -> None:
    at = pick(app_at(PAGE, runs_dir=action_runs), "done-lightgcn")
    assert not at.exception, at.exception
    assert not [button for button in at.button if button.key == "runs_resume"]
    assert any("only a stopped, interrupted or failed run can be resumed" in shown(c.value) for c in at.caption)
    assert [button for button in at.button if button.key == "runs_clone"]


def test_resume_continues_a_stopped_run_to_more_epochs_and_follows_it(app_at, action_runs: Path) -> None:
    stopped = RunStore(action_runs).get("stopped-mf")
    done = stopped.metrics[-1]["epoch"]
    at = pick(app_at(PAGE, runs_dir=action_runs), "stopped-mf")
    epochs = at.number_input(key=f"{keys.RUNS_RESUME_EPOCHS}_stopped-mf")
    assert epochs.value == 10_000 and epochs.min == done  # its plan; never fewer than it has
    assert any(f"--resume {stopped.path} --epochs 10000" in shown(c.value) for c in at.caption)
    epochs.set_value(done + 2).run()
    at.button(key="runs_resume").click().run()
    assert not at.exception, at.exception
    assert at.session_state[keys.TRAIN_RUN_ID] == "stopped-mf"  # the Train page follows it
    assert any("Resumed run stopped-mf to" in shown(info.value) for info in at.info)
    finished = wait_for(action_runs, "stopped-mf", lambda run: run.state == "finished", "finished")
    assert [record["epoch"] for record in finished.metrics][-3:] == [done, done + 1, done + 2]


def test_clone_fills_the_train_form_with_the_runs_settings(app_at, action_runs: Path) -> None:
    source = RunStore(action_runs).get("done-lightgcn")
    at = pick(app_at(PAGE, runs_dir=action_runs), "done-lightgcn")
    at.button(key="runs_clone").click().run()
    assert not at.exception, at.exception
    assert at.session_state[keys.TRAIN_MODEL] == "lightgcn"
    assert any("Settings of run done-lightgcn, cloned" in shown(info.value) for info in at.info)
    assert at.number_input(key=f"{keys.TRAIN_FIELD_PREFIX}lightgcn_epochs").value == 1
    assert at.number_input(key=f"{keys.TRAIN_FIELD_PREFIX}lightgcn_dim").value == 16  # not the default 64
    at.switch_page("views/train.py")  # AppTest reruns the page it was last switched to, not the one the app opened
    next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception, at.exception
    new_id = at.session_state[keys.TRAIN_RUN_ID]
    assert new_id != "done-lightgcn"
    clone = wait_for(action_runs, new_id, lambda run: run.state == "finished", "finished")
    differ = {field for field, _, _ in config_diff(source.config, clone.config)}
    # The same settings: a new run differs only by name, and by `threads`, which the Train form does not set (the new
    # run takes this machine's default; the source may have been trained under another OMP_NUM_THREADS).
    assert differ <= {"run_id", "threads"}, differ


def test_clone_values_name_every_widget_and_refuse_an_unknown_model(action_runs: Path) -> None:
    config = json.loads((action_runs / "done-lightgcn" / "config.json").read_text())
    values = clone_values(config)
    assert values[keys.TRAIN_MODEL] == "lightgcn"
    assert values[f"{keys.TRAIN_FIELD_PREFIX}lightgcn_ks"] == ", ".join(map(str, config["ks"]))
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        clone_values({**config, "model": "nope"})
