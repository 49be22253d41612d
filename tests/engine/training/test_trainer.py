"""Every model trains end to end on the bundled sample data and leaves a complete, loadable run directory."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.models import MODELS
from engine.runs.config import TrainConfig, resolve
from engine.runs.rundir import RunDir, read_run
from engine.runs.runstore import RunStore
from engine.training import load_run, resume, train

ROOT = Path(__file__).resolve().parents[3]
METRIC_KEYS = ("recall", "ndcg", "precision", "hit", "coverage")


def _config(model: str, **changes) -> TrainConfig:
    values = {"model": model, "dataset": "synthetic", "epochs": 2, "dim": 8, "ks": [5, 10], "seed": 3}
    return TrainConfig(**{**values, **changes})


def _check_metrics(record: dict, ks: list[int]) -> None:
    for k in ks:
        for name in METRIC_KEYS:
            assert 0.0 <= record[f"{name}@{k}"] <= 1.0, (name, k, record)
    assert 0.0 < record["mrr"] <= 1.0


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_model_writes_a_complete_run_directory(tmp_path, model):
    config = _config(model, val_ratio=0.1)
    run_dir = train(config, tmp_path, run_id=f"{model}-e2e", progress=False)
    assert run_dir == tmp_path / f"{model}-e2e"

    saved_config = json.loads((run_dir / "config.json").read_text())
    assert saved_config == resolve(config).to_dict()
    assert saved_config["epochs"] == 2 and saved_config["params"], "defaults are resolved into config.json"

    status = json.loads((run_dir / "status.json").read_text())
    assert status["state"] == "finished" and status["epoch"] == status["total_epochs"] == 2
    assert status["pid"] == os.getpid() and status["error"] is None
    assert isinstance(status["started_at"], float) and status["updated_at"] >= status["started_at"]

    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [1, 2]
    for record in records:
        assert np.isfinite(record["loss"]) and record["seconds"] > 0 and record["split"] == "val"
        _check_metrics(record, [5, 10])

    summary = json.loads((run_dir / "summary.json").read_text())
    _check_metrics(summary["test"], [5, 10])
    assert summary["best_epoch"] in (1, 2) and summary["train_seconds"] > 0
    assert summary["selected_by"] == "validation ndcg@10"
    if Path("/proc/self/status").exists():
        assert summary["peak_rss_mib"] > 10

    checkpoint = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert checkpoint["epoch"] == 2 and checkpoint["model"] == model and "optimizer_state" in checkpoint
    best = torch.load(run_dir / "best.pt", weights_only=True)
    assert best["epoch"] == summary["best_epoch"]

    loaded = load_run(run_dir)
    graph = loaded.graph
    for name in ("epoch_0001", "epoch_0002", "best"):
        with np.load(run_dir / "embeddings" / f"{name}.npz") as snapshot:
            assert snapshot["user"].shape == (graph.num_users, 8) and snapshot["item"].shape == (graph.num_items, 8)
            assert snapshot["user"].dtype == np.float32

    assert loaded.epoch == summary["best_epoch"] and not loaded.model.training
    items, scores = loaded.model.recommend(np.arange(3), k=5)
    assert items.shape == scores.shape == (3, 5)
    seen = loaded.split.train.user_csr
    for user in range(3):
        assert not set(items[user]) & set(seen.neighbors(user).tolist())

    info = RunStore(tmp_path).get(f"{model}-e2e")
    assert info.state == "finished" and info.damaged == [] and len(info.metrics) == 2


def test_test_split_is_evaluated_once_after_training_on_the_selected_weights(tmp_path, monkeypatch):
    from engine.training import finish, trainer

    calls = []
    real = trainer.evaluate_users

    def counting(user_emb, item_emb, data, split, ks, batch_size):
        calls.append((split, len(RunDir(tmp_path / "counted").read_metrics())))  # epochs recorded so far
        return real(user_emb, item_emb, data, split, ks, batch_size)

    monkeypatch.setattr(trainer, "evaluate_users", counting)  # the epochs' validation
    monkeypatch.setattr(finish, "evaluate_users", counting)  # the test once training is over
    run_dir = train(_config("mf", epochs=3), tmp_path, run_id="counted", progress=False)
    assert calls == [("val", 0), ("val", 1), ("val", 2), ("test", 3)]
    info = read_run(run_dir)
    assert [record["split"] for record in info.metrics] == ["val", "val", "val"]
    assert info.status["protocol"] == info.summary["protocol"] == info.protocol == "validation-selected"
    best = info.metrics[info.summary["best_epoch"] - 1]
    assert info.summary["validation"]["ndcg@10"] == best["ndcg@10"] == max(r["ndcg@10"] for r in info.metrics)
    per_user = RunDir(run_dir).read_per_user()
    assert len(per_user["users"]) == info.summary["test"]["users"] and per_user["top_items"].shape[1] == 10
    for key in ("recall@5", "ndcg@10", "mrr"):
        assert per_user[key].mean() == pytest.approx(info.summary["test"][key])
    assert per_user["item_degree"].shape == (int(per_user["num_items"]),)


def test_without_validation_the_run_is_test_selected(tmp_path, monkeypatch):
    from engine.training import finish, trainer

    splits = []
    real = trainer.evaluate_users
    counting = lambda *args: splits.append(args[3]) or real(*args)  # noqa: E731
    monkeypatch.setattr(trainer, "evaluate_users", counting)
    monkeypatch.setattr(finish, "evaluate_users", counting)
    run_dir = train(_config("mf", val_ratio=0.0), tmp_path, progress=False)
    assert splits == ["test", "test", "test"]  # every epoch peeks at test: the reason for the label
    info = read_run(run_dir)
    assert info.status["protocol"] == info.summary["protocol"] == "test-selected"
    assert info.summary["selected_by"] == "last epoch" and info.summary["validation"] is None
    assert [record["split"] for record in info.metrics] == ["test", "test"]
    listing = subprocess.run(
        [sys.executable, "-m", "engine", "runs", "--runs-dir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    ).stdout  # fmt: skip
    assert "SELECTED" in listing.splitlines()[0] and "test-selected" in listing.splitlines()[1]


def test_evaluate_command_reproduces_the_summary(tmp_path):
    run_dir = train(_config("mf"), tmp_path, progress=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["selected_by"] == "validation ndcg@10" and (run_dir / "best.pt").exists()
    result = subprocess.run(
        [sys.executable, "-m", "engine", "evaluate", str(run_dir), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    evaluated = json.loads(result.stdout)
    for key, value in summary["test"].items():
        assert evaluated[key] == pytest.approx(value, rel=1e-5), key
    listing = subprocess.run(
        [sys.executable, "-m", "engine", "runs", "--runs-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert run_dir.name in listing and "finished" in listing and "ndcg@10=" in listing
    assert "validation-selected" in listing


@pytest.fixture
def deterministic_kernels():
    """On two CPU threads the backward of a row gather (``x[index]``) adds in a varying order, a difference PinSage's
    hinge grows to 1e-2 within two epochs; deterministic kernels isolate what this test is about: the batches."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    yield
    torch.use_deterministic_algorithms(previous)


@pytest.mark.parametrize("model", ["mf", "graphsage", "pinsage"])  # pinsage: hard negatives start in epoch 2
def test_resumed_run_matches_an_uninterrupted_one(tmp_path, model, deterministic_kernels):
    params = {"num_walks": 20} if model == "pinsage" else {}
    straight = train(_config(model, epochs=4, params=params), tmp_path, run_id="straight", progress=False)
    halves = train(_config(model, epochs=2, params=params), tmp_path, run_id="halves", progress=False)
    resume(halves, epochs=4, progress=False)
    weights = [torch.load(path / "checkpoint.pt", weights_only=True)["model_state"] for path in (straight, halves)]
    for key in weights[0]:
        torch.testing.assert_close(weights[0][key], weights[1][key])
    records = read_run(halves).metrics
    assert [r["epoch"] for r in records] == [1, 2, 3, 4]
    assert read_run(halves).state == "finished"
    with pytest.raises(ValueError, match="already finished 4 epochs"):
        resume(halves, progress=False)


def test_early_stopping_on_a_flat_validation_curve(tmp_path):
    # lr 1e-9 leaves the float32 embeddings unchanged, so validation NDCG never improves after epoch 1
    config = _config("mf", epochs=10, lr=1e-9, val_ratio=0.2, patience=2)
    run_dir = train(config, tmp_path, progress=False)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["stopped_early"] and summary["epochs_run"] == 3 and summary["best_epoch"] == 1
    assert (run_dir / "embeddings" / "epoch_0003.npz").exists(), "the last epoch run keeps a snapshot"


def test_snapshots_are_bounded_and_evenly_spaced(tmp_path):
    run_dir = train(_config("mf", epochs=9, max_snapshots=3, eval_every=2), tmp_path, progress=False)
    names = sorted(path.name for path in (run_dir / "embeddings").iterdir())
    assert names == ["best.npz", "epoch_0002.npz", "epoch_0006.npz", "epoch_0009.npz"]  # best: validation's pick
    evaluated = [r["epoch"] for r in read_run(run_dir).metrics if "ndcg@10" in r]
    assert evaluated == [2, 4, 6, 8, 9]


def _start(tmp_path: Path, run_id: str, epochs: int) -> subprocess.Popen:
    """Train mf in a subprocess; no early stopping, so the run lasts ``epochs`` epochs."""
    command = [sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--model", "mf", "--dim", "8",
               "--batch-size", "64", "--epochs", str(epochs), "--patience", "0", "--runs-dir", str(tmp_path),
               "--run-id", run_id, "--quiet"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_epoch(run_dir: Path, process: subprocess.Popen, epoch: int, timeout: float = 240.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"training ended early: {process.stderr.read()}")
        status = read_run(run_dir).status
        if status.get("epoch", 0) >= epoch:
            return
        time.sleep(0.02)
    raise AssertionError(f"no epoch {epoch} within {timeout} s")


@pytest.mark.slow
def test_killed_run_reads_as_interrupted_and_resumes_to_the_end(tmp_path):
    process = _start(tmp_path, "killed", epochs=10)
    run_dir = tmp_path / "killed"
    try:
        _wait_for_epoch(run_dir, process, 1)
    finally:
        process.kill()  # SIGKILL: no handler runs, the status still says "running"
        process.wait()
    info = read_run(run_dir)
    assert info.status["recorded_state"] == "running" and info.state == "interrupted"
    done = len(info.metrics)
    assert 1 <= done < 10
    listing = subprocess.run([sys.executable, "-m", "engine", "runs", "--runs-dir", str(tmp_path)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, check=True).stdout  # fmt: skip
    assert "interrupted" in listing

    resumed = subprocess.run([sys.executable, "-m", "engine", "train", "--resume", str(run_dir), "--quiet"],
                             cwd=ROOT, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.strip().splitlines()[-1] == str(run_dir)
    info = read_run(run_dir)
    assert info.state == "finished" and info.damaged == []
    assert [r["epoch"] for r in info.metrics] == list(range(1, 11))
    assert info.summary["epochs_run"] == 10


@pytest.mark.slow
def test_sigterm_stops_the_run_and_keeps_its_metrics(tmp_path):
    process = _start(tmp_path, "stopped", epochs=40)
    run_dir = tmp_path / "stopped"
    _wait_for_epoch(run_dir, process, 1)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert out.strip().splitlines()[-1] == str(run_dir)
    assert "continue it with: python -m engine train --resume" in err
    info = read_run(run_dir)
    assert info.state == "stopped" and 1 <= len(info.metrics) < 40
    assert info.status["epoch"] == len(info.metrics)


def test_a_run_failing_while_training_records_its_error_and_traceback(tmp_path, monkeypatch):
    def out_of_memory(config, graph):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr("engine.training.trainer.build_model", out_of_memory)
    with pytest.raises(RuntimeError):
        train(_config("mf"), tmp_path / "runs", run_id="broken", progress=False)
    info = read_run(tmp_path / "runs" / "broken")
    assert info.state == "failed"
    assert "out of memory (simulated)" in info.status["error"]
    assert info.status["traceback"].startswith("Traceback")


def test_missing_data_fails_before_the_run_directory_exists(tmp_path):
    config = _config("mf", dataset=f"csv:{tmp_path / 'missing.csv'}")
    with pytest.raises((ValueError, FileNotFoundError), match="missing.csv"):
        train(config, tmp_path / "runs", run_id="broken", progress=False)
    assert not (tmp_path / "runs").exists()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("model", sorted(MODELS))
def test_cuda_run_loads_back_on_the_cpu(tmp_path, model):
    run_dir = train(_config(model, device="cuda"), tmp_path, progress=False)
    assert read_run(run_dir).status["device"].startswith("cuda")
    loaded = load_run(run_dir, device="cpu")
    user_emb, item_emb = loaded.model.embeddings()
    assert user_emb.device.type == item_emb.device.type == "cpu"
    resume(run_dir, epochs=3, device="cuda", progress=False)
    assert [r["epoch"] for r in read_run(run_dir).metrics] == [1, 2, 3]


def test_checkpoint_of_other_data_is_refused(tmp_path):
    from engine.training import CheckpointError

    run_dir = train(_config("mf", epochs=1), tmp_path, progress=False)
    config = json.loads((run_dir / "config.json").read_text())
    (run_dir / "config.json").write_text(json.dumps({**config, "seed": config["seed"] + 1}))  # another split
    with pytest.raises(CheckpointError, match="trained on other data"):
        load_run(run_dir)
