"""AppTest of the Train page's experiment form: bad input refused with a message, a real experiment process started,
its progress, and the link to its comparison on the Runs page."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.experiments import ExperimentSpec, list_experiments, member_states, run_experiment
from tests.dashboard.shown import shown
from tests.support.sample_runs import engine_processes

PAGE = "views/train.py"
WAIT_SECONDS = 300


def experiment_processes(runs_dir: Path) -> list[int]:
    """Pids of live ``engine experiment`` processes writing into ``runs_dir``."""
    return engine_processes(runs_dir, "experiment")


@pytest.fixture
def runs_dir(tmp_path: Path):
    """An empty runs directory; experiment processes still writing into it at the end are killed."""
    yield tmp_path
    for pid in experiment_processes(tmp_path):
        os.kill(pid, signal.SIGKILL)


def start(at, name: str, models: list[str] | None = None, seeds: str = "0,1", epochs: int | None = 1, grid: str = ""):
    """Fill the experiment form and press Start experiment."""
    at.text_input(key=keys.EXPERIMENT_NAME).set_value(name)
    at.multiselect(key=keys.EXPERIMENT_MODELS).set_value(["mf"] if models is None else models)
    at.text_input(key=keys.EXPERIMENT_SEEDS).set_value(seeds)
    at.number_input(key=keys.EXPERIMENT_EPOCHS).set_value(epochs)
    at.text_area(key=keys.EXPERIMENT_GRID).set_value(grid)
    return next(button for button in at.button if button.label == "Start experiment").click().run()


def errors(at) -> list[str]:
    return [shown(error.value) for error in at.error]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "give the experiment a name"),
        ({"name": "../up"}, "invalid experiment name '../up'"),
        ({"name": "x", "models": []}, "pick at least one model"),
        ({"name": "x", "seeds": "0,x"}, "--seeds expects comma-separated whole numbers such as 0,1,2 (got '0,x')"),
        ({"name": "x", "seeds": ""}, "give at least one seed"),
        ({"name": "x", "grid": "mf.lr"}, "--grid expects MODEL.PARAM=V1,V2"),
        ({"name": "x", "models": ["mf", "lightgcn"], "grid": "mf.lr=0.1,0.01"}, "same tuning budget"),
        ({"name": "x", "seeds": "0,-1"}, "--seeds must not be negative"),
        ({"name": "x", "seeds": "1,1"}, "must not repeat"),
    ],
)
def test_bad_input_is_refused_with_a_message(app_at, runs_dir: Path, fields: dict, message: str) -> None:
    at = start(app_at(PAGE, runs_dir=runs_dir), **fields)
    assert not at.exception
    assert any("Not started" in text and message in text for text in errors(at)), errors(at)
    assert list_experiments(runs_dir) == [] and not (runs_dir / ".logs").exists()
    assert experiment_processes(runs_dir) == []


def test_a_name_that_exists_with_other_settings_is_refused(app_at, runs_dir: Path) -> None:
    run_experiment(ExperimentSpec("taken", "synthetic", ["mf"], [0], epochs=1), runs_dir, progress=False)
    at = start(app_at(PAGE, runs_dir=runs_dir), "taken", seeds="0,1")
    assert not at.exception
    assert any("experiment 'taken' already exists" in text and "seeds: [0] there, [0, 1] now" in text
               for text in errors(at)), errors(at)  # fmt: skip
    assert experiment_processes(runs_dir) == []


def test_start_runs_the_experiment_and_shows_its_progress_and_the_way_to_compare(app_at, runs_dir: Path) -> None:
    at = start(app_at(PAGE, runs_dir=runs_dir), "tiny", models=["mf", "lightgcn"], seeds="0,1", epochs=1)
    assert not at.exception and not at.error
    assert at.session_state[keys.TRAIN_EXPERIMENT] == "tiny"
    deadline = time.monotonic() + WAIT_SECONDS
    while not experiment_processes(runs_dir) == [] or list_experiments(runs_dir) != ["tiny"]:
        assert time.monotonic() < deadline, "the experiment process did not finish"
        time.sleep(0.5)
    assert set(member_states(runs_dir, "tiny").values()) == {"finished"}
    at.run()
    assert not at.exception
    progress = [bar.proto.text for bar in at.get("progress")]
    assert any("4/4 runs finished" in text for text in map(shown, progress)), progress
    assert any("Experiment tiny finished: 4 runs." in shown(box.value) for box in at.success)
    links = [link for link in at.get("page_link")]
    assert any(link.proto.label == "Compare on the Runs page" and "showing tiny" in shown(link.proto.help)
               for link in links)  # fmt: skip
    assert any(link.proto.query_string == "experiment=tiny" for link in links), [link.proto for link in links]
