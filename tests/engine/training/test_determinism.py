"""Same config, seed and thread count, same numbers: every model twice on two threads, and once stopped and resumed.

Before ``engine/training/determinism.py`` two GraphSAGE runs on synthetic logged first-epoch losses 0.6085988235599634
and 0.608598802661374; with ``deterministic=False`` this module fails for every model on two threads.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import engine.training.trainer as trainer
from engine.commands import train_command
from engine.experiments.runner import _comparable
from engine.models import MODELS
from engine.runs.config import TrainConfig, resolve
from engine.runs.rundir import read_run
from engine.training import train
from engine.training.determinism import reproducible

ROOT = Path(__file__).resolve().parents[3]
THREADS = 2  # the two cores; a single thread adds in one order whatever the kernels


def _config(model: str) -> TrainConfig:
    params = {"num_walks": 20} if model == "pinsage" else {}
    return TrainConfig(model=model, dataset="synthetic", epochs=3, dim=16, seed=0, threads=THREADS, params=params)


def _numbers(run_dir: Path) -> dict:
    """Everything a run computed: metrics.jsonl without its timings, the test metrics and the last embeddings."""
    info = read_run(run_dir)
    with np.load(run_dir / "embeddings" / "epoch_0003.npz") as last:
        embeddings = {key: last[key] for key in last.files}
    return {
        "metrics": [{key: value for key, value in record.items() if key != "seconds"} for record in info.metrics],
        "test": info.summary["test"],
        "embeddings": embeddings,
    }


def _assert_same(first: dict, second: dict) -> None:
    assert [r["epoch"] for r in first["metrics"]] == [1, 2, 3]
    assert first["metrics"] == second["metrics"], "losses and metrics must be equal, not close"
    assert first["test"] == second["test"]
    for key, array in first["embeddings"].items():
        assert array.tobytes() == second["embeddings"][key].tobytes(), f"{key} embeddings differ"


def _stop_in_epoch_two(monkeypatch) -> None:
    """SIGTERM (the Stop button) to this process after the third batch of epoch 2."""
    train_epoch = trainer.train_epoch

    def stopped(model, optimizer, loader, epoch, stop=None, on_batch=None, *rest):
        def after_batch(done: int) -> None:
            if on_batch is not None:
                on_batch(done)
            if epoch == 2 and done == 3:
                os.kill(os.getpid(), signal.SIGTERM)

        return train_epoch(model, optimizer, loader, epoch, stop, after_batch, *rest)

    monkeypatch.setattr(trainer, "train_epoch", stopped)


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(MODELS))
def test_two_runs_and_a_stopped_and_resumed_one_compute_the_same_numbers(tmp_path, monkeypatch, model):
    first = train(_config(model), tmp_path, run_id="first", progress=False)
    second = train(_config(model), tmp_path, run_id="second", progress=False)
    _assert_same(_numbers(first), _numbers(second))

    with monkeypatch.context() as patch:
        _stop_in_epoch_two(patch)
        halted = train(_config(model), tmp_path, run_id="halted", progress=False)
    info = read_run(halted)
    assert info.state == "stopped" and info.status["epoch"] == 1 and info.status["threads"] == THREADS
    # --resume in a process whose own default is one thread: the run's recorded two threads must be used
    command = [sys.executable, "-m", "engine", "train", "--resume", str(halted), "--quiet"]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    info = read_run(halted)
    assert info.state == "finished" and info.status["threads"] == THREADS and info.config["threads"] == THREADS
    _assert_same(_numbers(first), _numbers(halted))


def test_a_config_without_threads_or_deterministic_trains_as_before():
    saved = resolve(TrainConfig(model="mf")).to_dict()
    del saved["threads"], saved["deterministic"]  # a config.json written before they were recorded
    config = resolve(TrainConfig.from_dict(saved))
    assert config.threads == torch.get_num_threads() and config.deterministic is True


def test_an_experiment_member_saved_before_threads_were_recorded_is_still_its_member():
    member = resolve(TrainConfig(model="mf", threads=1)).to_dict()
    saved = {key: value for key, value in member.items() if key not in ("threads", "deterministic")}
    assert _comparable(saved) == _comparable(member) != _comparable({**saved, "deterministic": False})
    assert _comparable({**member, "threads": 7}) == _comparable(member), "a resumed member keeps its own threads"


def test_the_reproduce_command_carries_the_threads_and_the_kernels():
    command = train_command(resolve(TrainConfig(model="graphsage", threads=3, deterministic=False)), "runs")
    assert command[command.index("--threads") + 1] == "3"
    assert command[command.index("--deterministic") + 1] == "False"


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_deterministic_must_be_a_bool(value):
    with pytest.raises(ValueError, match="'deterministic' must be true or false"):
        resolve(TrainConfig(model="mf", deterministic=value))


def test_reproducible_restores_the_process_settings():
    before = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    with reproducible(1, not before[1], torch.device("cpu")):
        assert torch.get_num_threads() == 1 and torch.are_deterministic_algorithms_enabled() is not before[1]
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before
