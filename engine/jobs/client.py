"""The dashboard's warm worker, its client side (the server is :mod:`engine.jobs.server`): training runs that start
without re-importing torch, and one UMAP queue.

``python -m engine.jobs --runs-dir DIR [--parent-pid PID]``

A new ``python -m engine train`` process spends most of its first seconds importing torch, PyG and the engine, and a
new projection process imports umap-learn and compiles its numba kernels again. The worker pays both once, when
the dashboard starts, and then serves two queues under ``<runs-dir>/.worker/``:

- ``train/``: each job is a training command line. The worker forks a child per job (the imports are already in
  memory), the child starts its own process session, sends its output to the run's log and runs the training CLI
  exactly as ``python -m engine train`` would. Runs train side by side, as separate processes did before.
- ``projection/``: each job is a run and the epochs to map. One long-lived projection child (forked once, umap
  imported and compiled by a small fit at start) computes them one at a time, newest job first, so two maps never
  compete for the cores; a page's newest request supersedes its older ones (:mod:`engine.jobs.projection_queue`).

The worker is the only process that forks, and it runs no torch op and no numba parallel call, so no torch or
OpenMP thread pool exists to be copied half-way; the threads its imports start (numpy's and scipy's OpenBLAS pools,
pyarrow's allocator) register their own fork handlers. It exits when the process that started it (``--parent-pid``, the
Streamlit server) is gone; runs still training carry on in their own sessions. One worker serves a runs directory
(an ``fcntl`` lock on ``.worker/lock``); ``worker.json`` says which process it is and whether it accepts jobs.
Setting ``GNN_EXPLORER_WORKER=off`` makes the dashboard start none, and everything runs in fresh processes as before.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.jobs.queue import MAX_JOB_BYTES, new_job_id, write_job
from engine.jobs.spawn import spawn
from engine.runs.names import LOG_FOLDER, command_line, process_alive
from engine.runs.rundir import RunDir

WORKER_ENV = "GNN_EXPLORER_WORKER"  # "off": the dashboard starts no worker
WORKER_MODULE = "engine.jobs"  # the entry module, as it appears in the worker's command line
WORKER_FOLDER = ".worker"
RUN_PROCESS_NAME = "engine-train"  # /proc/<pid>/comm of a run the worker forked (its command line is the worker's)
POLL_S = 0.05  # how often the queues are looked at


def worker_enabled() -> bool:
    return os.environ.get(WORKER_ENV, "on").strip().lower() not in ("off", "0", "false", "no")


@dataclass(frozen=True)
class WorkerPaths:
    """Where the worker of one runs directory keeps its lock, its state and its queues."""

    root: Path

    @classmethod
    def of(cls, runs_dir: str | Path) -> WorkerPaths:
        return cls(Path(runs_dir).resolve() / WORKER_FOLDER)

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def info(self) -> Path:
        return self.root / "worker.json"

    @property
    def starting(self) -> Path:
        """The pid of a worker started but not yet serving (its imports take seconds; reruns must not start more)."""
        return self.root / "starting.pid"

    @property
    def log(self) -> Path:
        """The worker's own output (its start, its projection child's), beside the runs' logs."""
        return self.root.parent / LOG_FOLDER / "worker.log"

    def queue(self, kind: str) -> Path:
        return self.root / kind

    @property
    def jobs(self) -> Path:
        """Per training job: ``<id>.pid`` once its process is forked, ``<id>.exit`` with its exit code when it ends."""
        return self.root / "jobs"


def worker_info(runs_dir: str | Path) -> dict[str, Any] | None:
    """The live worker of ``runs_dir`` (its ``worker.json``), or ``None`` when there is none."""
    try:
        info = json.loads(WorkerPaths.of(runs_dir).info.read_text()[:MAX_JOB_BYTES])
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not is_worker_process(info.get("pid")):
        return None
    return info


def is_worker_process(pid: Any) -> bool:
    """Whether ``pid`` is alive and runs this module (guards against a recycled pid)."""
    if not process_alive(pid):
        return False
    return WORKER_MODULE.encode() in command_line(pid)


def ensure_worker(runs_dir: str | Path, parent_pid: int | None = None) -> int | None:
    """Start the worker of ``runs_dir`` unless one is alive or workers are off; returns its pid (``None`` when off).

    Cheap enough for every page rerun: one small file read when the worker is alive.
    """
    if not worker_enabled():
        return None
    info = worker_info(runs_dir)
    if info is not None:
        return int(info["pid"])
    paths = WorkerPaths.of(runs_dir)
    try:
        starting = int(paths.starting.read_text())
    except (OSError, ValueError):
        starting = None
    if is_worker_process(starting):
        return starting
    try:
        paths.log.parent.mkdir(parents=True, exist_ok=True)
        paths.root.mkdir(parents=True, exist_ok=True)
        log = open(paths.log, "ab")
    except OSError:
        return None  # a read-only runs directory: the pages say so where it matters; runs start the plain way
    command = [sys.executable, "-m", WORKER_MODULE, "--runs-dir", str(Path(runs_dir).resolve())]
    command += ["--parent-pid", str(parent_pid if parent_pid is not None else os.getpid())]
    with log:
        process = spawn(command, log)
    paths.starting.write_text(str(process.pid))
    return process.pid


class WorkerJob:
    """A training job handed to the worker; answers like the ``subprocess.Popen`` it replaces (``poll``, ``wait``)."""

    def __init__(self, paths: WorkerPaths, job_id: str, worker_pid: int) -> None:
        self.paths, self.job_id, self.worker_pid = paths, job_id, worker_pid
        self.returncode: int | None = None

    @property
    def pid(self) -> int | None:
        """The training process's pid once the worker has forked it."""
        try:
            return int((self.paths.jobs / f"{self.job_id}.pid").read_text())
        except (OSError, ValueError):
            return None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        try:
            self.returncode = int((self.paths.jobs / f"{self.job_id}.exit").read_text())
            return self.returncode
        except (OSError, ValueError):
            pass
        pid = self.pid
        if pid is not None and process_alive(pid):
            return None
        if not is_worker_process(self.worker_pid):
            # The worker is gone: it never forked the job, or the job's exit went unrecorded with it.
            self.returncode = -1 if pid is None else 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"worker job {self.job_id} still running after {timeout}s")
            time.sleep(POLL_S)
        return self.returncode


def submit_training(runs_dir: str | Path, argv: list[str], log_path: Path, run: Path) -> WorkerJob | None:
    """Queue ``python -m engine <argv>`` (a ``train`` command making or resuming ``run``) on the live worker; ``None``
    when no worker accepts jobs (start it plainly).

    The log at ``log_path`` must exist already; the training process appends to it. When the run finishes, the worker
    queues the UMAP of its last snapshot, so the map is ready when the Embeddings page opens.
    """
    info = worker_info(runs_dir)
    if info is None or not info.get("ready"):
        return None
    paths = WorkerPaths.of(runs_dir)
    job_id = new_job_id()
    write_job(
        paths.queue("train"),
        job_id,
        {"argv": argv, "log": str(Path(log_path).resolve()), "run": str(Path(run).absolute())},
    )
    return WorkerJob(paths, job_id, int(info["pid"]))


def study_log_path(runs_dir: str | Path, name: str) -> Path:
    """``<runs-dir>/.logs/studies/<name>.log``: output of a ``tune`` process the dashboard started.

    Raises:
        ValueError: ``name`` is not a study name (:func:`engine.tuning.storage.check_study_name`).
    """
    from engine.tuning.storage import check_study_name  # optuna's import, only when a study is started

    return Path(runs_dir) / LOG_FOLDER / "studies" / f"{check_study_name(name)}.log"


def submit_tuning(runs_dir: str | Path, argv: list[str], name: str) -> WorkerJob | None:
    """Queue ``python -m engine <argv>`` (a ``tune`` command of study ``name`` in ``runs_dir``) on the live worker,
    its output appended to :func:`study_log_path` (which must exist); ``None`` when no worker accepts jobs."""
    info = worker_info(runs_dir)
    if info is None or not info.get("ready"):
        return None
    paths = WorkerPaths.of(runs_dir)
    job_id = new_job_id()
    log = str(study_log_path(runs_dir, name).resolve())
    write_job(paths.queue("train"), job_id, {"argv": argv, "log": log, "study": name})
    return WorkerJob(paths, job_id, int(info["pid"]))


def submit_projection(run: RunDir, epochs: list[int], method: str, requester: str | None = None) -> int | None:
    """Queue maps of ``epochs`` on the worker's projection child, marking each epoch pending with the worker's pid.

    ``requester`` (a page of one browser session) makes the job one that the requester's next request supersedes
    (:func:`engine.jobs.projection_queue.withdraw`); without it the job is never withdrawn.

    Returns:
        The pid the epochs are pending on, or ``None`` when no worker has a live projection child.
    """
    info = worker_info(run.path.parent)
    if info is None or not process_alive(info.get("projection_pid")):
        return None
    # The worker's pid, not its projection child's: a child that dies is replaced, and the jobs queued behind the
    # one it was computing stay pending for the next child (the one it was computing is failed by name).
    pid = int(info["pid"])
    run.projections_dir.mkdir(parents=True, exist_ok=True)
    for epoch in epochs:
        run.projection_pending_path(epoch, method).write_text(str(pid))
    job_id = new_job_id()
    write_job(
        WorkerPaths.of(run.path.parent).queue("projection"),
        job_id,
        {"run": str(run.path.resolve()), "epochs": sorted(epochs), "method": method, "requester": requester},
    )
    return pid


def is_forked_run(pid: Any) -> bool:
    """Whether ``pid`` is alive and is a training run the worker forked (not the worker or its projection child)."""
    if not process_alive(pid):
        return False
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == RUN_PROCESS_NAME
    except OSError:
        return False
