"""The training loop: one run of one model on one split, recorded in a run directory as it goes.

The trainer owns everything around the model (contract D' of the models): the Adam optimiser, shuffled
mini-batches of training edges, uniform negatives plus the model's curriculum of hard negatives, evaluation every
``eval_every`` epochs, best-epoch selection and early stopping on the validation slice, checkpoints, embedding
snapshots, and the run's status. Every epoch's randomness derives from ``(seed, epoch, batch)``, so a resumed run
continues exactly as the uninterrupted one would have.
"""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from engine.training.checkpoint import fingerprint, load_checkpoint, read_checkpoint, restore_model, save_checkpoint
from engine.training.config import TrainConfig, resolve
from engine.training.evaluation import EvalData, evaluate
from engine.training.rebuild import build_model, load_split, resolve_device
from engine.training.runstore import ACTIVE_STATES, RunDir, RunStore, read_run
from engine.training.stopping import StopFlag

STATUS_INTERVAL_S = 1.0  # least time between two intra-epoch status writes


def train(config: TrainConfig, runs_dir: str | Path = "runs", run_id: str | None = None, progress: bool = True) -> Path:
    """Train a new run and return its directory.

    Args:
        config (TrainConfig): Resolved (:func:`~engine.training.config.resolve`) and checked, with the data it
            names, before the run directory is created; left unchanged.
        runs_dir (str | Path): Parent of the run directory. (default: ``"runs"``)
        run_id (str, optional): Name of the new run; it must not exist. (default: generated, unique)
        progress (bool): Show a tqdm progress bar on stderr. (default: ``True``)
    """
    config = resolve(config)
    split = load_split(config)
    run = RunStore(runs_dir).create(config.model, config.dataset, run_id)
    run.write_config(config.to_dict())
    _set_status(run, config, "queued", epoch=0, started_at=time.time(), error=None, traceback=None)
    _execute(run, config, split, resume=False, progress=progress)
    return run.path


def resume(run_dir: str | Path, epochs: int | None = None, device: str | None = None, progress: bool = True) -> Path:
    """Continue a stopped, interrupted or failed run from its last checkpoint (or extend a finished one).

    Args:
        run_dir (str | Path): The run directory.
        epochs (int, optional): New total number of epochs. (default: the run's own)
        device (str, optional): ``auto``, ``cpu`` or ``cuda``. (default: the run's own)
        progress (bool): Show a tqdm progress bar on stderr. (default: ``True``)
    """
    info = read_run(run_dir)
    if not info.config:
        raise ValueError(f"cannot resume {info.path}: {'; '.join(info.damaged) or 'config.json is missing'}")
    if info.state in ACTIVE_STATES:
        raise ValueError(f"run {info.run_id} is still {info.state} (pid {info.status.get('pid')}); stop it first")
    changes = {name: value for name, value in (("epochs", epochs), ("device", device)) if value is not None}
    config = resolve(dataclasses.replace(TrainConfig.from_dict(info.config), **changes))
    done = int(info.status.get("epoch") or 0)
    if info.state == "finished" and config.epochs <= done:
        raise ValueError(f"run {info.run_id} already finished {done} epochs; pass --epochs N > {done} to extend it")
    run = RunDir(info.path)
    if run.checkpoint_path.exists():
        read_checkpoint(run.checkpoint_path, config.model)
    split = load_split(config)
    run.write_config(config.to_dict())
    _set_status(run, config, "queued", error=None, traceback=None, resumed_at=time.time())
    _execute(run, config, split, resume=True, progress=progress)
    return run.path


def derive_seed(*keys: int) -> int:
    """A 32-bit seed that depends on every key (seed, epoch, batch), for per-batch samplers."""
    return int(np.random.SeedSequence([int(key) for key in keys]).generate_state(1)[0])


def snapshot_epochs(config: TrainConfig) -> set[int]:
    """Evaluated epochs that keep an embedding snapshot: at most ``max_snapshots``, evenly spaced, last included."""
    evaluated = [e for e in range(1, config.epochs + 1) if e % config.eval_every == 0 or e == config.epochs]
    picks = np.linspace(0, len(evaluated) - 1, min(config.max_snapshots, len(evaluated))).round().astype(int)
    return {evaluated[p] for p in picks}


def _set_status(run: RunDir, config: TrainConfig, state: str, **changes: Any) -> dict[str, Any]:
    return run.update_status(
        state=state, pid=os.getpid(), host=socket.gethostname(), total_epochs=config.epochs, **changes
    )


def _execute(run: RunDir, config: TrainConfig, split: Any, resume: bool, progress: bool) -> None:
    stop = StopFlag()
    try:
        with stop.installed():
            _loop(run, config, split, resume, progress, stop)
    except BaseException as error:
        _set_status(run, config, "failed", error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc())
        raise


def _loop(run: RunDir, config: TrainConfig, split: Any, resume: bool, progress: bool, stop: StopFlag) -> None:
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    train_graph = split.train
    model = build_model(config, train_graph).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    data = EvalData.from_split(split)
    state = {"epoch": 0, "best_epoch": None, "best_value": None, "bad_evals": 0, "train_seconds": 0.0}
    if resume and run.checkpoint_path.exists():
        saved = load_checkpoint(run.checkpoint_path, config.model, train_graph, map_location=device)
        restore_model(model, saved, run.checkpoint_path)
        optimizer.load_state_dict(saved["optimizer_state"])
        for group in optimizer.param_groups:
            group["lr"] = config.lr
        torch.set_rng_state(saved["torch_rng"].cpu())
        if device.type == "cuda" and saved.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(saved["cuda_rng"].cpu(), device)
        state = {key: saved[key] for key in state}
    run.truncate_metrics(state["epoch"])
    _set_status(run, config, "running", epoch=state["epoch"], device=str(device))
    snapshots = snapshot_epochs(config)
    stopped_early = False
    with tqdm(
        total=config.epochs,
        initial=state["epoch"],
        desc=f"{config.model} on {config.dataset}",
        unit="epoch",
        disable=not progress,
        dynamic_ncols=True,
    ) as bar:
        for epoch in range(state["epoch"] + 1, config.epochs + 1):
            started = time.perf_counter()
            loss = _train_epoch(model, optimizer, train_graph, config, epoch, run, stop)
            if loss is None:
                break
            seconds = time.perf_counter() - started
            state["train_seconds"] += seconds
            record: dict[str, Any] = {"epoch": epoch, "loss": loss, "seconds": seconds}
            if epoch % config.eval_every == 0 or epoch == config.epochs:
                metrics, user_emb, item_emb = _evaluate_epoch(model, config, data, run, epoch, state)
                record.update(metrics)
                stopped_early = bool(config.patience and data.has_validation and state["bad_evals"] >= config.patience)
                if epoch in snapshots or stopped_early or stop.requested:
                    run.save_snapshot(f"epoch_{epoch:04d}", user_emb, item_emb)
                bar.set_postfix({"loss": f"{loss:.4f}", config.monitor_key: f"{metrics[config.monitor_key]:.4f}"})
            else:
                bar.set_postfix({"loss": f"{loss:.4f}"})
            run.append_metrics(record)
            state["epoch"] = epoch
            _save_state(run, model, optimizer, config, train_graph, state)
            _set_status(run, config, "running", epoch=epoch, batch=None, total_batches=None)
            bar.update(1)
            if stop.requested or stopped_early:
                break
    if stop.requested:
        _set_status(run, config, "stopped", epoch=state["epoch"])
        return
    _finish(run, model, config, data, state, stopped_early, split.report, snapshots)


def _train_epoch(model, optimizer, train_graph, config: TrainConfig, epoch: int, run: RunDir, stop: StopFlag):
    """One pass over the shuffled training edges; the mean loss, or ``None`` when a stop was requested."""
    from engine.sampling import hard_negatives, uniform_negatives

    model.train()
    model.on_epoch_start(epoch, derive_seed(config.seed, epoch))
    device = next(model.parameters()).device
    order = np.random.default_rng([config.seed, epoch]).permutation(train_graph.num_edges)  # (E,)
    num_batches = math.ceil(len(order) / config.batch_size)
    num_hard = model.num_hard_negatives(epoch)
    total, last_status = 0.0, time.monotonic()
    for batch in range(num_batches):
        if stop.requested:
            return None
        edges = order[batch * config.batch_size : (batch + 1) * config.batch_size]  # (B,)
        users, pos = train_graph.user[edges], train_graph.item[edges]  # (B,), (B,)
        batch_seed = derive_seed(config.seed, epoch, batch)
        neg = uniform_negatives(train_graph, users, config.num_negatives, seed=batch_seed)  # (B, n)
        if num_hard:
            hard = hard_negatives(train_graph, users, num_hard, model.hard_negative_band(), seed=batch_seed)  # (B, h)
            neg = np.concatenate([neg, hard], axis=1)  # (B, n + h)
        loss = model.loss(
            torch.as_tensor(users, device=device),
            torch.as_tensor(pos, device=device),
            torch.as_tensor(neg, device=device),
        )
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"loss became {float(loss)} at epoch {epoch}, batch {batch}; lower --lr (now {config.lr})"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(edges)
        if time.monotonic() - last_status > STATUS_INTERVAL_S:
            _set_status(run, config, "running", epoch=epoch - 1, batch=batch + 1, total_batches=num_batches)
            last_status = time.monotonic()
    return total / max(len(order), 1)


def _evaluate_epoch(model, config: TrainConfig, data: EvalData, run: RunDir, epoch: int, state: dict[str, Any]):
    """Metrics on the validation slice (or the test set without one) and best-epoch bookkeeping.

    Returns:
        ``(metrics, user_emb (U, d), item_emb (I, d))`` with the embeddings as float32 numpy arrays.
    """
    model.eval()
    user_emb, item_emb = model.embeddings()  # (U, d), (I, d)
    split = "val" if data.has_validation else "test"
    metrics = evaluate(user_emb, item_emb, data, split, config.ks, config.eval_batch_size)
    user_np, item_np = user_emb.float().cpu().numpy(), item_emb.float().cpu().numpy()
    if data.has_validation:
        value = metrics[config.monitor_key]
        if state["best_value"] is None or value > state["best_value"]:
            state.update(best_epoch=epoch, best_value=value, bad_evals=0)
            best = {"model": config.model, "model_state": model.state_dict(), "epoch": epoch}
            save_checkpoint(run.best_path, {**best, "config": config.to_dict(), "data": fingerprint(data.train)})
            run.save_snapshot("best", user_np, item_np)
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


def _finish(
    run: RunDir,
    model,
    config: TrainConfig,
    data: EvalData,
    state: dict[str, Any],
    early: bool,
    split_report: dict[str, Any],
    snapshots: set[int],
) -> None:
    """Test metrics of the selected model (best validation epoch, else the last), then summary and status."""
    selected_epoch = state["epoch"]
    if data.has_validation and state["best_epoch"] is not None:
        best = load_checkpoint(run.best_path, config.model, data.train, next(model.parameters()).device)
        restore_model(model, best, run.best_path)
        selected_epoch = state["best_epoch"]
    model.eval()
    user_emb, item_emb = model.embeddings()  # (U, d), (I, d)
    test = evaluate(user_emb, item_emb, data, "test", config.ks, config.eval_batch_size)
    for stale in (run.path / "embeddings").glob("epoch_*.npz"):
        if int(stale.stem.removeprefix("epoch_")) not in snapshots | {state["epoch"]}:
            stale.unlink()
    run.write_summary(
        {
            "test": test,
            "best_epoch": selected_epoch,
            "selected_by": f"validation {config.monitor_key}" if data.has_validation else "last epoch",
            "epochs_run": state["epoch"],
            "stopped_early": early,
            "train_seconds": state["train_seconds"],
            "seconds_per_epoch": state["train_seconds"] / max(state["epoch"], 1),
            "model": config.model,
            "dataset": config.dataset,
            "num_parameters": sum(p.numel() for p in model.parameters()),
            "peak_rss_mib": _peak_rss_mib(),
            "peak_gpu_mib": torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None,
            "split": split_report,
        }
    )
    _set_status(run, config, "finished", epoch=state["epoch"], finished_at=time.time())


def _peak_rss_mib() -> float | None:
    """This process's peak resident memory (Linux ``VmHWM``, which starts afresh at ``exec``); None elsewhere."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB -> MiB
    except OSError:
        return None
    return None
