"""The run directory: the only thing a training process and the dashboard share, and the one place naming its files.

Layout of ``<runs-dir>/<run-id>/``, with the :class:`RunDir` attribute of each entry in brackets::

    .gnn-run        [marker_path] {"format": "gnn-recsys-explorer/run", "version": 1}: this engine made the folder
    config.json     [config_path] TrainConfig, everything needed to reproduce the run
    status.json     [status_path] state (one of RUN_STATES), pid, host, epoch, total_epochs, batch, total_batches,
                    started_at, updated_at, error, traceback, and reason (why a stopped run stopped)
    metrics.jsonl   [metrics_path] one flushed JSON line per epoch: epoch, loss, seconds, and on evaluated epochs the
                    metrics
    summary.json    [summary_path] {"test": {...}, "best_epoch", "train_seconds", ...} once training ends
    checkpoint.pt   [checkpoint_path] latest state (model, optimiser, epoch), loaded with torch.load(weights_only=True)
    best.pt         [best_path] model weights of the best validation epoch (only with a validation slice)
    split.npz       [split_path] the edges the run trained, validated and tested on: int64 internal ids
                    ``{train,val,test}_{user,item}`` and the dataset's raw ids ``user_ids``/``item_ids`` (str)
    per_user.npz    [per_user_path] per-user test metrics of the selected model (:meth:`RunDir.save_per_user`), what
                    ``python -m engine compare`` pairs between runs
    embeddings/     [embeddings_dir] epoch_XXXX.npz [epoch_snapshot_path] at evaluated epochs (bounded) and best.npz
                    [best_snapshot_path]; float32 arrays ``user (U, d)`` and ``item (I, d)``
    projections/    [projections_dir] <epoch>_<method>.npz [projection_path]; while a process computes one, its pid in
                    <epoch>_<method>.pending [projection_pending_path]; why it failed in <epoch>_<method>.error
                    [projection_error_path]; the process's output in <method>.log [projection_log_path]
    track.json      [track_path] only in a run logged with engine.track: {"name", "config" (the user's own),
                    "split_source" (the engine run whose split it used, "edges" the user gave, or null: none),
                    "test_source" ("engine": evaluated at finish; "user": metrics reported by the user; null)}
    tags.json       [tags_path] {"tags": [...], "note": "..."}: the user's labels of the run (:mod:`engine.runs.tags`)
    .train.lock     [lock_path] ``flock``-ed by the training process for its whole life; holds its pid

Beside the runs, ``<runs-dir>/.logs/<run-id>.log`` [log_path] keeps the output of a training process the dashboard
started; it also catches errors from before the run directory exists, and the run listing skips the dot-folder.
``<runs-dir>/experiments/<name>/experiment.json`` [:func:`experiment_path`] lists the member runs of an experiment
(``python -m engine experiment``), which stay ordinary runs; the run listing skips that folder too (it holds no run).
``<runs-dir>/.logs/experiments/<name>.log`` [:func:`experiment_log_path`] keeps the output of an experiment process the
dashboard started (beside the runs' logs, so that it exists before the experiment's folder does).

Writers replace JSON atomically. Readers never fail on a damaged directory and list what they could not read in
``RunInfo.damaged``; they read only regular files inside the run directory once links are resolved, of at most
``MAX_JSON_BYTES`` (``MAX_METRICS_BYTES`` for the metrics log). A status that says running while its process is gone
reads as ``interrupted``.

Runs made before the marker existed are recognised by their shape instead: a status whose state is one of
``RUN_STATES`` and a config naming a model and a dataset with no key a :class:`TrainConfig` lacks. Deleting and resuming
accept both; resuming such a run adds the marker.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.runs.arrays import RunArrays
from engine.runs.cleanup import remove_run_files, sweep_temporary
from engine.runs.config import TrainConfig
from engine.runs.jsonio import (
    append_jsonl,
    read_json,
    read_jsonl,
    read_text,
    write_json_atomic,
    write_text_atomic,
)
from engine.runs.locks import hold_lock
from engine.runs.names import (
    ACTIVE_STATES,
    BEST,
    CHECKPOINT,
    CONFIG,
    EMBEDDINGS,
    LOCK,
    LOG_FOLDER,
    MARKER,
    MAX_JSON_BYTES,
    MAX_METRICS_BYTES,
    MAX_NOTE_BYTES,
    METRICS,
    PER_USER,
    PROJECTIONS,
    PROTOCOLS,
    RUN_FORMAT,
    RUN_FORMAT_VERSION,
    RUN_STATES,
    SPLIT,
    STATUS,
    SUMMARY,
    TAGS,
    TRACK,
    RunDirError,
    process_alive,
)
from engine.runs.schema import well_typed
from engine.runs.tags import edited, read_tags

_SNAPSHOT = re.compile(r"^epoch_(\d+)\.npz$")


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
    outside: bool = False  # the run's folder is a link to a run elsewhere: listed and read, never written
    tags: list[str] = field(default_factory=list)  # the user's labels, from tags.json
    note: str = ""  # the user's free-text note, from tags.json

    @property
    def state(self) -> str:
        return str(self.status.get("state", "unknown"))

    @property
    def protocol(self) -> str:
        """``validation-selected`` or ``test-selected`` (one of :data:`PROTOCOLS`): as recorded by the trainer, else
        read from the config of a run older than the record (no validation slice means test-selected)."""
        recorded = self.status.get("protocol") or (self.summary or {}).get("protocol")
        if recorded in PROTOCOLS:
            return str(recorded)
        val_ratio = self.config.get("val_ratio")
        return PROTOCOLS[0] if isinstance(val_ratio, (int, float)) and val_ratio > 0 else PROTOCOLS[1]

    @property
    def files(self) -> RunDir:
        """The run's directory, for the paths of its files."""
        return RunDir(self.path)

    @property
    def snapshots(self) -> dict[str, Path]:
        """Embedding snapshots by name (``epoch_0005``, ``best``), epochs in order and ``best`` last."""
        return self.files.snapshots()


def read_run(path: str | Path) -> RunInfo:
    """Read one run directory, tolerating missing files and a half-written metrics line."""
    return RunDir(path).read()


class RunDir(RunArrays):
    """One run directory: the paths of its files, and reading and writing them.

    Args:
        path (str | Path): The run's folder, ``<runs-dir>/<run-id>``; nothing is created until something is written.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @property
    def marker_path(self) -> Path:
        return self.path / MARKER

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG

    @property
    def status_path(self) -> Path:
        return self.path / STATUS

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def summary_path(self) -> Path:
        return self.path / SUMMARY

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def best_path(self) -> Path:
        return self.path / BEST

    @property
    def split_path(self) -> Path:
        return self.path / SPLIT

    @property
    def per_user_path(self) -> Path:
        return self.path / PER_USER

    @property
    def tags_path(self) -> Path:
        return self.path / TAGS

    @property
    def track_path(self) -> Path:
        return self.path / TRACK

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK

    @property
    def embeddings_dir(self) -> Path:
        return self.path / EMBEDDINGS

    @property
    def projections_dir(self) -> Path:
        return self.path / PROJECTIONS

    @property
    def log_path(self) -> Path:
        """Output of the training process the dashboard started, in the runs directory's ``.logs`` folder."""
        return self.path.parent / LOG_FOLDER / f"{self.path.name}.log"

    def epoch_snapshot_path(self, epoch: int) -> Path:
        return self.embeddings_dir / f"epoch_{epoch:04d}.npz"

    @property
    def best_snapshot_path(self) -> Path:
        return self.embeddings_dir / "best.npz"

    def snapshot_epochs(self) -> list[int]:
        """Epochs with an embedding snapshot, ascending."""
        if not self.embeddings_dir.is_dir():
            return []
        found = (_SNAPSHOT.match(path.name) for path in self.embeddings_dir.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def snapshots(self) -> dict[str, Path]:
        """Embedding snapshots by name (``epoch_0005``, ``best``), epochs in order and ``best`` last."""
        files = [self.epoch_snapshot_path(epoch) for epoch in self.snapshot_epochs()]
        files += [self.best_snapshot_path] if self.best_snapshot_path.is_file() else []
        return {file.stem: file for file in files}

    def projection_path(self, epoch: int, method: str) -> Path:
        return self.projections_dir / f"{epoch:04d}_{method}.npz"

    def projection_pending_path(self, epoch: int, method: str) -> Path:
        return self.projection_path(epoch, method).with_suffix(".pending")

    def projection_error_path(self, epoch: int, method: str) -> Path:
        return self.projection_path(epoch, method).with_suffix(".error")

    def projection_progress_path(self, epoch: int, method: str) -> Path:
        """One line on how far a map being computed has got (``layout epoch 40 of 200``)."""
        return self.projection_path(epoch, method).with_suffix(".progress")

    def projection_log_path(self, method: str) -> Path:
        return self.projections_dir / f"{method}.log"

    def read_note(self, path: Path) -> str:
        """A short text file of the run (a pending pid, an error message); empty when missing or unreadable."""
        text, _ = read_text(path, MAX_NOTE_BYTES, self.path)
        return text or ""

    def looks_like_run(self) -> bool:
        """Whether the folder holds a status or a config: what the run listing shows, damaged or not."""
        return self.status_path.exists() or self.config_path.exists()

    def foreign_problem(self) -> str | None:
        """Why this folder is not a run this engine wrote, or ``None`` when it is one.

        A run carries the marker; a run made before the marker existed passes on the shape of its status and config.
        """
        marker, problem = read_json(self.marker_path, MAX_JSON_BYTES, self.path)
        if isinstance(marker, dict) and marker.get("format") == RUN_FORMAT:
            return None
        if not os.path.lexists(self.marker_path):
            marker_problem = f"no {MARKER} marker"
        else:
            marker_problem = problem or f"{MARKER} does not hold format {RUN_FORMAT!r}"
        status, problem = read_json(self.status_path, MAX_JSON_BYTES, self.path)
        if problem:
            return f"{marker_problem}, and {problem}"
        if not isinstance(status, dict) or status.get("state") not in RUN_STATES:
            return f"{marker_problem}, and {STATUS} holds no run state ({', '.join(RUN_STATES)})"
        config, problem = read_json(self.config_path, MAX_JSON_BYTES, self.path)
        if problem:
            return f"{marker_problem}, and {problem}"
        if not isinstance(config, dict) or not all(isinstance(config.get(key), str) for key in ("model", "dataset")):
            return f"{marker_problem}, and {CONFIG} does not name a model and a dataset"
        unknown = sorted(set(config) - {f.name for f in dataclasses.fields(TrainConfig)})
        if unknown:
            return f"{marker_problem}, and {CONFIG} has keys no training config has ({', '.join(unknown[:5])})"
        return None

    def read(self) -> RunInfo:
        """What the directory says, tolerating missing, damaged or oversized files and a half-written metrics line."""
        damaged: list[str] = []
        config, problem = read_json(self.config_path, MAX_JSON_BYTES, self.path)
        if problem or not isinstance(config, dict):
            damaged.append(problem or f"{CONFIG} is not a JSON object")
            config = {}
        status, problem = read_json(self.status_path, MAX_JSON_BYTES, self.path)
        if problem or not isinstance(status, dict):
            damaged.append(problem or f"{STATUS} is not a JSON object")
            status = {"state": "unknown"}
        metrics, problem = read_jsonl(self.metrics_path, MAX_METRICS_BYTES, self.path)
        if problem:
            damaged.append(problem)
        summary, problem = read_json(self.summary_path, MAX_JSON_BYTES, self.path)
        if problem and os.path.lexists(self.summary_path):
            damaged.append(problem)
        if not isinstance(summary, dict):
            summary = None
        config, status, metrics, summary = well_typed(config, status, metrics, summary, damaged)
        tags, note, problems = read_tags(self.tags_path, self.path)
        damaged.extend(problems)
        if status.get("state") in ACTIVE_STATES and status.get("host", socket.gethostname()) == socket.gethostname():
            if not process_alive(status.get("pid")):
                status = {**status, "state": "interrupted", "recorded_state": status.get("state")}
        return RunInfo(self.path.name, self.path, config, status, metrics, summary, damaged, self.outside, tags, note)

    @property
    def outside(self) -> bool:
        """Whether the run's folder is a link (to a run outside the runs directory it is listed in)."""
        return os.path.islink(self.path)

    def check_writable(self, action: str = "writing") -> None:
        """Raise when the run is :attr:`outside`: such a run is shown read-only, and nothing ever writes into it.

        Raises:
            RunDirError: The folder is a link; the message names its target and what to do instead.
        """
        if self.outside:
            raise RunDirError(
                f"run {self.path.name!r} is a link to {self.path.resolve()}, outside the runs directory: it is "
                f"read-only here ({action} refused); copy the run into the runs directory to change it"
            )

    def write_marker(self) -> None:
        self.check_writable()
        write_json_atomic(self.marker_path, {"format": RUN_FORMAT, "version": RUN_FORMAT_VERSION})

    def write_config(self, config: dict[str, Any]) -> None:
        self.check_writable()
        write_json_atomic(self.config_path, config)

    def read_status(self) -> dict[str, Any]:
        status, _ = read_json(self.status_path, MAX_JSON_BYTES, self.path)
        return status if isinstance(status, dict) else {}

    def update_status(self, **changes: Any) -> dict[str, Any]:
        """Merge ``changes`` into the status, stamping ``updated_at`` (unix seconds)."""
        self.check_writable()
        status = {**self.read_status(), **changes, "updated_at": time.time()}
        write_json_atomic(self.status_path, status)
        return status

    def append_metrics(self, record: dict[str, Any]) -> None:
        self.check_writable()
        append_jsonl(self.metrics_path, record)

    def read_metrics(self) -> list[dict[str, Any]]:
        return read_jsonl(self.metrics_path, MAX_METRICS_BYTES, self.path)[0]

    def truncate_metrics(self, last_epoch: int) -> None:
        """Keep only lines up to ``last_epoch`` (a resumed run repeats the epochs after its checkpoint)."""
        self.check_writable()
        records = self.read_metrics()
        kept = [record for record in records if record.get("epoch", 0) <= last_epoch]
        if len(kept) == len(records):
            return
        if not kept:  # nothing to lose: no log, as before the first epoch
            self.metrics_path.unlink(missing_ok=True)
            return
        # Replaced in one rename: deleting the log and re-appending it line by line lost it to a kill -9 in between.
        lines = "".join(json.dumps(record, sort_keys=True, allow_nan=True) + "\n" for record in kept)
        write_text_atomic(self.metrics_path, lines)

    def sweep_temporary(self) -> list[str]:
        """Delete the temporary files that writes killed mid-way left (the caller holds :meth:`lock`, so no writer
        of this run is alive); returns their names."""
        self.check_writable()
        return sweep_temporary(self.path)

    def write_summary(self, summary: dict[str, Any]) -> None:
        self.check_writable()
        write_json_atomic(self.summary_path, summary)

    def edit_tags(self, add: Sequence[str] = (), remove: Sequence[str] = (), note: str | None = None) -> dict[str, Any]:
        """Add and remove tags and replace the note (:func:`engine.runs.tags.edited`) in ``tags.json``, under the
        run's lock; returns what was written.

        Raises:
            RunDirError: A bad tag or note, a run :attr:`outside` the runs directory, no run folder, or a lock
                another process holds; nothing is written then.
        """
        edited(self.tags_path, self.path, add, remove, note)  # checks the input before anything is touched
        self.check_writable("tagging")
        if not self.path.is_dir():
            raise RunDirError(f"no run directory {self.path}")
        with self.lock():
            document = edited(self.tags_path, self.path, add, remove, note)
            write_json_atomic(self.tags_path, document)
        return document

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run's lock (``flock`` on :attr:`lock_path`, which then holds this pid) until the block ends.

        Raises:
            RunDirError: Another process holds the lock (the message names its pid), or the lock file cannot be
                created.
        """
        self.check_writable("training")
        with hold_lock(self.lock_path, f"run {self.path.name!r}", "the run directory"):
            yield

    def remove(self) -> list[str]:
        """Delete the files and folders a run consists of; anything else stays, and with it the folder.

        Links are removed, never followed, and a folder that is a link is left alone.

        Returns:
            What stayed in the folder because no run writes it (sorted); empty when the folder is gone.
        """
        return remove_run_files(self.path)
