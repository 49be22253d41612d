"""The worker accepts only the jobs its own client writes: a ``train`` command for a run inside its runs directory,
maps of a run inside it; an orphaned projection child never removes the next child's running job."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from engine.commands import resume_command, train_command
from engine.jobs.projection_queue import RUNNING_PROJECTION, _clear_running, job_problem
from engine.jobs.server import training_job_problem
from engine.runs.config import TrainConfig
from engine.runs.rundir import RunDir


def client_job(runs_dir: Path, run_id: str = "run-a") -> dict:
    """A training job as engine.jobs.process.start_training writes it."""
    command = train_command(TrainConfig(), runs_dir.resolve(), run_id)
    run = runs_dir / run_id
    return {"argv": command[3:], "log": str(RunDir(run).log_path.resolve()), "run": str(run.absolute())}


def test_the_clients_own_jobs_are_accepted(tmp_path: Path) -> None:
    assert training_job_problem(client_job(tmp_path), tmp_path) is None
    (tmp_path / "run-a").mkdir()
    resumed = {**client_job(tmp_path), "argv": resume_command(tmp_path / "run-a")[3:]}
    assert training_job_problem(resumed, tmp_path) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"argv": ["data", "generate-synthetic", "--out", "/tmp/x"]}, "not a command the worker runs"),
        ({"argv": [sys.executable, "-c", "print(1)"]}, "not a command the worker runs"),
        ({"argv": []}, "not a list of words"),
        ({"argv": "train"}, "not a list of words"),
        ({"argv": ["train", 5]}, "not a list of words"),
        ({"run": "/etc/run-a"}, "is not inside"),
        ({"run": None}, "names no log or no run"),
        ({"log": "/tmp/elsewhere.log"}, "is not the run's log"),
    ],
)
def test_a_forged_training_job_is_refused(tmp_path: Path, change: dict, says: str) -> None:
    assert says in training_job_problem({**client_job(tmp_path), **change}, tmp_path)


def test_a_job_whose_command_trains_another_run_is_refused(tmp_path: Path) -> None:
    other = client_job(tmp_path, "run-b")
    assert "trains another run" in training_job_problem({**client_job(tmp_path), "argv": other["argv"]}, tmp_path)
    elsewhere = train_command(TrainConfig(), tmp_path / "sub", "run-a")[3:]
    assert "trains another run" in training_job_problem({**client_job(tmp_path), "argv": elsewhere}, tmp_path)
    outside = resume_command(tmp_path.parent / "run-a")[3:]
    assert "trains another run" in training_job_problem({**client_job(tmp_path), "argv": outside}, tmp_path)


def test_a_linked_run_is_not_inside_the_runs_directory(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "run-a").symlink_to(tmp_path / "elsewhere")
    assert "is not inside" in training_job_problem(client_job(runs), runs)
    job = {"run": str(runs / "run-a"), "epochs": [1], "method": "umap"}
    assert "link" in job_problem(job, runs)


def test_projection_jobs_name_a_run_of_the_runs_directory(tmp_path: Path) -> None:
    (tmp_path / "run-a").mkdir()
    good = {"run": str(tmp_path / "run-a"), "epochs": [1, 2], "method": "umap"}
    assert job_problem(good, tmp_path) is None
    assert "is not a run directory" in job_problem({**good, "run": "/etc"}, tmp_path)
    assert "is not a run directory" in job_problem({**good, "run": str(tmp_path / "missing")}, tmp_path)
    assert "is not a run directory" in job_problem({**good, "run": 7}, tmp_path)
    assert "method" in job_problem({**good, "method": "rm -rf"}, tmp_path)
    assert "epochs" in job_problem({**good, "epochs": ["1"]}, tmp_path)
    assert "epochs" in job_problem({**good, "epochs": [True]}, tmp_path)


def test_an_orphaned_child_leaves_the_next_childs_running_job(tmp_path: Path) -> None:
    running = tmp_path / RUNNING_PROJECTION
    running.write_text(json.dumps({"id": "job-of-the-next-child", "run": "x"}))
    _clear_running(tmp_path, "job-of-the-orphan")
    assert json.loads(running.read_text())["id"] == "job-of-the-next-child"
    _clear_running(tmp_path, "job-of-the-next-child")
    assert not running.exists()


def tune_job(runs_dir: Path, name: str = "study-a") -> dict:
    """A tune job as engine.jobs.process.start_tuning writes it."""
    from engine.commands import tune_command
    from engine.jobs.client import study_log_path

    command = tune_command(name, "synthetic", "mf", runs_dir.resolve(), {"trials": 3})
    return {"argv": command[3:], "log": str(study_log_path(runs_dir, name).resolve()), "study": name}


def test_the_clients_own_tune_jobs_are_accepted(tmp_path: Path) -> None:
    assert training_job_problem(tune_job(tmp_path), tmp_path) is None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"study": "other"}, "its command line tunes another study than 'other'"),
        ({"study": "../up"}, "study name '../up' must be"),
        ({"study": None}, "names no log or no study"),
        ({"log": "/tmp/elsewhere.log"}, "is not the study's log"),
    ],
)
def test_a_forged_tune_job_is_refused(tmp_path: Path, change: dict, says: str) -> None:
    assert says in training_job_problem({**tune_job(tmp_path), **change}, tmp_path)


def test_a_tune_job_of_another_runs_directory_is_refused(tmp_path: Path) -> None:
    elsewhere = tune_job(tmp_path / "sub")
    assert "is not in" in training_job_problem({**tune_job(tmp_path), "argv": elsewhere["argv"]}, tmp_path)
