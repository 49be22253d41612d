"""AppTest of the Train page: the form, real training subprocesses started and stopped from it, and faults."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.runs.runstore import RunStore
from tests.dashboard.shown import shown
from tests.support.sample_runs import engine_processes

PAGE = "views/train.py"
WAIT_SECONDS = 240


def wait_for(runs_dir: Path, run_id: str, done, what: str):
    """Poll the run directory until ``done(run)`` holds; returns the run."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            run = RunStore(runs_dir).get(run_id)
        except ValueError:
            run = None
        if run is not None and done(run):
            return run
        time.sleep(0.5)
    log = (runs_dir / ".logs" / f"{run_id}.log").read_text() if (runs_dir / ".logs").exists() else ""
    pytest.fail(f"run {run_id} never became {what} within {WAIT_SECONDS}s; its output:\n{log}")


def training_processes(runs_dir: Path) -> list[int]:
    """Pids of live ``engine train`` processes writing into ``runs_dir``."""
    return engine_processes(runs_dir, "train")


@pytest.fixture
def runs_dir(tmp_path: Path):
    """An empty runs directory; training processes still writing into it at the end are killed."""
    yield tmp_path
    for pid in training_processes(tmp_path):
        os.kill(pid, signal.SIGKILL)


def submit(at, **fields):
    """Fill trainer fields of the chosen model's form and press Start."""
    prefix = f"{keys.TRAIN_FIELD_PREFIX}{at.session_state[keys.TRAIN_MODEL]}_"
    for name, value in fields.items():
        widget = at.text_input(key=prefix + name) if name == "ks" else at.number_input(key=prefix + name)
        widget.set_value(value)
    return next(button for button in at.button if button.label == "Start training").click().run()


def test_form_is_built_from_the_model_params(app_at) -> None:
    at = app_at(PAGE)
    assert not at.exception
    labels = {widget.label for widget in at.number_input}
    assert {"Layers", "L2 weight", "Initial std", "Epochs", "Learning rate", "Embedding size"} <= labels
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    labels = {widget.label for widget in at.number_input}
    assert "Layers" not in labels and "L2 weight" in labels
    layers = [w for w in at.number_input if w.label == "L2 weight"][0]
    # The bounds are in the help: the input carries none, so that Start can name every out-of-range field.
    assert layers.help == "L2 penalty on the batch's embeddings (engine name `reg`) — from 0 to 1"


def test_finished_fixture_run_shows_full_progress_and_curves(app_at) -> None:
    at = app_at(PAGE)
    assert not at.exception
    assert at.session_state[keys.TRAIN_RUN_ID] == "fixture-mf-1epoch"
    assert "epoch 1/1" in at.get("progress")[0].proto.text
    assert len(at.get("plotly_chart")) == 2
    assert at.query_params["run"] == "fixture-mf-1epoch"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ks": "0, 10"}, "every K must be an integer in [1, 10000]"),
        ({"ks": "10, twenty"}, "got 'twenty'"),
        ({"test_ratio": 0.5, "val_ratio": 0.5}, "must leave training data"),
    ],
)
def test_bad_settings_are_refused_before_anything_starts(app_at, runs_dir: Path, fields: dict, message: str) -> None:
    at = submit(app_at(PAGE, runs_dir=runs_dir), **fields)
    assert not at.exception
    assert any("Not started" in shown(error.value) and message in shown(error.value) for error in at.error)
    assert RunStore(runs_dir).list() == [] and not (runs_dir / ".logs").exists()
    assert training_processes(runs_dir) == []


def test_start_trains_in_a_subprocess_and_the_panel_follows_it(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    at = submit(at, epochs=2, dim=16)
    assert not at.exception
    run_id = at.session_state[keys.TRAIN_RUN_ID]
    assert run_id.startswith("mf-synthetic-")
    run = wait_for(runs_dir, run_id, lambda run: run.state == "finished", "finished")
    assert [record["epoch"] for record in run.metrics] == [1, 2]
    assert run.config["epochs"] == 2 and run.config["dim"] == 16
    at.run()
    assert not at.exception
    assert "epoch 2/2" in at.get("progress")[0].proto.text
    assert len(at.get("plotly_chart")) == 2
    assert frame_with(at, "@20").loc["recall", "@20"] > 0


def test_stop_terminates_the_run_and_keeps_its_metrics(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    at = submit(at, epochs=5000, dim=8)
    run_id = at.session_state[keys.TRAIN_RUN_ID]
    wait_for(runs_dir, run_id, lambda run: run.state == "running" and len(run.metrics) >= 1, "running")
    at.run()
    at.button(key=keys.TRAIN_STOP).click().run()
    assert not at.exception
    run = wait_for(runs_dir, run_id, lambda run: run.state == "stopped", "stopped")
    assert len(run.metrics) >= 1 and run.status["epoch"] < 5000


def test_failed_run_shows_error_and_traceback(app_at, runs_dir: Path) -> None:
    run = RunStore(runs_dir).create("mf", "synthetic", "failed-run")
    run.write_config({"model": "mf", "dataset": "synthetic", "epochs": 3})
    run.update_status(state="failed", total_epochs=3, epoch=1, started_at=time.time(), error="RuntimeError: boom",
                      traceback="Traceback (most recent call last):\n  ...\nRuntimeError: boom")  # fmt: skip
    at = app_at(PAGE, runs_dir=runs_dir)
    assert not at.exception
    assert any("RuntimeError: boom" in shown(error.value) for error in at.error)
    assert any("Traceback (most recent call last)" in code.value for code in at.code)


def test_run_whose_process_died_shows_as_interrupted(app_at, runs_dir: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    run = RunStore(runs_dir).create("mf", "synthetic", "orphan")
    run.write_config({"model": "mf", "dataset": "synthetic", "epochs": 3})
    run.update_status(state="running", pid=dead.pid, total_epochs=3, epoch=1, started_at=time.time())
    at = app_at(PAGE, runs_dir=runs_dir)
    assert not at.exception
    assert any("badge[interrupted]" in markdown.value for markdown in at.markdown)
    assert any("process died" in error.value for error in at.error)
    assert not [button for button in at.button if button.key == keys.TRAIN_STOP]


def test_run_id_in_the_url_cannot_leave_the_runs_directory(app_at) -> None:
    at = app_at(PAGE, query={"run": "../../etc"})
    assert not at.exception
    assert any("not in the runs directory" in warning.value for warning in at.warning)
    assert at.session_state[keys.TRAIN_RUN_ID] == "fixture-mf-1epoch"


def test_unusable_runs_directory_is_a_message(app_at, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    at = app_at(PAGE, runs_dir=not_a_folder)
    assert not at.exception
    assert any("is a file, not a folder" in shown(error.value) for error in at.error)


def test_pinsage_form_refuses_an_empty_hard_negative_band(app_at, runs_dir: Path) -> None:
    """Each band end is in range alone; only together (start above end) are they wrong."""
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("pinsage").run()
    params = f"{keys.TRAIN_PARAM_PREFIX}pinsage_"
    assert at.number_input(key=f"{keys.TRAIN_FIELD_PREFIX}pinsage_num_negatives").value == 16  # the model's default
    at.number_input(key=params + "hard_band_lo").set_value(0.3)
    at.number_input(key=params + "hard_band_hi").set_value(0.1)
    at = next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception
    assert any("Not started" in shown(e.value) and "must be below hard_band_hi" in shown(e.value) for e in at.error)
    assert RunStore(runs_dir).list() == [] and training_processes(runs_dir) == []


def test_start_when_the_log_folder_is_a_file_is_a_message(app_at, runs_dir: Path) -> None:
    (runs_dir / ".logs").write_text("a file where the training logs go")
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    at = submit(at, epochs=1, dim=8)
    assert not at.exception
    assert any(
        "Not started: the training log" in shown(error.value)
        and f"cannot be written (File exists: {runs_dir / '.logs'})" in shown(error.value)
        for error in at.error
    ), [error.value for error in at.error]
    assert RunStore(runs_dir).list() == [] and training_processes(runs_dir) == []


def test_out_of_range_fields_are_all_named_when_start_is_pressed(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    at = submit(at, epochs=0, lr=5.0, batch_size=-3)
    assert not at.exception
    (error,) = [shown(error.value) for error in at.error if "Not started" in shown(error.value)]
    assert "3 fields are out of range" in error
    for name in ("Epochs must be at least 1 (got 0)", "Learning rate must be at most", "Batch size must be at least"):
        assert name in error, error
    assert RunStore(runs_dir).list() == [] and training_processes(runs_dir) == []


def test_start_clears_the_panel_before_the_run_starts(app_at, runs_dir: Path, monkeypatch) -> None:
    """The panel showed the previous run's curves for the half second Start took; now it says a run is starting."""
    import streamlit as st

    import engine.jobs.process

    at = app_at(PAGE)  # follows the finished fixture run: its curves are on the page
    assert len(at.get("plotly_chart")) == 2
    monkeypatch.setattr(engine.jobs.process, "start_training", lambda *_: st.stop())  # the page as Start is handled
    at = next(button for button in at.button if button.label == "Start training").click().run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 0
    assert any("Starting a new run" in info.value for info in at.info)


def test_start_stop_and_resume_notices_stay_in_the_panel_and_resume_continues_the_run(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.selectbox(key=keys.TRAIN_MODEL).set_value("mf").run()
    at = submit(at, epochs=5000, dim=8)
    run_id = at.session_state[keys.TRAIN_RUN_ID]
    assert not at.toast  # a toast covered the run's title and followed the user to other pages
    assert any(f"Started run {run_id}" in shown(info.value) for info in at.info)
    wait_for(runs_dir, run_id, lambda run: run.state == "running" and len(run.metrics) >= 1, "running")
    at.run()
    at.button(key=keys.TRAIN_STOP).click().run()
    assert not at.toast
    stopped = wait_for(runs_dir, run_id, lambda run: run.state == "stopped", "stopped")
    at.run()
    assert not at.exception
    deadline = time.monotonic() + 30  # the stopped process ends a moment after writing its status
    while not [b for b in at.button if b.key == keys.TRAIN_RESUME] and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert any(f"train --resume {stopped.path}" in shown(caption.value) for caption in at.caption)
    at.button(key=keys.TRAIN_RESUME).click().run()
    assert not at.exception and not at.toast
    resumed = wait_for(
        runs_dir, run_id, lambda run: run.state == "running" and len(run.metrics) > len(stopped.metrics), "resumed"
    )
    assert resumed.metrics[len(stopped.metrics)]["epoch"] == stopped.metrics[-1]["epoch"] + 1  # from its checkpoint
    at.run()
    at.button(key=keys.TRAIN_STOP).click().run()
    wait_for(runs_dir, run_id, lambda run: run.state == "stopped", "stopped again")
