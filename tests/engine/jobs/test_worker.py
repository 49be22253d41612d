"""The dashboard's warm worker: forked training runs, one UMAP queue, one worker per runs directory, a clean exit.

Everything here is real: a ``python -m engine.jobs`` process, runs it forks, maps its projection child computes.
Bad inputs tried: a malformed and an unreadable job file, a second worker on the same runs directory, a worker whose
starting process is gone, a projection child killed in the middle of a job, a job whose worker died before it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.analysis import ProjectionStore
from engine.analysis.projection import cosine_neighbors, fit_projection
from engine.jobs.client import WORKER_ENV, WorkerJob, WorkerPaths, ensure_worker, is_worker_process, worker_info
from engine.jobs.process import is_training_process, start_maps, start_training, stop_training
from engine.jobs.projection_queue import RUNNING_PROJECTION
from engine.runs.config import TrainConfig, resolve
from engine.runs.logs import log_tail
from engine.runs.runstore import RunStore

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def worker_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A runs directory served by a real worker, with its projection child ready."""
    runs_dir = tmp_path_factory.mktemp("worker-runs")
    os.environ[WORKER_ENV] = "on"
    try:
        pid = ensure_worker(runs_dir)
    finally:
        os.environ[WORKER_ENV] = "off"
    log = WorkerPaths.of(runs_dir).log
    wait_for(lambda: (worker_info(runs_dir) or {}).get("projection_pid"), 120, f"the worker:\n{log_tail(log)}")
    yield runs_dir
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not is_worker_process(pid), 30, "the worker to exit")


def test_worker_forks_a_run_and_queues_the_umap_of_its_final_snapshot(worker_runs_dir: Path) -> None:
    launch = start_training(resolve(TrainConfig(dataset="synthetic", model="mf", epochs=2, dim=8)), worker_runs_dir)
    assert isinstance(launch.process, WorkerJob)  # not a fresh process
    assert launch.process.wait(timeout=300) == 0, log_tail(launch.log_path)
    run = RunStore(worker_runs_dir).get(launch.run_id)
    assert run.state == "finished" and len(run.metrics) == 2
    store = ProjectionStore(run.path)
    last = store.epochs()[-1]
    assert store.state(last, "umap") in ("pending", "ready")  # queued by the run itself, nobody asked
    log = WorkerPaths.of(worker_runs_dir).log
    wait_for(lambda: store.state(last, "umap") == "ready", 240, f"the map:\n{log_tail(log)}")
    assert store.load(last, "umap").coords.shape == (len(store.stacked(last)[0]), 2)
    assert not run.path.joinpath("projections", f"{last:04d}_umap.progress").exists()  # progress cleared when done


def test_a_run_the_worker_started_stops_on_stop(worker_runs_dir: Path) -> None:
    launch = start_training(resolve(TrainConfig(dataset="synthetic", model="mf", epochs=500, dim=8)), worker_runs_dir)
    store = RunStore(worker_runs_dir)
    wait_for(lambda: _state(store, launch.run_id) == "running", 120, "the run to start")
    pid = store.get(launch.run_id).status["pid"]
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "engine-train"  # told apart from the worker itself
    assert not is_training_process(worker_info(worker_runs_dir)["pid"])
    assert not is_training_process(worker_info(worker_runs_dir)["projection_pid"])
    message = stop_training(store.get(launch.run_id))
    assert message.startswith("asked run"), message  # the forked process counts as a training process
    assert launch.process.wait(timeout=120) == 0
    assert store.get(launch.run_id).state == "stopped"


def test_malformed_and_unreadable_jobs_are_dropped_and_the_worker_goes_on(
    worker_runs_dir: Path, tmp_path: Path
) -> None:
    queue = WorkerPaths.of(worker_runs_dir).queue("train")
    queue.mkdir(parents=True, exist_ok=True)  # made by the first job the client queues; this test may run first
    (queue / "00000000000000000001-bad.json").write_text("{not json")
    (queue / "00000000000000000002-bad.json").write_text(json.dumps({"argv": "train --model mf", "log": 3}))
    forged = tmp_path / "forged"  # a queue file another program wrote: a command that would write outside
    job = {"argv": ["generate-synthetic", "--out", str(forged)], "log": str(tmp_path / "x.log"), "run": str(forged)}
    (queue / "00000000000000000003-bad.json").write_text(json.dumps(job))
    wait_for(lambda: not list(queue.glob("*-bad.json")), 30, "the bad jobs to be dropped")
    log = WorkerPaths.of(worker_runs_dir).log.read_text()
    assert "dropping unreadable job" in log and "dropping training job: its command line is not a list of words" in log
    assert "dropping training job: 'generate-synthetic' is not a command the worker runs" in log
    assert not forged.exists() and not (tmp_path / "x.log").exists()
    launch = start_training(resolve(TrainConfig(dataset="synthetic", model="mf", epochs=1, dim=8)), worker_runs_dir)
    assert isinstance(launch.process, WorkerJob) and launch.process.wait(timeout=300) == 0


def test_a_killed_projection_child_fails_its_job_by_name_and_is_replaced(worker_runs_dir: Path) -> None:
    run = RunStore(worker_runs_dir).path("killed-mid-map")
    run.mkdir(exist_ok=True)
    old = worker_info(worker_runs_dir)["projection_pid"]
    running = WorkerPaths.of(worker_runs_dir).queue("projection") / RUNNING_PROJECTION
    running.parent.mkdir(parents=True, exist_ok=True)
    # Wait for the maps earlier runs queued, so the child is idle and nothing overwrites the job written below.
    wait_for(lambda: not any(running.parent.glob("*.json")), 240, "the projection queue to empty")
    running.write_text(json.dumps({"run": str(run), "epochs": [99], "method": "umap"}))  # what it was doing
    os.kill(old, signal.SIGKILL)
    new = wait_for(
        lambda: (
            (worker_info(worker_runs_dir) or {}).get("projection_pid") not in (None, old)
            and worker_info(worker_runs_dir)["projection_pid"]
        ),
        30,
        "a new projection child",
    )
    assert new != old
    store = ProjectionStore(run)
    assert store.state(99, "umap") == "failed"
    assert "exit code -9" in store.error(99, "umap")


def _computed_epochs(runs_dir: Path, run_id: str) -> list[int]:
    """The epochs of ``run_id`` whose map the worker computed, in the order it computed them (from its log)."""
    lines = WorkerPaths.of(runs_dir).log.read_text().splitlines()
    return [int(line.split(" epoch ")[1].split(":")[0]) for line in lines if f" points, {run_id} epoch " in line]


def _snapshots(runs_dir: Path, run_id: str, epochs: range) -> ProjectionStore:
    run = RunStore(runs_dir).path(run_id)
    rng = np.random.default_rng(0)
    for epoch in epochs:
        (run / "embeddings").mkdir(parents=True, exist_ok=True)
        points = rng.normal(size=(1200, 16)).astype(np.float32)
        np.savez(run / "embeddings" / f"epoch_{epoch:04d}.npz", user=points[:500], item=points[500:])
    return ProjectionStore(run)


def _idle(runs_dir: Path) -> None:
    queue = WorkerPaths.of(runs_dir).queue("projection")
    wait_for(lambda: not any(queue.glob("*.json")), 240, "the projection queue to empty")


def test_a_pages_newest_umap_request_supersedes_its_older_ones(worker_runs_dir: Path) -> None:
    store = _snapshots(worker_runs_dir, "slider-run", range(1, 4))
    _idle(worker_runs_dir)
    for epoch in (1, 2, 3):  # the slider moved quickly over three epochs
        start_maps(store, [epoch], "umap", requester="page-a")
    wait_for(lambda: store.state(3, "umap") == "ready", 240, "the map of epoch 3")
    _idle(worker_runs_dir)
    assert _computed_epochs(worker_runs_dir, "slider-run") == [3]
    assert store.state(1, "umap") == store.state(2, "umap") == "missing"  # dropped, not pending forever


def test_a_map_another_page_still_wants_is_not_dropped(worker_runs_dir: Path) -> None:
    store = _snapshots(worker_runs_dir, "two-pages-run", range(1, 4))
    _idle(worker_runs_dir)
    start_maps(store, [1], "umap", requester="page-b")
    for epoch in (1, 2, 3):
        start_maps(store, [epoch], "umap", requester="page-a")
    wait_for(lambda: store.state(3, "umap") == "ready", 240, "the map of epoch 3")
    wait_for(lambda: store.state(1, "umap") == "ready", 240, "the map of epoch 1, which page-b still wants")
    _idle(worker_runs_dir)
    assert sorted(_computed_epochs(worker_runs_dir, "two-pages-run")) == [1, 3]
    assert store.state(2, "umap") == "missing"


def test_a_superseded_map_being_computed_is_stopped(worker_runs_dir: Path) -> None:
    store = _snapshots(worker_runs_dir, "cancelled-run", range(1, 3))
    _idle(worker_runs_dir)
    start_maps(store, [1], "umap", requester="page-a")
    wait_for(lambda: store.progress(1, "umap"), 120, "the map of epoch 1 to start")
    start_maps(store, [2], "umap", requester="page-a")
    wait_for(lambda: store.state(2, "umap") == "ready", 240, "the map of epoch 2")
    assert _computed_epochs(worker_runs_dir, "cancelled-run") == [2]
    assert store.state(1, "umap") == "missing"
    assert "cancelled-run epoch 1: superseded" in WorkerPaths.of(worker_runs_dir).log.read_text()


def test_one_worker_per_runs_directory(worker_runs_dir: Path) -> None:
    second = subprocess.run(
        [sys.executable, "-m", "engine.jobs", "--runs-dir", str(worker_runs_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0 and "another worker serves" in second.stdout
    os.environ[WORKER_ENV] = "on"
    try:
        assert ensure_worker(worker_runs_dir) == worker_info(worker_runs_dir)["pid"]  # the live one, no new one
    finally:
        os.environ[WORKER_ENV] = "off"


def test_the_worker_exits_when_the_process_that_started_it_is_gone(tmp_path: Path) -> None:
    dashboard = subprocess.Popen(["sleep", "600"])
    worker = subprocess.Popen(
        [sys.executable, "-m", "engine.jobs", "--runs-dir", str(tmp_path), "--parent-pid", str(dashboard.pid)],
        cwd=ROOT,
    )
    try:
        wait_for(lambda: (worker_info(tmp_path) or {}).get("ready"), 120, "the worker")
        dashboard.kill()
        dashboard.wait()
        assert worker.wait(timeout=60) == 0
        assert worker_info(tmp_path) is None and not WorkerPaths.of(tmp_path).info.exists()
    finally:
        dashboard.kill()
        worker.kill()


def test_reruns_during_startup_start_one_worker_and_leftover_jobs_fail_by_name(tmp_path: Path) -> None:
    paths = WorkerPaths.of(tmp_path)
    log = tmp_path / "left.log"
    log.write_text("")
    paths.queue("train").mkdir(parents=True)
    (paths.queue("train") / "00000000000000000001-left.json").write_text(
        json.dumps({"argv": ["train"], "log": str(log)})
    )
    run = tmp_path / "left-run"
    run.mkdir()
    paths.queue("projection").mkdir()
    job = {"run": str(run), "epochs": [3], "method": "umap"}
    (paths.queue("projection") / "00000000000000000002-left.json").write_text(json.dumps(job))
    os.environ[WORKER_ENV] = "on"
    try:
        first = ensure_worker(tmp_path)
        assert [ensure_worker(tmp_path) for _ in range(3)] == [first] * 3  # still importing: no second worker
        wait_for(lambda: (worker_info(tmp_path) or {}).get("ready"), 120, "the worker")
        assert worker_info(tmp_path)["pid"] == first
        assert (paths.jobs / "00000000000000000001-left.exit").read_text() == "-1"
        assert "previous worker stopped before starting it; start the run again" in log.read_text()
        store = ProjectionStore(run)
        assert store.state(3, "umap") == "failed" and "previous worker stopped" in store.error(3, "umap")
    finally:
        os.environ[WORKER_ENV] = "off"
        os.kill(first, signal.SIGTERM)
        wait_for(lambda: not is_worker_process(first), 30, "the worker to exit")


def test_an_idle_worker_exits_by_itself(tmp_path: Path) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "engine.jobs", "--runs-dir", str(tmp_path), "--idle-exit", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0 and "worker: idle for 2s; exiting" in output
        assert worker_info(tmp_path) is None
    finally:
        worker.kill()


def test_no_worker_when_turned_off_and_a_job_whose_worker_died_reports_failure(tmp_path: Path) -> None:
    assert os.environ[WORKER_ENV] == "off"
    assert ensure_worker(tmp_path) is None
    gone = subprocess.Popen(["true"])
    gone.wait()
    job = WorkerJob(WorkerPaths.of(tmp_path), "never-claimed", gone.pid)
    assert job.poll() == -1


def test_exact_cosine_neighbors_match_brute_force_with_self_first() -> None:
    points = np.random.default_rng(3).normal(size=(300, 6)).astype(np.float32)
    points[7] = points[8] * 2.0  # same direction: distance 0 to each other, yet each is its own first neighbor
    indices, distances = cosine_neighbors(points, 5)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit.T), axis=1, kind="stable")[:, :5]
    assert (indices[:, 0] == np.arange(300)).all() and np.allclose(distances[:, 0], 0.0)
    assert indices[8, 1] == 7 and indices[7, 1] == 8 and distances[7, 1] < 1e-6
    for row in range(300):
        assert set(indices[row, 1:]) == set(expected[row, 1:]) - {row} or row in (7, 8)
    assert (np.diff(distances, axis=1) >= -1e-6).all()  # sorted nearest first


def test_umap_reports_its_stages_and_layout_epochs() -> None:
    lines: list[str] = []
    embeddings = np.random.default_rng(0).normal(size=(120, 8)).astype(np.float32)
    fit_projection(embeddings, 60, "umap", progress=lines.append)
    assert lines[0].startswith("nearest neighbors of 120 points")
    layout = [line for line in lines if line.startswith("layout epoch")]
    assert layout and layout[-1] == "layout epoch 200 of 200"


def _state(store: RunStore, run_id: str) -> str | None:
    try:
        return store.get(run_id).state
    except ValueError:
        return None


def test_worker_forks_a_study(worker_runs_dir: Path) -> None:
    from engine.jobs.process import start_tuning
    from engine.tuning import study_info

    launch = start_tuning("worker-study", "synthetic", "mf", worker_runs_dir, trials=2, epochs=1)
    assert isinstance(launch.process, WorkerJob)  # not a fresh process
    assert launch.process.wait(timeout=300) == 0, log_tail(launch.log_path)
    assert "study worker-study: 2 finished" in log_tail(launch.log_path)
    assert study_info(worker_runs_dir, "worker-study").done == 2
    assert RunStore(worker_runs_dir).get("worker-study-trial0001").state == "finished"
