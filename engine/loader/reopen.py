"""Reopen a run's data: its device, dataset split, model and training graph, rebuilt from its config the same way when
training, resuming, loading and replaying.

A run writes ``split.npz`` when it starts (see :mod:`engine.runs.rundir`), so the edges it trained, validated and
tested on can be read back without trusting that the dataset and the split code are unchanged (:func:`open_run_graph`).
Runs from before that file existed get their split rebuilt from their config (same seed, same edges) and say so with
``recorded=False``. A run's trained weights are reopened by :func:`engine.training.load.load_run`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.graph import InteractionGraph, NodeError
from engine.runs.config import TrainConfig, model_params, resolve
from engine.runs.names import SPLIT_PARTS, RunDirError
from engine.runs.rundir import RunDir


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when torch sees a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_model(config: TrainConfig, train_graph: InteractionGraph) -> torch.nn.Module:
    """``MODELS[name](train_graph, dim, Params(**params), seed)`` with its inference inputs drawn on ``train_graph``
    (:func:`engine.loader.build_recommender`) — the one way a model is built or rebuilt."""
    from engine.loader import build_recommender
    from engine.models.registry import model_class

    params = model_params(config.model, config.params)
    return build_recommender(model_class(config.model), train_graph, config.dim, params, config.seed)


def make_split(config: TrainConfig, graph: InteractionGraph) -> Any:
    """The run's split of ``graph``: same config, same edges, every time (training, resuming, loading)."""
    from engine.splits import split_interactions

    split = split_interactions(
        graph,
        method=config.split,
        test_ratio=config.test_ratio,
        val_ratio=config.val_ratio,
        seed=config.seed,
        min_rating=config.min_rating,
        k_core=config.k_core,
    )
    return _merge_validation(split, graph, config.refit_of) if config.refit_of else split


def _merge_validation(split: Any, graph: InteractionGraph, refit_of: str) -> Any:
    """A refit's split: the same test set, the validation slice given back to training (train ∪ val)."""
    user = np.concatenate([split.train.user, split.val_user])
    item = np.concatenate([split.train.item, split.val_item])
    train = graph.with_edges(np.sort(_edge_ids(graph, user, item, refit_of)), name=split.train.name)
    empty = np.zeros(0, dtype=np.int64)
    report = {
        **split.report,
        "train_interactions": train.num_edges,
        "val_interactions": 0,
        "refit": f"the {len(split.val_user):,} validation interactions merged into training (refit of {refit_of})",
    }
    return dataclasses.replace(split, train=train, val_user=empty, val_item=empty, report=report)


def load_split(config: TrainConfig) -> Any:
    """The run's dataset split, checked to be trainable: every data mistake surfaces here, before a run directory
    exists or a stopped run changes state.

    Raises:
        ValueError: Naming what the data lacks and the setting to change.
    """
    from engine.datasets import load_dataset

    graph = load_dataset(config.dataset, config.data_dir)
    split = make_split(config, graph)
    check_trainable(config, split)
    return split


def check_trainable(config: TrainConfig, split: Any) -> None:
    """``ValueError`` when training ``config`` on ``split`` could only fail later: no training or test interactions,
    more negatives per positive than items, or a user with no item left to draw as a negative."""
    train, report = split.train, split.report
    name = config.dataset
    if report["train_interactions"] == 0:
        raise ValueError(
            f"no training interactions are left of the {report['interactions']:,} in dataset {name!r} after "
            f"min_rating={config.min_rating} and k_core={config.k_core}; lower --min-rating or --k-core"
        )
    if report["test_interactions"] == 0:
        raise ValueError(
            f"the {config.split} split of dataset {name!r} holds out no test interaction (of "
            f"{report['train_interactions']:,} left): a user needs at least two interactions to be tested; use more "
            "data, or lower --min-rating or --k-core"
        )
    if config.num_negatives >= train.num_items:
        raise ValueError(
            f"'num_negatives' ({config.num_negatives}) must be below the {train.num_items} items of dataset {name!r}"
        )
    saturated = np.flatnonzero(train.user_degree() >= train.num_items)
    if saturated.size:
        names = ", ".join(train.node_name(int(user)) for user in saturated[:5])
        raise ValueError(
            f"{saturated.size} user(s) of dataset {name!r} interacted with every item in training ({names}), so no "
            "negative item can be drawn for them; add items or leave those users out of the data"
        )


def split_arrays(split: Any) -> dict[str, np.ndarray]:
    """The arrays ``split.npz`` holds for ``split``: internal ids per part, and the raw ids of the dataset's nodes."""
    dataset = split.train  # the training graph keeps every node of the dataset, with its raw id
    return {
        "train_user": split.train.user,
        "train_item": split.train.item,
        "val_user": split.val_user,
        "val_item": split.val_item,
        "test_user": split.test_user,
        "test_item": split.test_item,
        "user_ids": dataset.users["user_id"].astype(str).to_numpy(dtype=str),
        "item_ids": dataset.items["item_id"].astype(str).to_numpy(dtype=str),
    }


@dataclass
class RunGraph:
    """A run's data as it trained on it.

    Attributes:
        run (RunDir): The run directory.
        config (TrainConfig): The run's resolved config.
        dataset (InteractionGraph): The whole dataset (train, validation and test edges).
        train (InteractionGraph): The training graph: the dataset's nodes and metadata, training edges only.
        parts (dict[str, tuple[np.ndarray, np.ndarray]]): ``(user (n,), item (n,))`` internal ids of the
            ``train``, ``val`` and ``test`` edges.
        recorded (bool): The split was read from the run's ``split.npz``; ``False`` when rebuilt from its config.
    """

    run: RunDir
    config: TrainConfig
    dataset: InteractionGraph
    train: InteractionGraph
    parts: dict[str, tuple[np.ndarray, np.ndarray]]
    recorded: bool

    @property
    def run_id(self) -> str:
        return self.run.path.name

    def params(self) -> Any:
        """The run's model hyper-parameters, an instance of the model's ``Params``."""
        return model_params(self.config.model, self.config.params)

    def sampling(self) -> Any:
        """The model's sampling request with the run's params (a FanoutSpec or RandomWalkSpec), or ``None``."""
        from engine.models.registry import model_class

        return model_class(self.config.model).sampling(self.params())

    def training_node(self, name: str) -> int:
        """Global id of node ``name`` (``user:<id>`` / ``item:<id>``), refused when it has no training edge.

        Raises:
            NodeError: The dataset has no such node, or the node has no edge in this run's training graph.
        """
        node = self.train.node_id(name)
        if self.train.csr.degree()[node] == 0:
            held_out = int(self.dataset.csr.degree()[node])
            raise NodeError(
                f"{name} has no training edges in run {self.run_id} ({held_out} edge(s) in the whole dataset, all "
                "held out or filtered); pick a node with training interactions, or sample the whole dataset"
            )
        return node


def open_run_graph(run_dir: str | Path, dataset: str | None = None) -> RunGraph:
    """Read what run ``run_dir`` trained on.

    Args:
        run_dir (str | Path): The run directory.
        dataset (str, optional): The dataset the caller expects; a run of another one is refused. (default: ``None``)

    Raises:
        RunDirError: Not a run this engine wrote, a run of another dataset, or a split that no longer matches the
            dataset's files.
        ValueError: The dataset cannot be loaded (``DatasetError``) or the config is invalid.
    """
    from engine.datasets import load_dataset
    from engine.loader.reopen import make_split

    run = RunDir(run_dir)
    if not run.path.is_dir():
        raise RunDirError(f"run directory {run.path} does not exist")
    problem = run.foreign_problem()
    if problem:
        raise RunDirError(
            f"{run.path} is not a run this engine wrote ({problem}); pass a folder from `python -m engine runs`"
        )
    info = run.read()
    if not info.config:
        raise RunDirError(f"cannot open run {info.run_id}: {'; '.join(info.damaged) or 'its config is empty'}")
    config = resolve(dataclasses.replace(TrainConfig.from_dict(info.config), device="cpu"))
    if dataset is not None and dataset != config.dataset:
        raise RunDirError(
            f"run {info.run_id} was trained on dataset {config.dataset!r}, not {dataset!r}; "
            f"pass --dataset {config.dataset} or a run of {dataset!r}"
        )
    graph = load_dataset(config.dataset, config.data_dir)
    arrays = run.read_split()
    if arrays is None:
        split = make_split(config, graph)
        parts = {
            "train": (split.train.user, split.train.item),
            "val": (split.val_user, split.val_item),
            "test": (split.test_user, split.test_item),
        }
        return RunGraph(run, config, graph, split.train, parts, recorded=False)
    _check_same_nodes(arrays, graph, info.run_id)
    parts = {
        part: (arrays[f"{part}_user"].astype(np.int64), arrays[f"{part}_item"].astype(np.int64)) for part in SPLIT_PARTS
    }
    edges = _edge_ids(graph, *parts["train"], info.run_id)
    train = graph.with_edges(edges, name=f"{graph.name} (train)")
    return RunGraph(run, config, graph, train, parts, recorded=True)


def recorded_split(run: RunDir, graph: InteractionGraph) -> Any:
    """The :class:`~engine.splits.Split` of ``graph`` that ``run`` recorded in its ``split.npz``, or ``None`` for a
    run from before that file (rebuild it with :func:`make_split`). A run logged with :mod:`engine.track` on edges
    the user chose has only this record: its config cannot rebuild them.

    Raises:
        RunDirError: The record is unreadable, or the dataset changed since (other nodes, training edges gone).
    """
    from engine.splits import Split

    arrays = run.read_split()
    if arrays is None:
        return None
    _check_same_nodes(arrays, graph, run.path.name)
    user, item = (arrays[f"train_{side}"].astype(np.int64) for side in ("user", "item"))
    train = graph.with_edges(_edge_ids(graph, user, item, run.path.name), name=f"{graph.name} (train)")
    held_out = {name: arrays[name].astype(np.int64) for name in ("test_user", "test_item", "val_user", "val_item")}
    return Split(train=train, report={"recorded": True}, **held_out)


def _check_same_nodes(arrays: dict[str, np.ndarray], graph: InteractionGraph, run_id: str) -> None:
    for kind, table in (("user", graph.users), ("item", graph.items)):
        stored, now = arrays[f"{kind}_ids"], table[f"{kind}_id"].astype(str).to_numpy(dtype=str)
        if stored.shape != now.shape or not np.array_equal(stored, now):
            raise RunDirError(
                f"dataset {graph.name!r} has changed since run {run_id} was trained: its {kind}s are not the ones "
                f"the run recorded ({stored.size} then, {now.size} now); train a new run on the current files"
            )


def _edge_ids(graph: InteractionGraph, user: np.ndarray, item: np.ndarray, run_id: str) -> np.ndarray:
    """Edge ids of ``graph`` for the (user, item) pairs; refused when a pair is no longer one of its edges."""
    key = graph.user * graph.num_items + graph.item  # (E,) sorted: edges are sorted by (user, item)
    wanted = user * graph.num_items + item  # (n,)
    if wanted.size == 0:
        return wanted
    if key.size == 0:
        key = np.array([-1])
    position = np.minimum(np.searchsorted(key, wanted), key.size - 1)
    found = key[position] == wanted
    if not found.all():
        raise RunDirError(
            f"dataset {graph.name!r} has changed since run {run_id} was trained: "
            f"{int(np.size(wanted) - np.count_nonzero(found))} of its training edges are gone; train a new run"
        )
    return position
