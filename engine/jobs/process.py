"""Start and stop the engine's background processes: training runs, experiments and embedding projections (pure: no
Streamlit).

Each runs as ``python -m …`` in its own process session, so neither a Streamlit rerun nor a closed browser tab touches
it. A training process creates its run directory itself (refusing an existing one), so its combined stdout and
stderr go to the run's :attr:`RunDir.log_path` beside the runs: that log also catches errors from before the run
directory exists. An experiment process (``python -m engine experiment``) writes its output to
:func:`experiment_log_path`, and its progress is its members' run directories. A projection process writes into its
run's projections folder, where each epoch it computes is marked pending with its pid until it is done.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.commands import experiment_command, resume_command, train_command, tune_command
from engine.jobs.client import (
    WorkerJob,
    is_forked_run,
    study_log_path,
    submit_projection,
    submit_training,
    submit_tuning,
)
from engine.jobs.projection_queue import withdraw
from engine.jobs.spawn import spawn
from engine.runs.config import TrainConfig
from engine.runs.names import (
    ACTIVE_STATES,
    RunDirError,
    command_line,
    experiment_log_path,
    new_run_id,
    process_alive,
)
from engine.runs.rundir import RunDir, RunInfo

if TYPE_CHECKING:
    from engine.analysis.store import ProjectionStore
    from engine.experiments.spec import ExperimentSpec


@dataclass(frozen=True)
class Launch:
    """A training process the dashboard started."""

    run_id: str  # name of the run directory the process creates
    process: subprocess.Popen | WorkerJob  # the training process (its own session), started plainly or by the worker
    log_path: Path  # combined stdout and stderr of the process


def start_training(config: TrainConfig, runs_dir: Path) -> Launch:
    """Start training ``config`` (already validated) into a new run under ``runs_dir``.

    The runs directory's warm worker (:mod:`engine.jobs.worker`) forks the process when one is running, which
    skips the seconds of importing torch and PyG; otherwise a fresh ``python -m engine train`` process starts.

    Args:
        config (TrainConfig): The run's configuration.
        runs_dir (Path): The runs directory (made absolute, so the process may start anywhere).

    Raises:
        RunDirError: The process's log cannot be written in ``runs_dir`` (read-only, or not a folder).
    """
    run_id = new_run_id(config.model, config.dataset)
    log = RunDir(Path(runs_dir) / run_id).log_path
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        stream = open(log, "wb")
    except OSError as error:
        raise RunDirError(
            f"the training log {log} cannot be written ({error.strerror}: {error.filename}); "
            "pick a runs directory this user can write to"
        ) from None
    command = train_command(config, Path(runs_dir).resolve(), run_id)
    with stream:
        job = submit_training(runs_dir, command[3:], log, Path(runs_dir) / run_id)  # the words after `python -m engine`
        process = job if job is not None else spawn(command, stream)
    return Launch(run_id, process, log)


def resume_training(run: RunInfo, epochs: int | None = None) -> Launch:
    """Continue a stopped, interrupted or failed run from its last checkpoint, as ``--resume`` does on the CLI;
    ``epochs``, when given, is its new total number of epochs (``--epochs``).

    Like :func:`start_training`: on the runs directory's warm worker when one is running, else a fresh process; the
    output is appended to the run's log.

    Raises:
        RunDirError: The run's log cannot be written.
    """
    log = RunDir(run.path).log_path
    try:
        log.parent.mkdir(parents=True, exist_ok=True)  # a run the CLI trained has no log folder yet
        stream = open(log, "ab")  # the earlier attempts' output stays above
    except OSError as error:
        raise RunDirError(f"the training log {log} cannot be written ({error.strerror})") from None
    command = resume_command(run.path, epochs=epochs)
    with stream:
        job = submit_training(run.path.parent, command[3:], log, run.path)
        process = job if job is not None else spawn(command, stream)
    return Launch(run.run_id, process, log)


@dataclass(frozen=True)
class ExperimentLaunch:
    """An experiment process the dashboard started."""

    name: str  # the experiment's name (its folder under ``<runs-dir>/experiments``)
    process: subprocess.Popen  # the ``python -m engine experiment`` process (its own session)
    log_path: Path  # combined stdout and stderr of the process


def start_experiment(spec: ExperimentSpec, runs_dir: Path) -> ExperimentLaunch:
    """Start running (or resuming) experiment ``spec`` into ``runs_dir``, once its settings are checked.

    Args:
        spec (ExperimentSpec): The experiment; checked here as the process will check it, so bad settings are an
            error now rather than a process that exits.
        runs_dir (Path): The runs directory (made absolute, so the process may start anywhere).

    Raises:
        ValueError: Bad settings, or an experiment of that name in ``runs_dir`` with other settings.
        RunDirError: The process's log cannot be written in ``runs_dir``.
    """
    from engine.experiments.runner import check_experiment  # the models' registry: torch, only when needed

    check_experiment(spec, runs_dir)
    command = experiment_command(spec, Path(runs_dir).resolve())
    log = experiment_log_path(runs_dir, spec.name)
    stream = _append_log(log, "the experiment log")  # a resumed experiment keeps the output of the earlier attempts
    with stream:
        process = spawn(command, stream)
    return ExperimentLaunch(spec.name, process, log)


@dataclass(frozen=True)
class TuneLaunch:
    """A ``tune`` process (an Optuna study) the dashboard started."""

    name: str  # the study's name
    process: subprocess.Popen | WorkerJob  # the ``python -m engine tune`` process, forked by the worker or plain
    log_path: Path  # combined stdout and stderr of the process


def start_tuning(
    name: str,
    dataset: str,
    model: str,
    runs_dir: Path,
    data_dir: str | None = None,
    trials: int | None = None,
    timeout: float | None = None,
    epochs: int | None = None,
) -> TuneLaunch:
    """Start (or continue) study ``name`` of ``model`` on ``dataset``: until it holds ``trials`` trials or
    ``timeout`` seconds have passed, each trial at most ``epochs`` epochs; on the runs directory's warm worker when
    one is running, else in a fresh ``python -m engine tune`` process.

    The settings are checked first, as the process will check them, so a bad model, an empty budget or a name
    that exists with another dataset or model is an error now rather than a process that exits.

    Raises:
        ValueError: Bad settings, or a study of that name with other settings (naming what differs).
        RunDirError: The process's log cannot be written in ``runs_dir``.
    """
    from engine.cli import build_parser
    from engine.cli.tune import settings_from_args
    from engine.tuning import load_study, study_names
    from engine.tuning.runner import prepare
    from engine.tuning.storage import check_study_name, read_meta

    runs_dir = Path(runs_dir).resolve()
    check_study_name(name)
    options = {"data_dir": data_dir, "trials": trials, "timeout": timeout, "epochs": epochs}
    command = tune_command(name, dataset, model, runs_dir, options)
    try:
        args = build_parser().parse_args(command[3:])
    except SystemExit:  # argparse's own refusal (a data folder named like a flag): said on stderr, one line here
        raise ValueError(f"the tune command cannot take these settings: {' '.join(command[3:])}") from None
    _, _, meta = prepare(settings_from_args(args))
    if name in study_names(runs_dir):
        saved = read_meta(load_study(runs_dir, name))
        differ = [f"{key} {saved.get(key)!r} there, {meta[key]!r} now" for key in meta if saved.get(key) != meta[key]]
        if differ:
            raise ValueError(
                f"study {name!r} exists with other settings ({'; '.join(differ)}); give the same settings to "
                "continue it, or another name"
            )
    log = study_log_path(runs_dir, name)
    stream = _append_log(log, "the study's log")  # a continued study keeps the output of the earlier attempts
    with stream:
        job = submit_tuning(runs_dir, command[3:], name)
        process = job if job is not None else spawn(command, stream)
    return TuneLaunch(name, process, log)


def is_training_process(pid: int) -> bool:
    """Whether ``pid`` is alive and is an ``engine train`` process (guards against a recycled pid)."""
    if not process_alive(pid):
        return False
    words = command_line(pid)
    if is_forked_run(pid):
        return True  # a run the dashboard's worker forked: the worker's command line, its own process name
    return b"engine" in words and b"train" in words


def stop_training(run: RunInfo) -> str:
    """Ask a run's process to stop (SIGTERM); the trainer marks the run stopped and keeps its metrics.

    Returns:
        What happened, for the page to show.
    """
    pid = run.status.get("pid")
    if run.state not in ACTIVE_STATES:
        return f"run {run.run_id} is already {run.state}"
    if not isinstance(pid, int) or not is_training_process(pid):
        return f"run {run.run_id} has no live training process (pid {pid!r}); it will show as interrupted"
    os.kill(pid, signal.SIGTERM)
    return f"asked run {run.run_id} (pid {pid}) to stop; it finishes the current batch first"


def start_projection(run: RunDir, epochs: list[int], method: str) -> int:
    """Have ``method`` maps of ``epochs`` computed in that order, in the background; returns the pid they wait on.

    They join the queue of the runs directory's warm worker when one is running (one map at a time, umap already
    compiled). Otherwise one ``python -m engine.cli.project`` process starts for them, its output appended to
    :meth:`RunDir.projection_log_path`. Either way each epoch is marked pending with the computing process's pid,
    and the mark is cleared when that epoch is done.
    """
    queued_on = submit_projection(run, epochs, method)
    if queued_on is not None:
        return queued_on
    run.projections_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "engine.cli.project", str(run.path), "--method", method]
    command += ["--epochs", ",".join(str(epoch) for epoch in epochs)]
    with open(run.projection_log_path(method), "ab") as log:  # the child keeps its own copy open
        process = spawn(command, log)
    for epoch in epochs:
        run.projection_pending_path(epoch, method).write_text(str(process.pid))
    return process.pid


def start_maps(store: ProjectionStore, epochs: list[int], method: str, requester: str | None = None) -> list[int]:
    """Have ``store``'s run's maps of ``epochs`` computed in the background, in ascending order (on the worker's queue
    when one serves the runs directory, else by :func:`start_projection`); returns the epochs queued.

    Epochs already cached or already being computed are skipped, so calling this on every page
    rerun is cheap and never starts duplicate work. With a ``requester`` (a page), this request supersedes
    that requester's earlier ones on the dashboard's worker: the maps it asked for before and nobody else
    wants are dropped, and a map another page is waiting for becomes wanted by this one too.
    """
    if store.run.outside:
        if epochs:
            store.run.check_writable(f"computing the {method.upper()} maps of epochs {sorted(epochs)}")
        return []
    run = str(store.run_dir.resolve())
    wanted = {(run, epoch, method) for epoch in epochs}
    held = withdraw(store.run_dir.parent, requester, wanted) if requester is not None else None
    states = {epoch: store.state(epoch, method) for epoch in epochs}
    todo = sorted(e for e in epochs if states[e] in ("missing", "failed"))
    shared = [e for e in epochs if held is not None and states[e] == "pending" and (run, e, method) not in held]
    for epoch in todo:
        store.run.projection_error_path(epoch, method).unlink(missing_ok=True)
    if held is not None and (todo or shared):  # the worker serves maps: queue this page's own job
        if submit_projection(store.run, sorted(todo + shared), method, requester) is not None:
            return todo
    if todo:
        start_projection(store.run, todo, method)
    return todo


def _append_log(log: Path, what: str):
    """``log`` opened for appending (its folder made), or :class:`RunDirError` naming ``what`` cannot be written."""
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        return open(log, "ab")
    except OSError as error:
        raise RunDirError(
            f"{what} {log} cannot be written ({error.strerror}: {error.filename}); "
            "pick a runs directory this user can write to"
        ) from None
