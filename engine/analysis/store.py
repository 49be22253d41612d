"""Embedding snapshots of a run and the projections cached beside them.

The run directory is the contract (:class:`~engine.runs.RunDir` names its files): training writes one snapshot
per evaluated epoch (``RunDir.epoch_snapshot_path``, ``user`` and ``item`` float32 arrays); this module writes the
maps (``RunDir.projection_path``). Slow projections (UMAP) are computed in the background
(:func:`engine.jobs.process.start_maps`: the dashboard worker's queue, else a separate process) so the dashboard
never waits: while one waits or runs, the epoch's pending mark (``RunDir.projection_pending_path``) holds the
computing process's pid, its progress line is in ``RunDir.projection_progress_path``, and a failure leaves the
message in ``RunDir.projection_error_path``. A page asks with a *requester* (itself), so that its newest request
supersedes its older ones in the worker's queue (:mod:`engine.jobs.projection_queue`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np

from engine.analysis.projection import METHODS, Projection, ProjectionError, base_method, fit_projection
from engine.runs.logs import log_tail
from engine.runs.names import process_alive
from engine.runs.npzio import NpzError, load_npz
from engine.runs.rundir import RunDir

ProjectionState = Literal["ready", "pending", "failed", "missing"]


class EmbeddingsMissing(ProjectionError):
    """A run that has no embedding snapshot to show."""


class ProjectionCancelled(Exception):
    """A map nobody wants any more, stopped part-way (not a failure: nothing is recorded)."""


class ProjectionStore:
    """Embedding snapshots and cached maps (2-D, and 3-D for the ``"3d"`` methods) of one run directory.

    Args:
        run_dir (str | Path): The run directory (``runs/<run-id>``).
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.run = RunDir(self.run_dir)
        self.projection_dir = self.run.projections_dir

    # ------------------------------------------------------------ snapshots
    def epochs(self) -> list[int]:
        """Epochs with an embedding snapshot, ascending."""
        return self.run.snapshot_epochs()

    def embeddings(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """``(user (U, d), item (I, d))`` float32 arrays of one snapshot."""
        path = self.run.epoch_snapshot_path(epoch)
        if not path.is_file():
            known = self.epochs()
            if not known:
                raise EmbeddingsMissing(
                    f"run {self.run_dir.name!r} has no embedding snapshots yet (in {self.run.embeddings_dir}); "
                    "they are written on evaluated epochs — wait for the first evaluation or train longer"
                )
            raise EmbeddingsMissing(f"run {self.run_dir.name!r} has no snapshot for epoch {epoch}; it has {known}")
        try:
            data = load_npz(path)
            return data["user"].astype(np.float32), data["item"].astype(np.float32)
        except (NpzError, KeyError) as error:
            why = error if isinstance(error, NpzError) else f"{path} lacks the {error} array"
            raise EmbeddingsMissing(f"the snapshot of epoch {epoch} cannot be read: {why}") from None

    def stacked(self, epoch: int) -> tuple[np.ndarray, int]:
        """Users then items in one ``(U + I, d)`` matrix, and ``U``."""
        user, item = self.embeddings(epoch)
        return np.concatenate([user, item]), len(user)

    # ----------------------------------------------------------- projections
    def path(self, epoch: int, method: str) -> Path:
        return self.run.projection_path(epoch, method)

    def state(self, epoch: int, method: str) -> ProjectionState:
        """Whether the map is cached, being computed by a live process, failed, or not started."""
        if self.path(epoch, method).is_file():
            return "ready"
        pending = self.run.projection_pending_path(epoch, method)
        if pending.is_file():
            if process_alive(_pid(self.run.read_note(pending))):
                return "pending"
            pending.unlink(missing_ok=True)
            if not self.run.projection_error_path(epoch, method).is_file():
                tail = log_tail(self.run.projection_log_path(method), 3).splitlines()
                self._write_error(epoch, method, " ".join(["the projection process stopped before finishing.", *tail]))
        if self.run.projection_error_path(epoch, method).is_file():
            return "failed"
        return "missing"

    def error(self, epoch: int, method: str) -> str:
        return self.run.read_note(self.run.projection_error_path(epoch, method))

    def progress(self, epoch: int, method: str) -> str:
        """How far a map being computed has got (``layout epoch 40 of 200``); empty when it has not started."""
        return self.run.read_note(self.run.projection_progress_path(epoch, method))

    def load(self, epoch: int, method: str) -> Projection | None:
        """The cached map, or ``None`` when it is not computed yet."""
        path = self.path(epoch, method)
        return Projection.load(path) if path.is_file() else None

    def reference(self, epoch: int, method: str) -> Projection | None:
        """The latest cached map of an earlier epoch, to align onto."""
        earlier = [e for e in self.epochs() if e < epoch and self.path(e, method).is_file()]
        return self.load(earlier[-1], method) if earlier else None

    def compute(self, epoch: int, method: str, seed: int = 0, stop_if: Callable[[], bool] | None = None) -> Projection:
        """Fit, align onto the previous cached epoch, and cache one map (in this process).

        ``stop_if`` is asked on every UMAP progress line (about once a second); when it answers true the fit
        stops with :class:`ProjectionCancelled`.
        """
        if method not in METHODS:
            raise ProjectionError(f"unknown projection method {method!r}; choose one of {', '.join(METHODS)}")
        stacked, num_users = self.stacked(epoch)
        progress_path = self.run.projection_progress_path(epoch, method)

        def report(line: str) -> None:
            if stop_if is not None and stop_if():
                raise ProjectionCancelled(f"map of epoch {epoch} no longer wanted")
            if self.run.outside:
                return
            progress_path.parent.mkdir(parents=True, exist_ok=True)
            partial = progress_path.with_name(f".{progress_path.name}.{os.getpid()}.partial")
            partial.write_text(line)
            os.replace(partial, progress_path)

        try:
            projection = fit_projection(
                stacked,
                num_users,
                method,
                epoch=epoch,
                reference=self.reference(epoch, method),
                seed=seed,
                progress=report if base_method(method) == "umap" else None,
            )
        except ProjectionError as error:
            if not self.run.outside:
                self._write_error(epoch, method, str(error))
            raise
        finally:
            if not self.run.outside:
                progress_path.unlink(missing_ok=True)
        if not self.run.outside:  # a run linked from elsewhere is read-only: its map lives in this process only
            projection.save(self.path(epoch, method))
            self.run.projection_error_path(epoch, method).unlink(missing_ok=True)
        return projection

    def get_or_compute(self, epoch: int, method: str) -> Projection:
        """The cached map, computed now when missing (use for PCA, which takes milliseconds).

        Missing earlier epochs are computed first, so every map is aligned onto its predecessor
        whatever order the epochs are viewed in.
        """
        cached = self.load(epoch, method)
        if cached is not None:
            return cached
        for earlier in self.epochs() if not self.run.outside else []:  # nothing cached to align onto there
            if earlier < epoch and not self.path(earlier, method).is_file():
                self.compute(earlier, method)
        return self.compute(epoch, method)

    def finish_pending(self, epoch: int, method: str) -> None:
        """Called by the projection process when it is done with an epoch, successful or not."""
        self.run.projection_pending_path(epoch, method).unlink(missing_ok=True)

    def fail(self, epoch: int, method: str, message: str) -> None:
        """Record that ``epoch``'s map could not be made (the page shows ``message``) and clear its pending mark."""
        self._write_error(epoch, method, message)
        self.finish_pending(epoch, method)

    def _write_error(self, epoch: int, method: str, message: str) -> None:
        self.projection_dir.mkdir(parents=True, exist_ok=True)
        self.run.projection_error_path(epoch, method).write_text(message)


def _pid(text: str) -> int:
    return int(text.strip()) if text.strip().isdigit() else 0
