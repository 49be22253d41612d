"""Background processes: distinct run ids, real training subprocesses, a guarded Stop, bounded log tails."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from engine.jobs.process import start_training, stop_training
from engine.runs.config import TrainConfig, resolve
from engine.runs.logs import log_tail
from engine.runs.names import new_run_id
from engine.runs.rundir import RunInfo
from engine.runs.runstore import RunStore


def test_two_launches_at_once_get_two_run_directories(tmp_path: Path) -> None:
    config = resolve(TrainConfig(dataset="synthetic", model="mf", epochs=1, dim=8))
    first, second = start_training(config, tmp_path), start_training(config, tmp_path)
    assert first.run_id != second.run_id
    for started in (first, second):
        assert started.process.wait(timeout=300) == 0, log_tail(started.log_path)
        assert started.log_path == tmp_path / ".logs" / f"{started.run_id}.log"
    runs = {run.run_id: run for run in RunStore(tmp_path).list()}
    assert set(runs) == {first.run_id, second.run_id}
    assert all(run.state == "finished" and len(run.metrics) == 1 for run in runs.values())


def test_run_ids_are_unique_and_safe() -> None:
    config = TrainConfig(dataset="csv:/data/My Ratings (2024).csv", model="mf")
    ids = {new_run_id(config.model, config.dataset) for _ in range(200)}
    assert len(ids) == 200
    assert all(run_id.startswith("mf-My-Ratings-2024-") for run_id in ids)


def run_with(state: str, pid: object) -> RunInfo:
    return RunInfo("r", Path("/nonexistent"), {}, {"state": state, "pid": pid}, [], None)


def test_stop_never_signals_a_process_that_is_not_training() -> None:
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        message = stop_training(run_with("running", bystander.pid))
        assert "no live training process" in message
        time.sleep(0.2)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


@pytest.mark.parametrize(
    ("state", "pid", "expected"), [("finished", 123, "already finished"), ("running", None, "pid None")]
)
def test_stop_explains_why_nothing_was_done(state: str, pid: object, expected: str) -> None:
    assert expected in stop_training(run_with(state, pid))


def test_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    assert log_tail(log) == ""
    log.write_text("\n".join(f"line {i}" for i in range(100)) + "\n")
    assert log_tail(log, 3) == "line 97\nline 98\nline 99"


def test_an_experiment_runs_in_the_background_into_its_members(tmp_path: Path) -> None:
    from engine.experiments import ExperimentSpec, member_states
    from engine.jobs.process import start_experiment

    spec = ExperimentSpec("bg", "synthetic", ["mf"], [0, 1], epochs=1, base={"ks": [10]})
    started = start_experiment(spec, tmp_path)
    assert started.process.wait(timeout=300) == 0, log_tail(started.log_path)
    assert started.log_path == tmp_path / ".logs" / "experiments" / "bg.log"
    assert "experiment bg: 2 runs finished" in log_tail(started.log_path)
    assert member_states(tmp_path, "bg") == {"bg-mf-g0-s0": "finished", "bg-mf-g0-s1": "finished"}


def test_a_bad_experiment_is_refused_before_a_process_starts(tmp_path: Path) -> None:
    from engine.experiments import ExperimentSpec
    from engine.jobs.process import start_experiment

    with pytest.raises(ValueError, match="unknown model 'svd'"):
        start_experiment(ExperimentSpec("bad", "synthetic", ["svd"], [0]), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_study_runs_in_the_background_and_a_bad_one_is_refused_before(tmp_path: Path) -> None:
    from engine.jobs.process import start_tuning
    from engine.tuning import study_info

    started = start_tuning("bg-study", "synthetic", "mf", tmp_path, trials=2, epochs=1)
    assert started.process.wait(timeout=300) == 0, log_tail(started.log_path)
    assert started.log_path == tmp_path / ".logs" / "studies" / "bg-study.log"
    assert "study bg-study: 2 finished" in log_tail(started.log_path)
    info = study_info(tmp_path, "bg-study")
    assert (info.done, info.model, info.meta["epochs"]) == (2, "mf", 1)
    for arguments, trials, message in [
        (("bg-study", "synthetic", "lightgcn"), 2, "study 'bg-study' exists with other settings (model 'mf' there, "),
        (("new", "synthetic", "mf"), 0, "--trials must be at least 1 (got 0)"),
        (("-x", "synthetic", "mf"), 2, "study name '-x' must be"),
        (("new", "synthetic", "svd"), 2, "unknown model 'svd'"),
    ]:
        with pytest.raises(ValueError, match=re.escape(message)):
            start_tuning(*arguments, tmp_path, trials=trials, epochs=1)
    assert sorted(path.name for path in (tmp_path / ".logs" / "studies").iterdir()) == ["bg-study.log"]
