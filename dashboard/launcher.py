"""Start and stop training processes for the Train page (pure: no Streamlit).

A run is trained by ``python -m engine train …`` in its own process session, so neither a Streamlit rerun nor a
closed browser tab touches it. The process creates the run directory itself (refusing an existing one), so its
combined stdout/stderr goes to ``<runs-dir>/.logs/<run-id>.log`` beside the runs: that log also catches errors that
happen before the run directory exists. The run store ignores the dot-folder.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.training import RunInfo, TrainConfig, check_run_id, train_command

LOG_FOLDER = ".logs"
ACTIVE_STATES = ("queued", "running")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Launch:
    """A training process the dashboard started."""

    run_id: str  # name of the run directory the process creates
    process: subprocess.Popen  # the ``python -m engine train`` process (its own session)
    log_path: Path  # combined stdout and stderr of the process


def new_run_id(config: TrainConfig) -> str:
    """``<model>-<dataset>-<utc time>-<6 hex>``: readable, sortable, and distinct for two tabs starting at once."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(config.dataset.removeprefix("csv:")).stem).strip("-")[:40] or "data"
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return check_run_id(f"{config.model}-{slug}-{stamp}-{secrets.token_hex(3)}")


def log_path(runs_dir: Path, run_id: str) -> Path:
    """Where the process of ``run_id`` writes its output."""
    return runs_dir / LOG_FOLDER / f"{check_run_id(run_id)}.log"


def launch(config: TrainConfig, runs_dir: Path) -> Launch:
    """Start training ``config`` (already validated) into a new run under ``runs_dir``.

    Args:
        config (TrainConfig): The run's configuration.
        runs_dir (Path): The runs directory (absolute, so the process may start anywhere).
    """
    run_id = new_run_id(config)
    log = log_path(runs_dir, run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = train_command(config, runs_dir.resolve(), run_id)
    with open(log, "wb") as stream:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return Launch(run_id, process, log)


def is_training_process(pid: int) -> bool:
    """Whether ``pid`` is alive and is an ``engine train`` process (guards against a recycled pid)."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"engine" in command_line and b"train" in command_line


def stop(run: RunInfo) -> str:
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


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log, or an empty string when it does not exist."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])
