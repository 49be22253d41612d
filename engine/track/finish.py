"""The end of a logged run: the selected snapshot evaluated by the engine's evaluator on the split's test edges
(exactly as :func:`engine.training.finish.finish_run` evaluates its own runs), or the user's reported metrics; then
the per-user results, a checkpoint of the snapshot (what the Recommend page loads) and the summary."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from engine.models.snapshot import SnapshotEmbeddings
from engine.runs.config import TrainConfig
from engine.runs.jsonio import read_json, write_json_atomic
from engine.runs.names import MAX_JSON_BYTES, PROTOCOLS
from engine.runs.npzio import load_npz
from engine.runs.rundir import RunDir
from engine.splits import Split
from engine.track.split import TrackError
from engine.training.checkpoint import fingerprint, save_checkpoint
from engine.training.evaluation import EvalData, evaluate_users, per_user_arrays


def finish_logged_run(
    run: RunDir,
    config: TrainConfig,
    graph: Any,
    arrays: dict[str, np.ndarray],
    select: str,
    last_epoch: int,
    test: dict[str, float] | None,
) -> None:
    """Write the summary (and with a split the per-user test results) of a logged run; its status is the caller's.

    Raises:
        TrackError: A run with a split but no snapshot to evaluate.
    """
    from engine.runs.config import resolve

    resolved = resolve(config)
    train = graph.with_edges(
        _edge_index(graph, arrays["train_user"], arrays["train_item"]), name=f"{graph.name} (train)"
    )
    data = EvalData.from_split(
        Split(train, arrays["test_user"], arrays["test_item"], arrays["val_user"], arrays["val_item"], report={})
    )
    epochs = run.snapshot_epochs()
    has_split = len(data.test_user) > 0
    if has_split and not epochs:
        raise TrackError(
            "finish: the run has a split but no snapshot to evaluate; call run.snapshot(epoch, users=..., items=...)"
        )
    validation, selected = None, (epochs[-1] if epochs else None)
    if data.has_validation and epochs:
        scored = {epoch: _evaluate(run, epoch, data, "val", resolved).means() for epoch in epochs}
        if select == "best":
            selected = max(epochs, key=lambda epoch: (scored[epoch][resolved.monitor_key], -epoch))
            user, item = _embeddings(run, selected)
            run.save_best_snapshot(user.numpy(), item.numpy())
        validation = scored[selected]
    summary_test, source = test, ("user" if test is not None else None)
    if has_split:
        users = _evaluate(run, selected, data, "test", resolved)
        run.save_per_user(per_user_arrays(users, data.train))
        summary_test, source = users.means(), "engine"
    if selected is not None:
        _save_checkpoint(run, resolved, train, selected)
    run.write_summary(
        {
            "test": summary_test,
            "test_source": source,
            "validation": validation,
            "protocol": PROTOCOLS[0] if data.has_validation else PROTOCOLS[1],
            "best_epoch": selected,
            "selected_by": (
                f"validation {resolved.monitor_key}" if select == "best" else "last snapshot"
            ) if selected is not None else None,
            "epochs_run": last_epoch,
            "stopped_early": False,
            "model": config.model,
            "dataset": config.dataset,
            "split": {"train_interactions": int(train.num_edges), "test_interactions": int(len(data.test_user)),
                      "val_interactions": int(len(data.val_user))},
        }
    )  # fmt: skip
    if config.epochs is None:
        config.epochs = max(last_epoch, 1)
        run.write_config(config.to_dict())
    document, _ = read_json(run.track_path, MAX_JSON_BYTES, run.path)
    write_json_atomic(run.track_path, {**(document if isinstance(document, dict) else {}), "test_source": source})


def _embeddings(run: RunDir, epoch: int) -> tuple[torch.Tensor, torch.Tensor]:
    stored = load_npz(run.epoch_snapshot_path(epoch))
    return torch.from_numpy(stored["user"]), torch.from_numpy(stored["item"])  # (U, d), (I, d) float32


def _evaluate(run: RunDir, epoch: int, data: EvalData, part: str, config: TrainConfig):
    user, item = _embeddings(run, epoch)
    return evaluate_users(user, item, data, part, config.ks, config.eval_batch_size)


def _save_checkpoint(run: RunDir, config: TrainConfig, train: Any, epoch: int) -> None:
    """The selected snapshot as the weights of a :class:`SnapshotEmbeddings` model, which ``load_run`` rebuilds."""
    user, item = _embeddings(run, epoch)
    model = SnapshotEmbeddings(train, user.shape[1], SnapshotEmbeddings.Params())
    model.user_emb.data.copy_(user)
    model.item_emb.data.copy_(item)
    contents = {"model": config.model, "model_state": model.state_dict(), "epoch": epoch, "config": config.to_dict()}
    save_checkpoint(run.checkpoint_path, {**contents, "data": fingerprint(train)})


def _edge_index(graph: Any, user: np.ndarray, item: np.ndarray) -> np.ndarray:
    """Positions in ``graph``'s edge list of the (user, item) pairs (checked to be its edges by the split)."""
    key = graph.user.astype(np.int64) * graph.num_items + graph.item
    order = np.argsort(key, kind="stable")
    return order[np.searchsorted(key[order], user * graph.num_items + item)]
