"""All runs under one runs directory: list, open, create and delete them (the files of one run: :mod:`rundir`)."""

from __future__ import annotations

from pathlib import Path

from engine.runs.names import ACTIVE_STATES, RUN_ID_PATTERN, RunDirError, check_run_id, new_run_id
from engine.runs.rundir import RunDir, RunInfo


class RunNotFound(ValueError):
    """A run id that has no directory in the runs directory."""


class RunStore:
    """All runs under one runs directory.

    Args:
        root (str | Path): The runs directory; created on the first new run.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, run_id: str) -> Path:
        """The directory of ``run_id``, refusing ids that would escape the runs directory, links included."""
        path = self.root / check_run_id(run_id)
        if path.resolve().parent != self.root.resolve():
            raise ValueError(f"run id {run_id!r} resolves outside the runs directory {self.root}")
        return path

    def list(self) -> list[RunInfo]:
        """Every run, newest first (by start time, then id)."""
        if not self.root.is_dir():
            return []
        runs = [
            RunDir(child).read()
            for child in self.root.iterdir()
            if child.is_dir() and RUN_ID_PATTERN.fullmatch(child.name) and RunDir(child).looks_like_run()
        ]
        runs.sort(key=lambda run: (float(run.status.get("started_at") or 0), run.run_id), reverse=True)
        return runs

    def get(self, run_id: str) -> RunInfo:
        path = self.path(run_id)
        if not path.is_dir():
            raise RunNotFound(f"no run {run_id!r} in {self.root}; `python -m engine runs --runs-dir DIR` lists them")
        return RunDir(path).read()

    def delete(self, run_id: str) -> list[str]:
        """Remove a run's files, its folder and its log; only runs this engine wrote, and only when not in use.

        Returns:
            Entries that stayed because no run writes them, with the folder holding them; empty when it is gone.

        Raises:
            RunNotFound: No such run.
            RunDirError: The folder is not a run this engine wrote, its training process still runs, or a file
                cannot be removed.
        """
        path = self.path(run_id)
        if not path.is_dir():
            raise RunNotFound(f"no run {run_id!r} in {self.root}; `python -m engine runs --runs-dir DIR` lists them")
        if path.is_symlink():
            raise RunDirError(
                f"refusing to delete {path}: it is a link to {path.resolve()}, not a run folder; "
                "remove the link by hand"
            )
        run = RunDir(path)
        problem = run.foreign_problem()
        if problem:
            raise RunDirError(
                f"refusing to delete {path}: it is not a run this engine wrote ({problem}); remove it by hand "
                "if you mean to"
            )
        info = run.read()
        if info.state in ACTIVE_STATES:
            raise RunDirError(f"run {run_id!r} is still {info.state} (pid {info.status.get('pid')}); stop it first")
        try:
            with run.lock():
                kept = run.remove()
            run.log_path.unlink(missing_ok=True)
        except OSError as error:
            raise RunDirError(
                f"could not delete all of run {run_id!r}: {error.strerror} ({error.filename}); fix the permissions "
                "of the runs directory and try again"
            ) from None
        return kept

    def create(self, model: str, dataset: str, run_id: str | None = None) -> RunDir:
        """Make a new run directory holding only the run marker; two runs started at once never share one.

        Args:
            model (str): Model name, part of the generated id.
            dataset (str): Dataset name, part of the generated id.
            run_id (str, optional): Explicit id; it must not exist yet. (default: ``<model>-<dataset>-<utc>-<hex>``)

        Raises:
            RunDirError: The runs directory cannot be created or written.
        """
        if self.root.exists() and not self.root.is_dir():
            raise RunDirError(f"the runs directory {self.root} is a file, not a folder; pick another runs directory")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            path = self._make(run_id) if run_id is not None else self._make_unique(model, dataset)
            run = RunDir(path)
            run.write_marker()
        except OSError as error:
            where = Path(error.filename) if error.filename else self.root
            raise RunDirError(
                f"cannot create a run in the runs directory {self.root}: {error.strerror} ({where}); "
                "pick a runs directory this user can write to"
            ) from None
        return run

    def _make(self, run_id: str) -> Path:
        path = self.path(run_id)
        try:
            path.mkdir()
        except FileExistsError:
            raise RunDirError(
                f"run {run_id!r} already exists in {self.root}; pick another --run-id or use --resume"
            ) from None
        return path

    def _make_unique(self, model: str, dataset: str) -> Path:
        while True:
            path = self.path(new_run_id(model, dataset))
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return path
