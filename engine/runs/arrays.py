"""The arrays of a run directory: embedding snapshots, per-user test results and the recorded split, written
atomically and read without pickle (:class:`RunArrays`, the numpy half of :class:`engine.runs.rundir.RunDir`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.runs.jsonio import write_atomic
from engine.runs.names import MAX_PER_USER_BYTES, MAX_SPLIT_BYTES, PER_USER, SPLIT_PARTS, RunDirError
from engine.runs.npzio import NpzError, load_npz


class RunArrays:
    """Reading and writing a run's ``.npz`` files; :class:`~engine.runs.rundir.RunDir` names their paths."""

    # Given by RunDir: path, split_path, per_user_path, embeddings_dir, epoch_snapshot_path(), best_snapshot_path,
    # snapshot_epochs() and check_writable().

    def save_snapshot(self, epoch: int, user: np.ndarray, item: np.ndarray) -> Path:
        """Save the ``user (U, d)`` and ``item (I, d)`` embeddings of ``epoch`` as float32, atomically."""
        return self._save_embeddings(self.epoch_snapshot_path(epoch), user, item)

    def save_best_snapshot(self, user: np.ndarray, item: np.ndarray) -> Path:
        """Save the embeddings of the best validation epoch so far, like :meth:`save_snapshot`."""
        return self._save_embeddings(self.best_snapshot_path, user, item)

    def prune_snapshots(self, keep: set[int]) -> None:
        """Delete the epoch snapshots whose epoch is not in ``keep`` (``best`` stays)."""
        self.check_writable()
        for epoch in self.snapshot_epochs():
            if epoch not in keep:
                self.epoch_snapshot_path(epoch).unlink()

    def save_per_user(self, arrays: dict[str, np.ndarray]) -> Path:
        """Save the per-user test results (named arrays, see ``engine.training.trainer``) atomically."""
        self.check_writable()
        write_atomic(self.per_user_path, lambda stream: np.savez(stream, **arrays))
        return self.per_user_path

    def read_per_user(self) -> dict[str, np.ndarray]:
        """The arrays :meth:`save_per_user` wrote, read without pickle.

        Raises:
            RunDirError: The run has no per-user results (unfinished, or older than them) or they are unreadable.
        """
        path = self.per_user_path
        inside = path.is_file() and path.resolve().parent == self.path.resolve()
        if not inside or path.stat().st_size > MAX_PER_USER_BYTES:
            why = "is missing" if not path.exists() else "is not a regular file of the run or is too large"
            raise RunDirError(
                f"run {self.path.name!r} has no per-user test results: {PER_USER} {why}; only finished runs "
                "trained by this version have them (train it again, or resume it if it was interrupted)"
            )
        try:
            return load_npz(path)
        except NpzError as error:
            raise RunDirError(f"run {self.path.name!r}: its per-user test results cannot be read: {error}") from None

    def write_split(self, arrays: dict[str, np.ndarray]) -> Path:
        """Save the run's split (the arrays :data:`SPLIT` holds, see the module docstring) atomically."""
        self.check_writable()
        write_atomic(self.split_path, lambda stream: np.savez(stream, **arrays))
        return self.split_path

    def read_split(self) -> dict[str, np.ndarray] | None:
        """The arrays of :attr:`split_path`, or ``None`` for a run trained before runs recorded their split.

        Raises:
            RunDirError: The file is a link out of the run, not a regular file, too large, or unreadable.
        """
        path = self.split_path
        if not os.path.lexists(path):
            return None
        resolved = path.resolve()
        problem = None
        if not resolved.is_relative_to(self.path.resolve()):
            problem = f"is a link to {resolved}, outside the run"
        elif not path.is_file():
            problem = "is not a regular file"
        elif path.stat().st_size > MAX_SPLIT_BYTES:
            problem = f"is larger than {MAX_SPLIT_BYTES // 2**20} MiB"
        if problem is None:
            try:
                arrays = load_npz(path)
            except NpzError as error:
                problem = str(error).removeprefix(str(path)).strip()
        if problem is not None:
            raise RunDirError(f"the split of run {self.path.name!r} ({path}) {problem}; it was not read")
        missing = [f"{part}_{side}" for part in SPLIT_PARTS for side in ("user", "item")] + ["user_ids", "item_ids"]
        missing = [name for name in missing if name not in arrays]
        if missing:
            raise RunDirError(f"the split of run {self.path.name!r} ({path}) lacks {', '.join(missing)}")
        return arrays

    def _save_embeddings(self, target: Path, user: np.ndarray, item: np.ndarray) -> Path:
        self.check_writable()
        self.embeddings_dir.mkdir(exist_ok=True)
        user, item = user.astype(np.float32, copy=False), item.astype(np.float32, copy=False)
        write_atomic(target, lambda stream: np.savez(stream, user=user, item=item))
        return target
