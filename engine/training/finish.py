"""The end of a run: its status written by every process state, and its test metrics, per-user results and
summary once training is over (the only time a run with a validation slice reads its test split)."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import torch

from engine.runs.config import TrainConfig
from engine.runs.names import PROTOCOLS
from engine.runs.rundir import RunDir
from engine.training.checkpoint import load_checkpoint, restore_model
from engine.training.evaluation import EvalData, evaluate_users, per_user_arrays


def set_status(run: RunDir, config: TrainConfig, state: str, **changes: Any) -> dict[str, Any]:
    return run.update_status(
        state=state, pid=os.getpid(), host=socket.gethostname(), total_epochs=config.epochs, **changes
    )


def finish_run(
    run: RunDir,
    model,
    config: TrainConfig,
    data: EvalData,
    state: dict[str, Any],
    early: bool,
    split_report: dict[str, Any],
    snapshots: set[int],
) -> None:
    """Test metrics of the selected model (best validation epoch, else the last), then summary and status.

    With a validation slice this is the only time the run reads its test split; the per-user results are kept
    for paired comparisons.
    """
    selected_epoch = state["epoch"]
    if data.has_validation and state["best_epoch"] is not None:
        best = load_checkpoint(run.best_path, config.model, data.train, next(model.parameters()).device)
        restore_model(model, best, run.best_path)
        selected_epoch = state["best_epoch"]
    model.eval()
    user_emb, item_emb = model.embeddings()  # (U, d), (I, d)
    test_users = evaluate_users(user_emb, item_emb, data, "test", config.ks, config.eval_batch_size)
    run.save_per_user(per_user_arrays(test_users, data.train))
    selected = next((r for r in run.read_metrics() if r.get("epoch") == selected_epoch), {})
    validation = {key: value for key, value in selected.items() if key not in ("epoch", "loss", "seconds", "split")}
    run.prune_snapshots(snapshots | {state["epoch"]})
    refit = refit_record(run, config) if config.refit_of else None
    if refit is not None:
        validation = refit["validation"]
    selected_by = f"validation {config.monitor_key}" if data.has_validation else "last epoch"
    if refit is not None:
        selected_by = (
            f"validation {config.monitor_key} of run {config.refit_of} (its epoch {refit['selected_epoch']}); "
            f"then refit on train + validation for {config.epochs} epochs, test read once"
        )
    run.write_summary(
        {
            "test": test_users.means(),
            "validation": validation if data.has_validation or refit else None,
            "protocol": PROTOCOLS[0] if data.has_validation or refit else PROTOCOLS[1],
            "best_epoch": selected_epoch,
            "selected_by": selected_by,
            "refit": refit,
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
    set_status(run, config, "finished", epoch=state["epoch"], finished_at=time.time())


def refit_record(run: RunDir, config: TrainConfig) -> dict[str, Any]:
    """What a refit's summary says of the run it repeats (a sibling in the runs directory): its id, the epoch it
    selected on validation and that epoch's validation metrics (``validation`` in the summary is those; ``test`` is
    the refit's own)."""
    selected = RunDir(run.path.parent / config.refit_of).read().summary or {}
    return {
        "of": config.refit_of,
        "selected_epoch": selected.get("best_epoch"),
        "validation": selected.get("validation") or {},
        "selected_test": selected.get("test"),
        "epochs": config.epochs,
        "note": "validation: the selected run's, at its best epoch; test: this refit's, trained on train + validation",
    }


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
