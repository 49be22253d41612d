"""The dashboard's warm worker, the server side: ``python -m engine.jobs --runs-dir DIR [--parent-pid PID]``.

It serves the queues :mod:`engine.jobs.client` writes (see there for what the worker is and why it forks): a training
job is a command line of the engine's CLI, run in a forked child; a projection job is computed by its one projection
child (:mod:`engine.jobs.projection_queue`). It accepts only jobs its own client writes: a known command, about a run
inside the runs directory it serves.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.jobs.client import (
    POLL_S,
    RUN_PROCESS_NAME,
    WORKER_MODULE,
    WorkerPaths,
    study_log_path,
    submit_projection,
    worker_info,
)
from engine.jobs.queue import claim
from engine.jobs.spawn import PROJECT_ROOT
from engine.runs.jsonio import write_json_atomic
from engine.runs.names import process_alive
from engine.runs.rundir import RunDir

PARENT_CHECK_S = 1.0  # how often the worker checks that the process that started it is alive
# A worker with nothing to do for this long exits (a runs directory the sidebar has left behind); the dashboard
# starts a new one on its next rerun that needs it, ready in seconds.
IDLE_EXIT_S = 20 * 60
_held_lock: list = []  # the worker's open lock file; children close their copy, or they would keep the lock held


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
                pid = _fork_training(job, runs_dir)
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
    from engine.jobs.projection_queue import fail_projection_job, fail_running_projection

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
    from engine.jobs.projection_queue import fail_projection_job, fail_running_projection

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


def training_job_problem(job: dict[str, Any], runs_dir: Path) -> str | None:
    """Why the worker of ``runs_dir`` refuses a training job, or ``None``: only what its own client writes, a ``train``
    command that makes or resumes ``run``, a run directly inside ``runs_dir``, its log in the runs' log folder."""
    argv, log, run = job.get("argv"), job.get("log"), job.get("run")
    if not isinstance(argv, list) or not all(isinstance(word, str) for word in argv) or not argv:
        return "its command line is not a list of words"
    if argv[0] == "tune":
        return tune_job_problem(job, runs_dir)
    if not isinstance(log, str) or not isinstance(run, str):
        return "it names no log or no run"
    runs_dir = runs_dir.resolve()
    if argv[0] != "train":
        return f"{argv[0]!r} is not a command the worker runs (only train and tune)"
    if Path(run).parent.resolve() != runs_dir or Path(run).is_symlink():
        return f"its run {run!r} is not inside {runs_dir}"
    if Path(log).resolve() != RunDir(Path(run)).log_path.resolve():
        return f"its log {log!r} is not the run's log"

    def value(flag: str) -> str | None:
        return argv[argv.index(flag) + 1] if flag in argv[:-1] else None

    resumed, runs_flag, run_id = value("--resume"), value("--runs-dir"), value("--run-id")
    if resumed is not None:
        same = Path(resumed).resolve() == Path(run).resolve()
    else:
        same = runs_flag is not None and Path(runs_flag).resolve() == runs_dir and run_id == Path(run).name
    return None if same else f"its command line trains another run than {run!r}"


def tune_job_problem(job: dict[str, Any], runs_dir: Path) -> str | None:
    """Why the worker of ``runs_dir`` refuses a ``tune`` job, or ``None``: a study of ``runs_dir`` (its
    ``--runs-dir``), named by the job as by its ``--name``, its log the study's log."""
    argv, log, study = job["argv"], job.get("log"), job.get("study")
    if not isinstance(log, str) or not isinstance(study, str):
        return "it names no log or no study"

    def value(flag: str) -> str | None:
        return argv[argv.index(flag) + 1] if flag in argv[:-1] else None

    try:
        expected = study_log_path(runs_dir, study).resolve()
    except ValueError as error:
        return str(error)
    if value("--name") != study:
        return f"its command line tunes another study than {study!r}"
    if value("--runs-dir") is None or Path(value("--runs-dir")).resolve() != runs_dir.resolve():
        return f"its study is not in {runs_dir.resolve()}"
    return None if Path(log).resolve() == expected else f"its log {log!r} is not the study's log"


def _fork_training(job: dict[str, Any], runs_dir: Path) -> int | None:
    problem = training_job_problem(job, runs_dir)
    if problem is not None:
        print(f"worker: dropping training job: {problem}", flush=True)
        return None
    argv, log = job["argv"], job["log"]
    run = RunDir(Path(job["run"])) if argv[0] == "train" else None  # a tune job's trials are runs of their own

    def run_training() -> int:
        _become_job_process(Path(log))
        from engine.cli import main

        sys.argv = [f"{sys.executable} -m engine", *argv]
        code = main(argv)
        if code == 0 and run is not None:
            _queue_final_map(run)
        return code

    return _fork(run_training)


def _queue_final_map(run: RunDir) -> None:
    """Queue the UMAP of a finished run's last snapshot on this worker (whoever starts a run queues its map; the
    training loop knows nothing of the dashboard)."""
    epochs = run.snapshot_epochs()
    if not epochs or run.projection_path(epochs[-1], "umap").is_file() or run.read().state != "finished":
        return
    try:
        submit_projection(run, [epochs[-1]], "umap")
    except OSError as error:  # the map is a convenience: the run has finished either way
        print(f"could not queue the final UMAP map: {error}", file=sys.stderr)


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


def _close_lock_copy() -> None:
    """In a child: close the inherited lock file without unlocking it (the worker keeps its lock)."""
    for lock in _held_lock:
        lock.close()
    _held_lock.clear()


# ------------------------------------------------------------------------------------------ the projection child
MAX_PROJECTION_RESTARTS = 3  # a projection child that keeps dying (umap broken, no memory) is not restarted again


def _fork_projection_server(paths: WorkerPaths) -> int:
    from engine.jobs.projection_queue import serve_projections

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
