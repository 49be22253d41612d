"""``track.init(...)``: a run directory written from any training loop, as ``python -m engine train`` writes one.

The run is an ordinary run of the runs directory (:mod:`engine.runs.rundir`): its marker, a ``config.json`` whose
model is ``track:<name>``, ``status.json`` with this process's pid (so a killed process reads as interrupted),
``metrics.jsonl``, embedding snapshots, the split it used and, once finished, the summary, per-user test results and
a checkpoint of the selected snapshot, so the Runs, Embeddings and Recommend pages, ``report`` and ``compare`` read
it as they read the engine's own runs. Its own extras are in ``track.json``. The run's lock is held while it logs.
"""

from __future__ import annotations

import os
import re
import socket
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from engine.runs.config import MAX_K, METRIC_NAMES, TrainConfig, resolve
from engine.runs.jsonio import write_json_atomic
from engine.runs.names import DEFAULT_RUNS_DIR, RunDirError, new_run_id
from engine.runs.rundir import RunDir
from engine.runs.runstore import RunStore
from engine.track.split import Split, TrackError, check_numbers, internal_split, whole_dataset

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SELECTIONS = ("last", "best")
RESERVED = ("epoch", "loss", "seconds", "split")  # metrics.jsonl's own fields


class Run:
    """A run being logged; made by :func:`init`, which finishes it when its ``with`` block ends.

    Attributes:
        dir (Path): The run directory.
        num_users, num_items (int): Rows a snapshot's ``users`` and ``items`` must have.
        user_ids, item_ids (np.ndarray): The dataset's raw ids in row order (snapshot row ``r`` is ``user_ids[r]``).
    """

    def __init__(
        self,
        files: RunDir,
        config: TrainConfig,
        graph: Any,
        split: dict[str, np.ndarray],
        select: str,
        test: dict[str, float] | None,
    ) -> None:
        self.dir = files.path
        self._files, self._config, self._graph, self._split, self._select = files, config, graph, split, select
        self._test = test
        self._pid = os.getpid()
        self._last_epoch = 0
        self._dim: int | None = None
        self._finished = False
        self._started = time.monotonic()
        self.num_users, self.num_items = graph.num_users, graph.num_items
        self.user_ids = split["user_ids"]
        self.item_ids = split["item_ids"]

    def edges(self, part: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """``(users (n,), items (n,))`` row indices of the ``train``, ``val`` or ``test`` edges (a run without a
        split trains on every interaction): what the model trains on, in the rows its snapshots use."""
        if part not in ("train", "val", "test"):
            raise TrackError(f"unknown part {part!r}: choose train, val or test")
        return self._split[f"{part}_user"].copy(), self._split[f"{part}_item"].copy()

    # ------------------------------------------------------------------ logging
    def log(self, epoch: int, loss: float | None = None, metrics: Mapping[str, Any] | None = None) -> None:
        """One line of the run's curves: ``epoch`` (from 1, increasing), the training loss and any metrics.

        Raises:
            TrackError: A finished run, another process, an epoch not after the last one logged, a loss or metric
                that is not a finite number, or a metric named like a field of the line; nothing is written then.
        """
        self._check_open("log")
        epoch = self._epoch(epoch, "log")
        if epoch <= self._last_epoch:
            raise TrackError(f"log: epoch {epoch} is not after epoch {self._last_epoch}, the last one logged")
        values = check_numbers(metrics or {}, "log metrics")
        clash = sorted(set(values) & set(RESERVED))
        if clash:
            raise TrackError(f"log metrics: {', '.join(clash)} is a field of every line; name the metric otherwise")
        record: dict[str, Any] = {"epoch": epoch, "seconds": time.monotonic() - self._started}
        if loss is not None:
            record["loss"] = check_numbers({"loss": loss}, "log")["loss"]
        self._files.append_metrics({**record, **values})
        self._last_epoch = epoch
        self._started = time.monotonic()
        self._status("running", epoch=epoch)

    def snapshot(self, epoch: int, users: Any, items: Any) -> Path:
        """Save the embeddings of ``epoch``: ``users (U, d)`` and ``items (I, d)``, numpy or torch on any device,
        rows in the dataset's order (:attr:`user_ids`, :attr:`item_ids`). Scores are their dot products.

        Raises:
            TrackError: A finished run, another process, an epoch already saved, arrays that are not 2-D numbers,
                row counts other than the dataset's, a width other than the earlier snapshots', NaN or infinity.
        """
        self._check_open("snapshot")
        epoch = self._epoch(epoch, "snapshot")
        if self._files.epoch_snapshot_path(epoch).exists():
            raise TrackError(f"snapshot: epoch {epoch} already has a snapshot; each epoch is saved once")
        user = _matrix(users, "users", self.num_users, "users")
        item = _matrix(items, "items", self.num_items, "items")
        if user.shape[1] != item.shape[1]:
            raise TrackError(
                f"snapshot: users are {user.shape[1]}-d and items {item.shape[1]}-d; scores are their dot products, "
                "so both need one width"
            )
        if self._dim is not None and user.shape[1] != self._dim:
            raise TrackError(f"snapshot: epoch {epoch} is {user.shape[1]}-d but earlier snapshots are {self._dim}-d")
        if self._dim is None:
            self._dim = user.shape[1]
            self._config.dim = self._dim
            self._files.write_config(self._config.to_dict())
        return self._files.save_snapshot(epoch, user, item)

    def log_batch(self, epoch: int, index: int, data: Any, num_neighbors: Any = None) -> Path:
        """Save a PyG mini-batch (``Data`` / ``HeteroData`` as ``NeighborLoader`` / ``LinkNeighborLoader`` return
        it) of ``epoch``, batch ``index``, for the Neighborhood page's replay and its leakage check;
        ``num_neighbors`` (the loader's, optional) lets the page hold each hop's sampled count against it."""
        from engine.analysis.pyg_batches import save_pyg_batch

        self._check_open("log_batch")
        return save_pyg_batch(self.dir, self._epoch(epoch, "log_batch"), index, data, num_neighbors=num_neighbors)

    # ------------------------------------------------------------------ ending
    def finish(self) -> None:
        """Evaluate the selected snapshot on the split's test edges with the engine's evaluator (or record the
        user's ``test`` metrics), write the summary and mark the run finished. :func:`init` calls it."""
        from engine.track.finish import finish_logged_run

        self._check_open("finish")
        finish_logged_run(
            self._files, self._config, self._graph, self._split, self._select, self._last_epoch, self._test
        )
        self._finished = True
        self._status("finished", epoch=self._last_epoch, finished_at=time.time())

    def fail(self, error: BaseException) -> None:
        """Mark the run failed with ``error`` and its traceback (a Ctrl-C marks it stopped)."""
        self._finished = True
        if isinstance(error, KeyboardInterrupt):
            reason = f"stopped on request (SIGINT: Ctrl-C) after epoch {self._last_epoch}; no test metrics"
            self._status("stopped", epoch=self._last_epoch, reason=reason)
            return
        text = "".join(traceback.format_exception(error))
        self._status("failed", epoch=self._last_epoch, error=f"{type(error).__name__}: {error}", traceback=text)

    # ------------------------------------------------------------------ checks
    def _check_open(self, action: str) -> None:
        if self._finished:
            raise TrackError(f"{action}: run {self.dir.name} has finished; start a new run with track.init")
        if os.getpid() != self._pid:
            raise TrackError(
                f"{action}: run {self.dir.name} is logged by process {self._pid}, not this one ({os.getpid()}); log "
                "from the process that called track.init (send results back from worker processes)"
            )

    @staticmethod
    def _epoch(epoch: Any, action: str) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 1 <= epoch <= 10_000_000:
            raise TrackError(f"{action}: epoch must be a whole number from 1 (got {epoch!r})")
        return int(epoch)

    def _status(self, state: str, **changes: Any) -> None:
        self._files.update_status(
            state=state, pid=self._pid, host=socket.gethostname(), total_epochs=self._config.epochs, **changes
        )


@contextmanager
def init(
    name: str,
    runs_dir: str | Path = DEFAULT_RUNS_DIR,
    dataset: str | None = None,
    data_dir: str | Path | None = None,
    config: Mapping[str, Any] | None = None,
    split: Split | None = None,
    test: Mapping[str, Any] | None = None,
    select: str = "last",
    ks: list[int] | None = None,
    epochs: int | None = None,
    run_id: str | None = None,
) -> Iterator[Run]:
    """Log a run from your own training loop; the ``with`` block's end finishes it, an exception fails it.

    Args:
        name (str): What the model is called; the run's model reads ``track:<name>``.
        runs_dir (str | Path): The runs directory. (default: ``"runs"``)
        dataset (str, optional): Dataset name or ``csv:PATH``. (default: the split's)
        data_dir (str | Path, optional): Its folder. (default: the split's, else the dataset's own place)
        config (dict, optional): Your own settings, kept in ``track.json``. (default: ``{}``)
        split (Split, optional): :func:`~engine.track.split_of` an engine run, or your own edges; finishing then
            evaluates the selected snapshot on its test edges with the engine's evaluator. (default: none)
        test (dict, optional): Test metrics you computed, for a run without a split; marked as reported by the
            user. (default: none)
        select (str): ``last`` snapshot, or ``best`` on the split's validation slice (by the split run's monitor
            metric, evaluated by the engine). (default: ``"last"``)
        ks (list[int], optional): Metric cut-offs. (default: the split run's, else 10 and 20)
        epochs (int, optional): Epochs you plan, for the progress bar. (default: those logged)
        run_id (str, optional): The run's folder name; it must not exist. (default: ``<name>-<dataset>-<utc>-<hex>``)

    Raises:
        TrackError: Bad arguments, a dataset that cannot be loaded or a split that does not fit it; nothing is
            written then. A run id in use by another process is refused with the process named.
    """
    run_config, graph, arrays = _prepare(name, runs_dir, dataset, data_dir, split, test, select, ks, epochs)
    with ExitStack() as stack:
        store = RunStore(runs_dir)
        try:
            files = store.create(run_config.model, run_config.dataset, run_id or new_run_id(name, run_config.dataset))
            stack.enter_context(files.lock())
        except (RunDirError, ValueError) as error:
            raise TrackError(str(error).replace("--run-id or use --resume", "run_id")) from None
        files.write_config(run_config.to_dict())
        files.write_split(arrays)
        source = split.source if split is not None and split.source else ("edges" if split is not None else None)
        write_json_atomic(
            files.track_path,
            {"name": name, "config": dict(config or {}), "split_source": source, "test_source": None},
        )
        run = Run(files, run_config, graph, arrays, select, check_numbers(test, "test") if test is not None else None)
        run._status("running", epoch=0, started_at=time.time(), error=None, traceback=None, device="user's loop")
        try:
            yield run
        except BaseException as error:
            if not run._finished and os.getpid() == run._pid:
                run.fail(error)
            raise
        if os.getpid() != run._pid:
            return
        if not run._finished:
            try:
                run.finish()
            except BaseException as error:
                run.fail(error)
                raise


def _prepare(name, runs_dir, dataset, data_dir, split, test, select, ks, epochs):
    """Check every argument and the split against the dataset before the run directory exists."""
    from engine.datasets import load_dataset

    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise TrackError(
            f"name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit (got {name!r})"
        )
    if split is not None and not isinstance(split, Split):
        raise TrackError(
            f"split must be track.split_of(<engine run>) or track.Split(train=..., test=...) (got "
            f"{type(split).__name__})"
        )
    if select not in SELECTIONS:
        raise TrackError(f"select must be one of {', '.join(SELECTIONS)} (got {select!r})")
    if test is not None and split is not None:
        raise TrackError(
            "test= is for runs without a split: with split= the engine evaluates your snapshot on its test edges"
        )
    if test is not None:
        check_numbers(test, "test")
    has_val = split is not None and split.val is not None and len(split.val[0]) > 0
    if select == "best" and not has_val:
        raise TrackError("select='best' picks a snapshot on the validation slice; give a split with val edges")
    settings = dict(split.settings) if split is not None else {}
    dataset = dataset if dataset is not None else (split.dataset if split is not None else None)
    if not isinstance(dataset, str) or not dataset.strip():
        raise TrackError(f"dataset must name the dataset your model trains on, e.g. 'synthetic' (got {dataset!r})")
    if split is not None and split.dataset is not None and split.dataset != dataset:
        raise TrackError(f"the split is of dataset {split.dataset!r}, not {dataset!r}; pass dataset={split.dataset!r}")
    if data_dir is None and split is not None:
        data_dir = split.data_dir
    if ks is not None:
        if not isinstance(ks, list) or not ks or not all(isinstance(k, int) and 1 <= k <= MAX_K for k in ks):
            raise TrackError(f"ks must be a list of whole numbers in [1, {MAX_K}] (got {ks!r})")
        settings["ks"] = sorted(set(ks))
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 10_000):
        raise TrackError(f"epochs must be a whole number in [1, 10000] (got {epochs!r})")
    values = {
        "dataset": dataset,
        "data_dir": str(Path(data_dir).expanduser().resolve()) if data_dir is not None else None,
        "model": f"track:{name}",
        "epochs": epochs,
        "device": "cpu",
        "val_ratio": 0.0,
        **settings,
    }
    if settings.get("monitor") not in (None, *METRIC_NAMES):
        values.pop("monitor")
    config = TrainConfig.from_dict(values)
    try:
        resolve(config)
    except ValueError as error:
        raise TrackError(str(error)) from None
    try:
        graph = load_dataset(config.dataset, config.data_dir)
    except (ValueError, OSError) as error:
        raise TrackError(f"cannot load dataset {dataset!r}: {error}") from None
    arrays = internal_split(split, graph) if split is not None else whole_dataset(graph)
    return config, graph, arrays


def _matrix(values: Any, name: str, rows: int, kind: str) -> np.ndarray:
    """``values`` as a float32 ``(rows, d)`` numpy array, refused when it is not one or holds NaN or infinity."""
    if hasattr(values, "detach"):  # a torch tensor, on any device
        values = values.detach().float().cpu().numpy()
    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        raise TrackError(
            f"snapshot: {name} must be a numpy array or a torch tensor (got {type(values).__name__})"
        ) from None
    if array.ndim != 2 or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TrackError(f"snapshot: {name} must be a 2-D array of numbers ({kind}, d) (got shape {array.shape}, "
                         f"dtype {array.dtype})")  # fmt: skip
    if array.shape[0] != rows:
        raise TrackError(
            f"snapshot: {name} has {array.shape[0]} rows but the dataset has {rows} {kind}; give one row per "
            f"{kind[:-1]}, in the dataset's order (run.{kind[:-1]}_ids)"
        )
    if not 1 <= array.shape[1] <= 4096:
        raise TrackError(f"snapshot: {name} are {array.shape[1]}-d; an embedding has 1 to 4096 dimensions")
    with np.errstate(over="ignore"):  # an overflow becomes infinity, refused below
        array = array.astype(np.float32)
    bad = int(np.count_nonzero(~np.isfinite(array).all(axis=1)))
    if bad:
        raise TrackError(f"snapshot: {bad} row(s) of {name} hold NaN or infinity (or overflow float32); nothing saved")
    return array
