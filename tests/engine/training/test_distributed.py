"""Data-parallel training with real ``torchrun`` processes (gloo, CPU): one run written by rank 0, resumable, stopped
by a signal to any rank, refused when it would not fit."""

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

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader
from engine.runs.runstore import RunStore

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 300
SMALL = ["--dataset", "synthetic", "--model", "lightgcn", "--dim", "16", "--quiet"]


def torchrun(*argv: str, processes: int = 2, wait: bool = True) -> subprocess.CompletedProcess | subprocess.Popen:
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
    command += ["-m", "engine", *argv]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    if not wait:
        return subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT_S)


def read(path: Path, name: str) -> dict:
    return json.loads((path / name).read_text())


def epochs_of(path: Path) -> list[int]:
    return [json.loads(line)["epoch"] for line in (path / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_two_processes_train_one_run_that_rank_0_writes_and_resume_extends(tmp_path):
    done = torchrun("train", *SMALL, "--epochs", "2", "--runs-dir", str(tmp_path), "--run-id", "ddp")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines() == [str(tmp_path / "ddp")]  # rank 0 alone prints the run
    runs = RunStore(tmp_path).list()
    assert [run.run_id for run in runs] == ["ddp"]
    run = tmp_path / "ddp"
    config, status, summary = read(run, "config.json"), read(run, "status.json"), read(run, "summary.json")
    assert config["world_size"] == 2 and status["world_size"] == 2
    assert status["state"] == "finished" and epochs_of(run) == [1, 2]
    assert summary["test"]["ndcg@10"] > 0.05  # it learned: from random vectors NDCG@10 is about 0.01
    again = torchrun("train", "--resume", str(run), "--epochs", "3", "--quiet")
    assert again.returncode == 0, again.stderr
    assert epochs_of(run) == [1, 2, 3] and read(run, "status.json")["state"] == "finished"


def two_ranks_past_their_first_epoch(runs_dir: Path, run_id: str) -> tuple[subprocess.Popen, Path, dict[int, int]]:
    """A long 2-process run, once its first epoch is written: torchrun's process, the run, and pid by rank."""
    process = torchrun("train", *SMALL, "--epochs", "200", "--runs-dir", str(runs_dir), "--run-id", run_id, wait=False)
    run = runs_dir / run_id
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline and not (run / "metrics.jsonl").exists():
        time.sleep(0.5)
    assert (run / "metrics.jsonl").exists(), process.communicate(timeout=30)
    workers = subprocess.run(["pgrep", "-f", "-P", str(process.pid), "engine"], capture_output=True, text=True)
    ranks = {rank_of(int(pid)): int(pid) for pid in workers.stdout.split()}
    assert sorted(ranks) == [0, 1], workers.stdout
    return process, run, ranks


@pytest.mark.slow
def test_sigterm_to_one_rank_stops_every_rank_and_the_run_resumes(tmp_path):
    process, run, ranks = two_ranks_past_their_first_epoch(tmp_path, "stop-me")
    os.kill(ranks[1], signal.SIGTERM)  # one rank only
    out, err = process.communicate(timeout=TIMEOUT_S)
    status = read(run, "status.json")
    assert status["state"] == "stopped", (out, err)
    stopped_at = status["epoch"]
    assert 1 <= stopped_at < 200 and epochs_of(run) == list(range(1, stopped_at + 1))
    resumed = torchrun("train", "--resume", str(run), "--epochs", str(stopped_at + 1), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert epochs_of(run)[-1] == stopped_at + 1 and read(run, "status.json")["state"] == "finished"


@pytest.mark.slow
def test_a_rank_that_dies_fails_the_run_naming_it_and_the_run_resumes(tmp_path):
    process, run, ranks = two_ranks_past_their_first_epoch(tmp_path, "lose-one")
    os.kill(ranks[1], signal.SIGKILL)  # no chance to say goodbye
    out, err = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode != 0
    status = read(run, "status.json")
    assert status["state"] == "failed", (out, err)
    assert status["error"].startswith("rank 1 of this 2-process run stopped answering"), status["error"]
    assert "--resume RUN_DIR" in status["error"] and "error: rank 0: rank 1 of this" in err
    resumed = torchrun("train", "--resume", str(run), "--epochs", str(status["epoch"] + 1), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert read(run, "status.json")["state"] == "finished"


def rank_of(pid: int) -> int:
    environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return int(next(entry for entry in environment if entry.startswith(b"RANK=")).split(b"=", 1)[1])


@pytest.mark.slow
def test_more_processes_than_batches_is_refused_before_a_run_folder_exists(tmp_path):
    done = torchrun("train", *SMALL, "--epochs", "1", "--batch-size", "1000000", "--runs-dir", str(tmp_path))
    assert done.returncode != 0
    # Each rank prints the one error line; torchrun then reports its failed children with its own traceback.
    errors = [line for line in done.stderr.splitlines() if "error: torchrun started 2 processes" in line]
    assert len(errors) == 2 and "only 1 batch(es)" in errors[0] and "--nproc-per-node 1" in errors[0]
    assert not any(tmp_path.iterdir())


def test_shards_split_each_epoch_evenly_across_ranks_with_their_own_streams():
    rng = np.random.default_rng(0)
    pairs = np.unique(rng.integers(0, 20, 301) * 30 + rng.integers(0, 30, 301))
    graph = InteractionGraph(pairs // 30, pairs % 30, 20, 30)
    loaders = [LinkBatchLoader(graph, 16, 2, seed=3, prefetch=0, rank=r, world_size=3) for r in range(3)]
    assert len({len(loader) for loader in loaders}) == 1  # every rank takes the same number of steps
    shards = [loader.order(2) for loader in loaders]
    assert all(shard.size == loaders[0].shard_size for shard in shards)
    together = np.concatenate(shards)
    assert set(together.tolist()) == set(range(graph.num_edges))  # every edge, a few twice for padding
    assert together.size - graph.num_edges < 3
    single = LinkBatchLoader(graph, 16, 2, seed=3, prefetch=0)
    assert np.array_equal(single.order(2), np.random.default_rng([3, 2]).permutation(graph.num_edges))
    negatives = [loader.batch(2, 0).negatives for loader in loaders]
    assert not all(np.array_equal(negatives[0].numpy(), other.numpy()) for other in negatives[1:])


@pytest.mark.parametrize(("rank", "world_size"), [(2, 2), (-1, 2), (0, 0)])
def test_bad_rank_or_world_size_is_refused(rank, world_size):
    graph = InteractionGraph(np.array([0, 1]), np.array([0, 1]), 2, 2)
    with pytest.raises(ValueError, match="rank|world_size"):
        LinkBatchLoader(graph, 2, 1, rank=rank, world_size=world_size)
