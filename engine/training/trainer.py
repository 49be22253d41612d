"""The training loop: one run of one model on one split, recorded in a run directory as it goes.

The trainer owns everything around the model (contract D' of the models): the optimiser (Adam; row-sparse for tables),
the :class:`~engine.loader.LinkBatchLoader` that serves shuffled mini-batches of training edges with uniform negatives,
the model's curriculum of hard negatives and what the model asked to have sampled (sampling the next batch while the
model steps on this one), evaluation every ``eval_every`` epochs, best-epoch selection and early stopping on the
validation slice, checkpoints, embedding snapshots, and the run's status. Every epoch's randomness derives from
``(seed, epoch, batch)``, so a resumed run continues exactly as the uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from tqdm import tqdm

from engine.loader.build import run_loader
from engine.loader.reopen import build_model, load_split, resolve_device, split_arrays
from engine.models.registry import is_tracked
from engine.runs.config import TrainConfig, resolve
from engine.runs.jsonio import is_disk_full
from engine.runs.names import ACTIVE_STATES, PROTOCOLS, RunDirError
from engine.runs.rundir import RunDir
from engine.runs.runstore import RunStore
from engine.training.checkpoint import fingerprint, load_checkpoint, read_checkpoint, restore_model, save_checkpoint
from engine.training.determinism import reproducible
from engine.training.distributed import SINGLE_PROCESS, Group, device_for, join, leave, loss_function
from engine.training.evaluation import EvalData, evaluate_users
from engine.training.finish import finish_run, set_status
from engine.training.optimizers import TableAdam, restore_optimizer, use_dense_tables
from engine.training.stopping import StopFlag

if TYPE_CHECKING:
    from engine.loader import LinkBatchLoader

STATUS_INTERVAL_S = 1.0  # least time between two intra-epoch status writes


def train(
    config: TrainConfig,
    runs_dir: str | Path = "runs",
    run_id: str | None = None,
    progress: bool = True,
    on_evaluation: Callable[[int, dict[str, Any]], str | None] | None = None,
) -> Path:
    """Train a new run and return its directory.

    Args:
        config (TrainConfig): Resolved (:func:`~engine.runs.config.resolve`) and checked, with the data it
            names, before the run directory is created; left unchanged.
        runs_dir (str | Path): Parent of the run directory. (default: ``"runs"``)
        run_id (str, optional): Name of the new run; it must not exist. (default: generated, unique)
        progress (bool): Show a tqdm progress bar on stderr. (default: ``True``)
        on_evaluation (Callable, optional): Called with ``(epoch, metrics)`` after each evaluated epoch of a single
            process (a study's pruner); a string it returns stops the run there, as ``stopped`` with that reason
            and no test metrics. (default: ``None``)

    Raises:
        ValueError: An invalid config, or a dataset that cannot be loaded (``DatasetError``), before the run
            directory is created.
    """
    config = resolve(config)
    _check_trainable(config)
    group = join(resolve_device(config.device))
    try:
        config = dataclasses.replace(config, world_size=group.world_size)
        split = load_split(config)  # a bad dataset or split fails here, before the run directory exists
        _check_group(config, split, group)
        run = RunDir(_on_main(group, lambda: RunStore(runs_dir).create(config.model, config.dataset, run_id).path))
        if not group.is_main:  # rank 0 alone writes the run directory
            _execute(run, config, split, resume=False, progress=False, group=group)
            return run.path
        with run.lock():
            run.write_config(config.to_dict())
            run.write_split(split_arrays(split))
            set_status(run, config, "queued", epoch=0, started_at=time.time(), error=None, traceback=None)
            _execute(run, config, split, resume=False, progress=progress, group=group, on_evaluation=on_evaluation)
        return run.path
    finally:
        leave(group)


def _check_trainable(config: TrainConfig) -> None:
    """Refuse a run logged with :mod:`engine.track`: its model was trained by the user's own loop."""
    if is_tracked(config.model):
        raise ValueError(
            f"model {config.model!r} is a run logged with engine.track from a training loop outside the engine; the "
            "engine cannot train or resume it: log a new run from your own loop"
        )


def _on_main(group: Group, work: Callable[[], Any]) -> Any:
    """``work()`` on rank 0, its result shared with every rank; its error is raised on every rank."""
    result, problem = None, None
    if group.is_main:
        try:
            result = work()
        except (ValueError, OSError) as error:
            problem = error
    shared = group.share(("error", str(problem)) if problem is not None else ("ok", result))
    if problem is not None:
        raise problem
    if shared[0] == "error":
        raise ValueError(shared[1])
    return shared[1]


def _check_group(config: TrainConfig, split: Any, group: Group) -> None:
    """Refuse a data-parallel group with more processes than an epoch has batches (some would only wait)."""
    batches = math.ceil(split.train.num_edges / config.batch_size)
    if group.world_size > batches:
        raise ValueError(
            f"torchrun started {group.world_size} processes but an epoch of dataset {config.dataset!r} has only "
            f"{batches} batch(es) of {config.batch_size}; use --nproc-per-node {batches} or fewer, or a smaller "
            "--batch-size"
        )


def resume(run_dir: str | Path, epochs: int | None = None, device: str | None = None, progress: bool = True) -> Path:
    """Continue a stopped, interrupted or failed run from its last checkpoint (or extend a finished one).

    The run stays locked while it trains, so a second process resuming it at the same time is refused.

    Args:
        run_dir (str | Path): The run directory.
        epochs (int, optional): New total number of epochs. (default: the run's own)
        device (str, optional): ``auto``, ``cpu`` or ``cuda``. (default: the run's own)
        progress (bool): Show a tqdm progress bar on stderr. (default: ``True``)

    Raises:
        RunDirError: The folder is not a run this engine wrote, another process trains it, or it recorded epochs
            whose checkpoint is gone.
    """
    run = RunDir(run_dir)
    problem = run.foreign_problem()
    if problem:
        raise RunDirError(
            f"cannot resume {run.path}: it is not a run this engine wrote ({problem}); "
            "start a new run with `python -m engine train`"
        )
    wanted = device or str(run.read().config.get("device") or "auto")
    group = join(resolve_device(wanted if wanted in ("auto", "cpu", "cuda") else "cpu"))
    try:
        if not group.is_main:  # rank 0 checks and rewrites the run; the others train it with the config it wrote
            config = resolve(TrainConfig.from_dict(_on_main(group, lambda: None)))
            _execute(run, config, load_split(config), resume=True, progress=False, group=group)
            return run.path
        announced: list[bool] = []  # whether the other ranks were told to go on (or not)
        try:
            with run.lock():
                _resume_locked(run, epochs, device, progress, group, announced)
        except (ValueError, OSError) as error:
            if not announced:
                group.share(("error", str(error)))
            raise
        return run.path
    finally:
        leave(group)


def _resume_locked(
    run: RunDir, epochs: int | None, device: str | None, progress: bool, group: Group, announced: list[bool]
) -> None:
    config, split = _check_resume(run, epochs, device, group)
    group.share(("ok", config.to_dict()))
    announced.append(True)
    run.sweep_temporary()  # parts of files a killed or failed write left; the lock says no writer is alive
    set_status(run, config, "queued", error=None, traceback=None, resumed_at=time.time())
    _execute(run, config, split, resume=True, progress=progress, group=group)


def _check_resume(run: RunDir, epochs: int | None, device: str | None, group: Group) -> tuple[TrainConfig, Any]:
    """The resumed run's config (rewritten) and split, or the reason it cannot be resumed."""
    info = run.read()
    if not info.config:
        raise ValueError(f"cannot resume {info.path}: {'; '.join(info.damaged) or 'its config is empty'}")
    if info.state in ACTIVE_STATES:
        raise ValueError(f"run {info.run_id} is still {info.state} (pid {info.status.get('pid')}); stop it first")
    changes = {name: value for name, value in (("epochs", epochs), ("device", device)) if value is not None}
    config = resolve(dataclasses.replace(TrainConfig.from_dict(info.config), **changes))
    _check_trainable(config)
    done = int(info.status.get("epoch") or 0)
    if done and not run.checkpoint_path.exists():
        raise RunDirError(
            f"cannot resume run {info.run_id}: it recorded {done} epoch(s) but its checkpoint {run.checkpoint_path} "
            f"is missing; start a new run with the same settings: python -m engine train --config {run.config_path}"
        )
    if info.state == "finished" and config.epochs <= done:
        raise ValueError(f"run {info.run_id} already finished {done} epochs; pass --epochs N > {done} to extend it")
    if run.checkpoint_path.exists():
        read_checkpoint(run.checkpoint_path, config.model)
    config = dataclasses.replace(config, world_size=group.world_size)
    split = load_split(config)
    _check_group(config, split, group)
    run.write_marker()
    run.write_config(config.to_dict())
    if not run.split_path.exists():  # a run from before runs recorded their split: the same seed rebuilt it
        run.write_split(split_arrays(split))
    return config, split


def snapshot_epochs(config: TrainConfig) -> set[int]:
    """Evaluated epochs that keep an embedding snapshot: at most ``max_snapshots``, evenly spaced, last included."""
    evaluated = [e for e in range(1, config.epochs + 1) if e % config.eval_every == 0 or e == config.epochs]
    picks = np.linspace(0, len(evaluated) - 1, min(config.max_snapshots, len(evaluated))).round().astype(int)
    return {evaluated[p] for p in picks}


def _execute(
    run: RunDir,
    config: TrainConfig,
    split: Any,
    resume: bool,
    progress: bool,
    group: Group = SINGLE_PROCESS,
    on_evaluation: Callable[[int, dict[str, Any]], str | None] | None = None,
) -> None:
    stop = StopFlag()
    try:
        with stop.installed(), reproducible(config.threads, config.deterministic, resolve_device(config.device)):
            _loop(run, config, split, resume, progress, stop, group, on_evaluation)
    except BaseException as error:
        lost = group.lost_rank(error)
        if lost is not None:
            print(f"error: rank {group.rank}: {lost}", file=sys.stderr, flush=True)
        if group.is_main:
            failure = lost or (str(error) if is_disk_full(error) else f"{type(error).__name__}: {error}")
            try:
                set_status(run, config, "failed", error=failure, traceback=traceback.format_exc())
            except OSError as unrecorded:
                if not is_disk_full(unrecorded):
                    raise
                raise OSError(
                    f"{failure}; the disk is too full to record the failure in {run.status_path} either, so the "
                    "run lists as interrupted until it is resumed"
                ) from error
        raise


def _loop(
    run: RunDir,
    config: TrainConfig,
    split: Any,
    resume: bool,
    progress: bool,
    stop: StopFlag,
    group: Group,
    on_evaluation: Callable[[int, dict[str, Any]], str | None] | None = None,
) -> None:
    device = device_for(resolve_device(config.device), group)
    main = group.is_main
    torch.manual_seed(config.seed)
    train_graph = split.train
    model = build_model(config, train_graph).to(device)
    loader = run_loader(model, train_graph, config, device, rank=group.rank, world_size=group.world_size)
    if group.parallel and device.type == "cuda":
        use_dense_tables(model)  # nccl all-reduces dense gradients only
    optimizer = TableAdam(model, config.lr)  # Adam for dense layers, row-sparse Adam for sparse ID tables
    step_loss = loss_function(model, group)  # the model's loss; through DDP (gradients averaged) with several ranks
    data = EvalData.from_split(split)
    state = {"epoch": 0, "best_epoch": None, "best_value": None, "bad_evals": 0, "train_seconds": 0.0}
    if resume and run.checkpoint_path.exists():
        saved = load_checkpoint(run.checkpoint_path, config.model, train_graph, map_location=device)
        restore_model(model, saved, run.checkpoint_path)
        restore_optimizer(optimizer, saved, run.checkpoint_path, announce=main)
        for group_settings in optimizer.param_groups:
            group_settings["lr"] = config.lr
        torch.set_rng_state(saved["torch_rng"].cpu())
        if device.type == "cuda" and saved.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(saved["cuda_rng"].cpu(), device)
        state = {key: saved[key] for key in state}
    protocol = PROTOCOLS[0] if data.has_validation or config.refit_of else PROTOCOLS[1]
    if main:
        run.truncate_metrics(state["epoch"])
        set_status(
            run, config, "running", epoch=state["epoch"], device=str(device), protocol=protocol,
            world_size=group.world_size, threads=torch.get_num_threads(), reason=None,
        )  # fmt: skip
    snapshots = snapshot_epochs(config)
    stopped_early = stopping = False
    pruned: str | None = None  # why on_evaluation stopped the run
    with tqdm(
        total=config.epochs,
        initial=state["epoch"],
        desc=f"{config.model} on {config.dataset}",
        unit="epoch",
        disable=not progress or not main,
        dynamic_ncols=True,
    ) as bar:
        for epoch in range(state["epoch"] + 1, config.epochs + 1):
            started = time.perf_counter()
            reporter = _status_reporter(run, config, epoch, len(loader)) if main else None
            loss = train_epoch(model, optimizer, loader, epoch, stop, reporter, step_loss, group)
            if loss is None:
                stopping = True
                break
            seconds = time.perf_counter() - started
            state["train_seconds"] += seconds
            record: dict[str, Any] = {"epoch": epoch, "loss": loss, "seconds": seconds}
            stopping = group.any(stop.requested)
            # a refit trains the epochs its selected run chose on validation and reads the test split once, at the end
            if (epoch % config.eval_every == 0 or epoch == config.epochs) and not config.refit_of:
                if main:  # rank 0 alone evaluates, keeps the best weights and snapshots; the others wait for its call
                    metrics, user_emb, item_emb = _evaluate_epoch(model, config, data, run, epoch, state)
                    record.update(metrics)
                    patience_over = bool(
                        config.patience and data.has_validation and state["bad_evals"] >= config.patience
                    )
                    if epoch in snapshots or patience_over or stopping:
                        run.save_snapshot(epoch, user_emb, item_emb)
                    bar.set_postfix({"loss": f"{loss:.4f}", config.monitor_key: f"{metrics[config.monitor_key]:.4f}"})
                    stopped_early = patience_over
                    pruned = on_evaluation(epoch, metrics) if on_evaluation is not None else None
                stopped_early = group.share(stopped_early)
            else:
                bar.set_postfix({"loss": f"{loss:.4f}"})
            state["epoch"] = epoch
            if main:
                run.append_metrics(record)
                _save_state(run, model, optimizer, config, train_graph, state)
                set_status(run, config, "running", epoch=epoch, batch=None, total_batches=None)
            bar.update(1)
            if stopping or stopped_early or pruned:
                break
    if main and pruned:
        set_status(run, config, "stopped", epoch=state["epoch"], reason=f"{pruned}; no test metrics")
    elif main and stopping:
        how = {"SIGTERM": "SIGTERM: the Stop button or kill", "SIGINT": "SIGINT: Ctrl-C"}.get(
            stop.signal_name, "a signal" if stop.requested else "a signal to another rank"
        )
        reason = f"stopped on request ({how}) after epoch {state['epoch']} of {config.epochs}; no test metrics"
        set_status(run, config, "stopped", epoch=state["epoch"], reason=reason)
    elif main:
        finish_run(run, model, config, data, state, stopped_early, split.report, snapshots)
    group.wait()  # the others leave once rank 0 has written the run's end


def train_epoch(
    model,
    optimizer: TableAdam | torch.optim.Optimizer,
    loader: LinkBatchLoader,
    epoch: int,
    stop: StopFlag | None = None,
    on_batch: Callable[[int], None] | None = None,
    step_loss: Callable | None = None,
    group: Group = SINGLE_PROCESS,
) -> float | None:
    """One pass over the loader's batches of ``epoch``.

    Args:
        model (Recommender): Trained in place.
        optimizer (torch.optim.Optimizer): Steps once per batch.
        loader (LinkBatchLoader): The batches.
        epoch (int): The epoch, from 1.
        stop (StopFlag, optional): Checked before every step. (default: ``None``)
        on_batch (Callable[[int], None], optional): Called with the number of batches done after each step.
            (default: ``None``)
        step_loss (Callable, optional): ``batch -> loss``, e.g. the DDP-wrapped loss. (default: ``model.loss``)
        group (Group): The data-parallel group; a stop on any rank stops every rank at the same step, and the
            mean loss is over every rank's edges. (default: one process)

    Returns:
        The mean loss per training edge, or ``None`` when a stop was requested.
    """
    model.train()
    step_loss = step_loss or model.loss
    total, edges = 0.0, 0
    with loader.epoch(epoch) as batches:
        for batch in batches:
            if group.any(stop is not None and stop.requested):
                return None
            loss = step_loss(batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"loss became {float(loss)} at epoch {epoch}, batch {batch.index}; "
                    f"lower --lr (now {optimizer.param_groups[0]['lr']})"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch.edges)
            edges += len(batch.edges)
            if on_batch is not None:
                on_batch(batch.index + 1)
    total, edges = group.sum(total, edges)
    return total / max(edges, 1)


def _status_reporter(run: RunDir, config: TrainConfig, epoch: int, total: int) -> Callable[[int], None]:
    """Writes how many of ``epoch``'s ``total`` batches are done to the run's status, at most every
    :data:`STATUS_INTERVAL_S`."""
    last = time.monotonic()

    def report(done: int) -> None:
        nonlocal last
        if time.monotonic() - last > STATUS_INTERVAL_S:
            set_status(run, config, "running", epoch=epoch - 1, batch=done, total_batches=total)
            last = time.monotonic()

    return report


def _evaluate_epoch(model, config: TrainConfig, data: EvalData, run: RunDir, epoch: int, state: dict[str, Any]):
    """Metrics on the validation slice (or, test-selected, the test set without one) and best-epoch bookkeeping.

    Returns:
        ``(metrics, user_emb (U, d), item_emb (I, d))`` with the embeddings as float32 numpy arrays.
    """
    model.eval()
    user_emb, item_emb = model.embeddings()  # (U, d), (I, d)
    split = "val" if data.has_validation else "test"
    metrics = evaluate_users(user_emb, item_emb, data, split, config.ks, config.eval_batch_size).means()
    user_np, item_np = user_emb.float().cpu().numpy(), item_emb.float().cpu().numpy()
    if data.has_validation:
        value = metrics[config.monitor_key]
        if state["best_value"] is None or value > state["best_value"]:
            state.update(best_epoch=epoch, best_value=value, bad_evals=0)
            best = {"model": config.model, "model_state": model.state_dict(), "epoch": epoch}
            save_checkpoint(run.best_path, {**best, "config": config.to_dict(), "data": fingerprint(data.train)})
            run.save_best_snapshot(user_np, item_np)
        else:
            state["bad_evals"] += 1
    return {"split": split, **metrics}, user_np, item_np


def _save_state(run: RunDir, model, optimizer, config: TrainConfig, train_graph, state: dict[str, Any]) -> None:
    device = next(model.parameters()).device
    save_checkpoint(
        run.checkpoint_path,
        {
            "model": config.model,
            "model_state": model.state_dict(),
            "optimizer_state": optimizer.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
            "config": config.to_dict(),
            "data": fingerprint(train_graph),
            **state,
        },
    )
