"""The names of a runs directory: run states, file and folder names, run ids, experiment folders, and live pids.

What a run directory holds is described in :mod:`engine.runs.rundir`; this module is what both the run directory and
the processes that write it agree on, and it imports nothing but the standard library.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

DEFAULT_RUNS_DIR = "runs"  # where run directories go unless --runs-dir or the sidebar says otherwise
RUN_STATES = ("queued", "running", "finished", "failed", "stopped", "interrupted")
ACTIVE_STATES = ("queued", "running")
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
RUN_FORMAT = "gnn-recsys-explorer/run"
RUN_FORMAT_VERSION = 1
MAX_JSON_BYTES = 4 * 2**20  # config, status, summary: a few kB each, tracebacks included
MAX_METRICS_BYTES = 64 * 2**20  # ~1 kB per epoch: tens of thousands of epochs
MAX_NOTE_BYTES = 64 * 2**10  # a projection's pid or error message
MAX_PER_USER_BYTES = 1024 * 2**20  # per-user test results: ~200 bytes a user at K = 20

MARKER, LOCK = ".gnn-run", ".train.lock"
CONFIG, STATUS, METRICS, SUMMARY = "config.json", "status.json", "metrics.jsonl", "summary.json"
CHECKPOINT, BEST, PER_USER, SPLIT = "checkpoint.pt", "best.pt", "per_user.npz", "split.npz"
TAGS = "tags.json"  # the user's tags and note of a run (python -m engine tag), never part of its config
TRACK = "track.json"  # what a run logged with engine.track adds: its name, the user's own config, where its split and
# test metrics came from
MAX_TAG_CHARS = 64
MAX_RUN_NOTE_BYTES = 10_000  # a run's free-text note, UTF-8
SPLIT_PARTS = ("train", "val", "test")
MAX_SPLIT_BYTES = 2 * 2**30  # 32M interactions as int64 pairs, with room for the raw ids
# How a run chose the weights it was tested with: on its validation slice, or (no validation slice) by looking at
# the test split every epoch, which is only fair for reproducing a paper's protocol.
PROTOCOLS = ("validation-selected", "test-selected")
EMBEDDINGS, PROJECTIONS = "embeddings", "projections"
PYG_BATCHES = "pyg_batches"  # PyG loader batches a run logged (engine.analysis.pyg_batches)
LOG_FOLDER = ".logs"
EXPERIMENTS, EXPERIMENT = "experiments", "experiment.json"


class RunDirError(ValueError):
    """A run directory that cannot be used as asked; the message says where and what to do."""


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is a safe directory name; raise ``ValueError`` otherwise (no paths, no ``..``)."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise ValueError(
            f"invalid run id {run_id!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return run_id


def experiment_path(runs_dir: str | Path, name: str) -> Path:
    """``<runs-dir>/experiments/<name>/experiment.json``: the members and settings of experiment ``name``.

    Raises:
        ValueError: ``name`` is not a safe folder name (the rules of :func:`check_run_id`).
    """
    if not isinstance(name, str) or not RUN_ID_PATTERN.fullmatch(name) or ".." in name:
        raise ValueError(
            f"invalid experiment name {name!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return Path(runs_dir) / EXPERIMENTS / name / EXPERIMENT


def experiment_log_path(runs_dir: str | Path, name: str) -> Path:
    """``<runs-dir>/.logs/experiments/<name>.log``: output of an experiment process the dashboard started.

    Raises:
        ValueError: ``name`` is not a safe folder name (as :func:`experiment_path`).
    """
    experiment_path(runs_dir, name)  # the same name check
    return Path(runs_dir) / LOG_FOLDER / EXPERIMENTS / f"{name}.log"


def new_run_id(model: str, dataset: str) -> str:
    """``<model>-<dataset>-<utc time>-<8 hex>``: readable, sortable, distinct for runs started in one second."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(dataset.removeprefix("csv:")).stem or dataset).strip("-")[:40]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    model = re.sub(r"[^A-Za-z0-9]+", "-", model.rpartition(":")[2]).strip("-")[:40]  # pkg.mod:Class -> Class
    return check_run_id(f"{model or 'model'}-{slug or 'data'}-{stamp}-{secrets.token_hex(4)}")


def process_alive(pid: Any) -> bool:
    """Whether ``pid`` names a live (non-zombie) process on this machine."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def command_line(pid: int) -> list[bytes]:
    """The words of ``pid``'s command line (``/proc/<pid>/cmdline``); empty when it cannot be read."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
