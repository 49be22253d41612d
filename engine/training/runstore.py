"""The run directory: the only thing a training process and the dashboard share.

Layout of ``<runs-dir>/<run-id>/``::

    config.json          TrainConfig, everything needed to reproduce the run
    status.json          state (queued|running|finished|failed|stopped|interrupted), pid, host, epoch,
                         total_epochs, batch, total_batches, started_at, updated_at, error, traceback
    metrics.jsonl        one flushed JSON line per epoch: epoch, loss, seconds, and on evaluated epochs the metrics
    summary.json         {"test": {...}, "best_epoch", "train_seconds", ...} once training ends
    checkpoint.pt        latest state (model, optimiser, epoch), loadable with torch.load(weights_only=True)
    best.pt              model weights of the best validation epoch (only with a validation slice)
    embeddings/          epoch_XXXX.npz snapshots at evaluated epochs (bounded) and best.npz; arrays user, item

Writers replace JSON atomically; readers never fail on a damaged directory and list what they could not read in
``RunInfo.damaged``. A status that says running while its process is gone reads as ``interrupted``.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine.training.jsonio import append_jsonl, read_json, read_jsonl, write_json_atomic

RUN_STATES = ("queued", "running", "finished", "failed", "stopped", "interrupted")
ACTIVE_STATES = ("queued", "running")
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class RunNotFound(ValueError):
    """A run id that has no directory in the runs directory."""


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is a safe directory name; raise ``ValueError`` otherwise (no paths, no ``..``)."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id) or ".." in run_id:
        raise ValueError(
            f"invalid run id {run_id!r}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return run_id


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


@dataclass
class RunInfo:
    """What a reader knows about one run; missing or damaged parts are listed in ``damaged``."""

    run_id: str
    path: Path
    config: dict[str, Any]
    status: dict[str, Any]
    metrics: list[dict[str, Any]]
    summary: dict[str, Any] | None
    damaged: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return str(self.status.get("state", "unknown"))

    @property
    def snapshots(self) -> dict[str, Path]:
        """Embedding snapshots by name (``epoch_0005``, ``best``), epochs in order and ``best`` last."""
        folder = self.path / "embeddings"
        files = sorted(folder.glob("epoch_*.npz")) + sorted(folder.glob("best.npz"))
        return {file.stem: file for file in files}


def read_run(path: str | Path) -> RunInfo:
    """Read one run directory, tolerating missing files and a half-written metrics line."""
    path = Path(path)
    damaged: list[str] = []
    config, problem = read_json(path / "config.json")
    if problem or not isinstance(config, dict):
        damaged.append(problem or "config.json is not a JSON object")
        config = {}
    status, problem = read_json(path / "status.json")
    if problem or not isinstance(status, dict):
        damaged.append(problem or "status.json is not a JSON object")
        status = {"state": "unknown"}
    metrics, problem = read_jsonl(path / "metrics.jsonl")
    if problem:
        damaged.append(problem)
    summary, problem = read_json(path / "summary.json")
    if problem and (path / "summary.json").exists():
        damaged.append(problem)
    if not isinstance(summary, dict):
        summary = None
    if status.get("state") in ACTIVE_STATES and status.get("host", socket.gethostname()) == socket.gethostname():
        if not process_alive(status.get("pid")):
            status = {**status, "state": "interrupted", "recorded_state": status.get("state")}
    return RunInfo(path.name, path, config, status, metrics, summary, damaged)


class RunDir:
    """Writer for one run directory, used by the training process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.pt"

    @property
    def best_path(self) -> Path:
        return self.path / "best.pt"

    def write_config(self, config: dict[str, Any]) -> None:
        write_json_atomic(self.path / "config.json", config)

    def read_status(self) -> dict[str, Any]:
        status, _ = read_json(self.path / "status.json")
        return status if isinstance(status, dict) else {}

    def update_status(self, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into status.json, stamping ``updated_at`` (unix seconds)."""
        status = {**self.read_status(), **changes, "updated_at": time.time()}
        write_json_atomic(self.path / "status.json", status)
        return status

    def append_metrics(self, record: dict[str, Any]) -> None:
        append_jsonl(self.path / "metrics.jsonl", record)

    def read_metrics(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / "metrics.jsonl")[0]

    def truncate_metrics(self, last_epoch: int) -> None:
        """Keep only lines up to ``last_epoch`` (a resumed run repeats the epochs after its checkpoint)."""
        kept = [record for record in self.read_metrics() if record.get("epoch", 0) <= last_epoch]
        (self.path / "metrics.jsonl").unlink(missing_ok=True)
        for record in kept:
            self.append_metrics(record)

    def write_summary(self, summary: dict[str, Any]) -> None:
        write_json_atomic(self.path / "summary.json", summary)

    def save_snapshot(self, name: str, user: np.ndarray, item: np.ndarray) -> Path:
        """Save ``embeddings/<name>.npz`` with float32 arrays ``user (U, d)`` and ``item (I, d)``, atomically."""
        folder = self.path / "embeddings"
        folder.mkdir(exist_ok=True)
        target = folder / f"{name}.npz"
        temporary = folder / f".{name}.{os.getpid()}.tmp.npz"
        np.savez(temporary, user=user.astype(np.float32, copy=False), item=item.astype(np.float32, copy=False))
        os.replace(temporary, target)
        return target


class RunStore:
    """All runs under one runs directory.

    Args:
        root (str | Path): The runs directory; created on the first new run.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, run_id: str) -> Path:
        """The directory of ``run_id``, refusing ids that would escape the runs directory."""
        path = self.root / check_run_id(run_id)
        if path.resolve().parent != self.root.resolve():
            raise ValueError(f"run id {run_id!r} resolves outside the runs directory {self.root}")
        return path

    def list(self) -> list[RunInfo]:
        """Every run, newest first (by start time, then id)."""
        if not self.root.is_dir():
            return []
        runs = [
            read_run(child)
            for child in self.root.iterdir()
            if child.is_dir() and RUN_ID_PATTERN.fullmatch(child.name) and _looks_like_run(child)
        ]
        runs.sort(key=lambda run: (float(run.status.get("started_at") or 0), run.run_id), reverse=True)
        return runs

    def get(self, run_id: str) -> RunInfo:
        path = self.path(run_id)
        if not path.is_dir():
            raise RunNotFound(f"no run {run_id!r} in {self.root}; `python -m engine runs --runs-dir DIR` lists them")
        return read_run(path)

    def delete(self, run_id: str) -> None:
        """Remove a run directory; a run whose process is still alive must be stopped first."""
        run = self.get(run_id)
        if run.state in ACTIVE_STATES:
            raise ValueError(f"run {run_id!r} is still {run.state} (pid {run.status.get('pid')}); stop it first")
        shutil.rmtree(run.path)

    def create(self, model: str, dataset: str, run_id: str | None = None) -> RunDir:
        """Make a new, empty run directory; two runs started at once never share one.

        Args:
            model (str): Model name, part of the generated id.
            dataset (str): Dataset name, part of the generated id.
            run_id (str, optional): Explicit id; it must not exist yet. (default: ``<model>-<dataset>-<utc>-<hex>``)
        """
        self.root.mkdir(parents=True, exist_ok=True)
        if run_id is not None:
            path = self.path(run_id)
            try:
                path.mkdir()
            except FileExistsError:
                raise ValueError(
                    f"run {run_id!r} already exists in {self.root}; pick another --run-id or use --resume"
                ) from None
            return RunDir(path)
        while True:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
            slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(dataset.removeprefix("csv:")).stem or dataset).strip("-")
            generated = f"{model}-{slug[:40] or 'data'}-{stamp}-{secrets.token_hex(2)}"
            try:
                self.path(generated).mkdir()
            except FileExistsError:
                continue
            return RunDir(self.root / generated)


def _looks_like_run(path: Path) -> bool:
    return (path / "status.json").exists() or (path / "config.json").exists()
