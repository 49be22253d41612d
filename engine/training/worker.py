"""The dashboard's warm worker: training runs that start without re-importing torch, and one UMAP queue.

``python -m engine.worker --runs-dir DIR [--parent-pid PID]``

A new ``python -m engine train`` process spends most of its first seconds importing torch, PyG and the engine, and a
new projection process imports umap-learn and compiles its numba kernels again. The worker pays both once, when
the dashboard starts, and then serves two queues under ``<runs-dir>/.worker/``:

- ``train/``: each job is a training command line. The worker forks a child per job (the imports are already in
  memory), the child starts its own process session, sends its output to the run's log and runs the training CLI
  exactly as ``python -m engine train`` would. Runs train side by side, as separate processes did before.
- ``projection/``: each job is a run and the epochs to map. One long-lived projection child (forked once, umap
  imported and compiled by a small fit at start) computes them one at a time, newest job first, so two maps never
  compete for the cores; a page's newest request supersedes its older ones (:mod:`engine.training.projection_queue`).

The worker is the only process that forks, and it runs no torch op and no numba parallel call, so no torch or
OpenMP thread pool exists to be copied half-way; the threads its imports start (numpy's and scipy's OpenBLAS pools,
pyarrow's allocator) register their own fork handlers. It exits when the process that started it (``--parent-pid``, the
Streamlit server) is gone; runs still training carry on in their own sessions. One worker serves a runs directory
(an ``fcntl`` lock on ``.worker/lock``); ``worker.json`` says which process it is and whether it accepts jobs.
Setting ``GNN_EXPLORER_WORKER=off`` makes the dashboard start none, and everything runs in fresh processes as before.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import secrets
import signal
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.training.jsonio import write_json_atomic
from engine.training.rundir import LOG_FOLDER, RunDir, process_alive

WORKER_ENV = "GNN_EXPLORER_WORKER"  # "off": the dashboard starts no worker
WORKER_MODULE = "engine.worker"  # the entry module, as it appears in the worker's command line
WORKER_FOLDER = ".worker"
RUN_PROCESS_NAME = "engine-train"  # /proc/<pid>/comm of a run the worker forked (its command line is the worker's)
POLL_S = 0.05  # how often the queues are looked at
PARENT_CHECK_S = 1.0  # how often the worker checks that the process that started it is alive
# A worker with nothing to do for this long exits (a runs directory the sidebar has left behind); the dashboard
# starts a new one on its next rerun that needs it, ready in seconds.
IDLE_EXIT_S = 20 * 60
MAX_JOB_BYTES = 2**20
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_held_lock: list = []  # the worker's open lock file; children close their copy, or they would keep the lock held


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
    try:
        return WORKER_MODULE.encode() in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False


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
    from engine.training.process import spawn  # here: engine.training.process imports this module

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


def submit_training(runs_dir: str | Path, argv: list[str], log_path: Path) -> WorkerJob | None:
    """Queue ``python -m engine <argv>`` on the live worker; ``None`` when no worker accepts jobs (start it plainly).

    The log at ``log_path`` must exist already; the training process appends to it.
    """
    info = worker_info(runs_dir)
    if info is None or not info.get("ready"):
        return None
    paths = WorkerPaths.of(runs_dir)
    job_id = f"{time.time_ns():020d}-{secrets.token_hex(3)}"
    _write_job(paths.queue("train"), job_id, {"argv": argv, "log": str(Path(log_path).resolve())})
    return WorkerJob(paths, job_id, int(info["pid"]))


def submit_projection(run: RunDir, epochs: list[int], method: str, requester: str | None = None) -> int | None:
    """Queue maps of ``epochs`` on the worker's projection child, marking each epoch pending with the worker's pid.

    ``requester`` (a page of one browser session) makes the job one that the requester's next request supersedes
    (:func:`engine.training.projection_queue.withdraw`); without it the job is never withdrawn.

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
    job_id = f"{time.time_ns():020d}-{secrets.token_hex(3)}"
    _write_job(
        WorkerPaths.of(run.path.parent).queue("projection"),
        job_id,
        {"run": str(run.path.resolve()), "epochs": sorted(epochs), "method": method, "requester": requester},
    )
    return pid


def _write_job(queue: Path, job_id: str, job: dict[str, Any]) -> None:
    queue.mkdir(parents=True, exist_ok=True)
    partial = queue / f".{job_id}.partial"
    partial.write_text(json.dumps(job))
    os.replace(partial, queue / f"{job_id}.json")  # the worker sees whole jobs only


def claim(queue: Path, newest: bool = False) -> tuple[str, dict[str, Any]] | None:
    """The oldest (or newest) job of ``queue``, removed from it (so exactly one reader gets it); ``None`` when empty.

    Jobs are ``<time ns>-<random>.json``; other files of the queue (the job being computed) are not jobs.
    """
    try:
        names = sorted((n for n in os.listdir(queue) if n.endswith(".json") and n[0].isdigit()), reverse=newest)
    except FileNotFoundError:
        return None
    for name in names:
        path = queue / name
        try:
            job = json.loads(path.read_text()[:MAX_JOB_BYTES])
            path.unlink()
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as error:
            print(f"worker: dropping unreadable job {path}: {error}", flush=True)
            path.unlink(missing_ok=True)
            continue
        if isinstance(job, dict):
            return name.removesuffix(".json"), job
    return None


# ------------------------------------------------------------------------------------------------ the worker itself
def serve(runs_dir: Path, parent_pid: int, idle_exit_s: float = IDLE_EXIT_S) -> int:
    paths = WorkerPaths.of(runs_dir)
    paths.root.mkdir(parents=True, exist_ok=True)
    lock = open(paths.lock, "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"worker: another worker serves {runs_dir}; exiting", flush=True)
        return 0
    _held_lock.append(lock)
    started = time.time()
    state: dict[str, Any] = {"pid": os.getpid(), "parent_pid": parent_pid, "started_at": started, "ready": False}
    write_json_atomic(paths.info, state)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    # What a training process imports first (the CLI's parser imports every command's module, scipy.stats with
    # the comparisons); the children inherit it all.
    import torch_geometric  # noqa: F401

    import engine.cli
    import engine.training.trainer  # noqa: F401

    engine.cli.build_parser()

    _drop_leftovers(paths, "the dashboard's previous worker stopped before starting it")
    state.update(ready=True, ready_at=time.time())
    print(f"worker: serving {runs_dir} for pid {parent_pid} ({time.time() - started:.1f}s of imports)", flush=True)
    children: dict[int, str] = {}  # training pid -> job id
    projection_pid = _fork_projection_server(paths)
    state["projection_pid"] = projection_pid
    write_json_atomic(paths.info, state)
    last_parent_check = 0.0
    last_busy = time.monotonic()
    try:
        while True:
            claimed = claim(paths.queue("train"))
            if claimed is not None:
                last_busy = time.monotonic()
                job_id, job = claimed
                pid = _fork_training(job)
                paths.jobs.mkdir(parents=True, exist_ok=True)
                if pid is None:
                    (paths.jobs / f"{job_id}.exit").write_text("2")  # malformed: the caller stops waiting
                else:
                    children[pid] = job_id
                    (paths.jobs / f"{job_id}.pid").write_text(str(pid))
                continue
            projection_pid = _reap(paths, children, projection_pid, state)
            now = time.monotonic()
            if now - last_parent_check > PARENT_CHECK_S:
                last_parent_check = now
                if not process_alive(parent_pid):
                    print(f"worker: pid {parent_pid} is gone; exiting", flush=True)
                    return 0
                if children or _projections_waiting(paths):
                    last_busy = now
                elif now - last_busy > idle_exit_s:
                    print(f"worker: idle for {idle_exit_s:.0f}s; exiting", flush=True)
                    return 0
            time.sleep(POLL_S)
    finally:
        current = worker_info(runs_dir)
        if current is not None and current.get("pid") == os.getpid():
            paths.info.unlink(missing_ok=True)  # first: nobody queues on this worker from now on
        if projection_pid is not None and process_alive(projection_pid):
            os.kill(projection_pid, signal.SIGTERM)
            os.waitpid(projection_pid, 0)
        _drop_leftovers(paths, "the dashboard's worker stopped before starting it")


def _drop_leftovers(paths: WorkerPaths, why: str) -> None:
    """Fail what is queued or half done with ``why``: training jobs get exit code -1, maps an error to show."""
    from engine.training.projection_queue import fail_projection_job, fail_running_projection

    fail_running_projection(paths, why)
    while (claimed := claim(paths.queue("train"))) is not None:
        paths.jobs.mkdir(parents=True, exist_ok=True)
        (paths.jobs / f"{claimed[0]}.exit").write_text("-1")
        log = claimed[1].get("log")
        if isinstance(log, str):
            with open(log, "a", encoding="utf-8") as stream:
                stream.write(f"error: {why}; start the run again\n")
    while (claimed := claim(paths.queue("projection"))) is not None:
        fail_projection_job(claimed[1], why)


def _projections_waiting(paths: WorkerPaths) -> bool:
    return any(paths.queue("projection").glob("*.json"))  # queued jobs and the one being computed


def _reap(
    paths: WorkerPaths, children: dict[int, str], projection_pid: int | None, state: dict[str, Any]
) -> int | None:
    """Collect ended children: record a training job's exit code; restart a projection child that died."""
    from engine.training.projection_queue import fail_projection_job, fail_running_projection

    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return projection_pid
        if pid == 0:
            return projection_pid
        code = os.waitstatus_to_exitcode(status)
        if pid in children:
            job_id = children.pop(pid)
            (paths.jobs / f"{job_id}.exit").write_text(str(code))
        elif pid == projection_pid:
            fail_running_projection(paths, f"the projection process ended with exit code {code}")
            state["projection_restarts"] = state.get("projection_restarts", 0) + 1
            if state["projection_restarts"] > MAX_PROJECTION_RESTARTS:
                print(f"worker: the projection process ended with {code} again; maps go to plain processes", flush=True)
                projection_pid = None
                while (claimed := claim(paths.queue("projection"))) is not None:
                    fail_projection_job(claimed[1], f"the dashboard's projection process keeps failing ({code})")
            else:
                print(f"worker: the projection process ended with {code}; starting a new one", flush=True)
                projection_pid = _fork_projection_server(paths)
            state["projection_pid"] = projection_pid
            write_json_atomic(paths.info, state)


def _fork_training(job: dict[str, Any]) -> int | None:
    argv, log = job.get("argv"), job.get("log")
    if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv) or not isinstance(log, str):
        print(f"worker: dropping malformed training job {job!r}", flush=True)
        return None

    def run_training() -> int:
        _become_job_process(Path(log))
        from engine.cli import main

        sys.argv = [f"{sys.executable} -m engine", *argv]
        return main(argv)

    return _fork(run_training)


def _fork(child: Callable[[], int | None]) -> int:
    """Fork; the child runs ``child()`` and exits with its code, never returning into the worker's loop."""
    sys.stdout.flush()  # or the child would write the worker's buffered output a second time
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        code = child() or 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # noqa: BLE001 - whatever happens, the child ends here
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _become_job_process(log: Path) -> None:
    """In a forked child: own session and name, default signals, output to ``log`` line by line, no input."""
    os.setsid()
    _set_process_name(RUN_PROCESS_NAME)
    _close_lock_copy()
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD):
        signal.signal(number, signal.SIG_DFL)
    output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    nothing = os.open(os.devnull, os.O_RDONLY)
    os.dup2(nothing, 0)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.close(nothing)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    os.chdir(PROJECT_ROOT)


def _set_process_name(name: str) -> None:
    """Name this process (``/proc/self/comm``, what ``ps -o comm`` shows), so it can be told from the worker."""
    try:
        Path("/proc/self/comm").write_text(name)
    except OSError:
        pass


def is_forked_run(pid: Any) -> bool:
    """Whether ``pid`` is alive and is a training run the worker forked (not the worker or its projection child)."""
    if not process_alive(pid):
        return False
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == RUN_PROCESS_NAME
    except OSError:
        return False


def _close_lock_copy() -> None:
    """In a child: close the inherited lock file without unlocking it (the worker keeps its lock)."""
    for lock in _held_lock:
        lock.close()
    _held_lock.clear()


# ------------------------------------------------------------------------------------------ the projection child
MAX_PROJECTION_RESTARTS = 3  # a projection child that keeps dying (umap broken, no memory) is not restarted again


def _fork_projection_server(paths: WorkerPaths) -> int:
    from engine.training.projection_queue import serve_projections

    def run_projections() -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _close_lock_copy()
        serve_projections(paths, os.getppid())

    return _fork(run_projections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {WORKER_MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", required=True, help="the runs directory whose queues this worker serves")
    parser.add_argument(
        "--parent-pid", type=int, default=os.getppid(), help="exit when this process is gone (default: the parent)"
    )
    parser.add_argument(
        "--idle-exit", type=float, default=IDLE_EXIT_S, help="exit after this many seconds with nothing to do"
    )
    args = parser.parse_args(argv)
    return serve(Path(args.runs_dir).resolve(), args.parent_pid, args.idle_exit)
