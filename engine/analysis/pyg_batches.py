"""PyG mini-batches in a run directory: what ``NeighborLoader`` / ``LinkNeighborLoader`` returned, stored and read back.

A batch of PyG's loaders carries its sampled subgraph in the attributes PyG's ``NodeLoader.filter_fn`` and
``LinkLoader.filter_fn`` set (``torch_geometric/loader/node_loader.py``, ``link_loader.py``):

- ``n_id`` ``(N,)``: the global id of every local node, seeds first, then the nodes each hop reached first;
- ``edge_index`` ``(2, M)``: local ids; messages flow from ``edge_index[0]`` (the drawn neighbor) to
  ``edge_index[1]`` (the expanded node); ``e_id`` ``(M,)``: each edge's column in the full graph's ``edge_index``;
- ``num_sampled_nodes`` (hops + 1 counts: seeds, then the new nodes of each hop) and ``num_sampled_edges``
  (one count per hop); in a ``HeteroData`` one list per node type and per edge type;
- node batches: ``batch_size`` (the first ``batch_size`` nodes of the input type are the seeds) and ``input_id``;
- link batches: ``input_id``, ``edge_label_index`` ``(2, P)`` (local ids) and ``edge_label`` ``(P,)`` (0 marks a
  sampled negative), or ``src_index`` / ``dst_pos_index`` / ``dst_neg_index`` for triplet negative sampling.

Only these structural attributes are stored (no features), one ``.npz`` per batch under ``pyg_batches/``, written
atomically and read without pickle.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engine.runs.jsonio import write_atomic
from engine.runs.names import PYG_BATCHES
from engine.runs.npzio import load_npz
from engine.runs.rundir import RunDir

NODE_KEYS = (
    "n_id",
    "num_sampled_nodes",
    "batch_size",
    "input_id",
    "batch",
    "src_index",
    "dst_pos_index",
    "dst_neg_index",
)
EDGE_KEYS = ("edge_index", "e_id", "num_sampled_edges", "edge_label_index", "edge_label", "input_id")
HOMOGENEOUS = "node"  # the one node type of a homogeneous Data
HOMOGENEOUS_EDGE = ("node", "to", "node")
_NAME = re.compile(r"^epoch-(\d+)-batch-(\d+)\.npz$")


@dataclass
class PygBatch:
    """One stored PyG batch, a homogeneous ``Data`` as a single node type :data:`HOMOGENEOUS`.

    Attributes:
        epoch (int): The epoch the batch was logged in.
        index (int): Its position in the epoch.
        hetero (bool): Whether the loader returned a ``HeteroData``.
        nodes (dict[str, dict[str, np.ndarray]]): Per node type, the node attributes of :data:`NODE_KEYS` it had.
        edges (dict[tuple[str, str, str], dict[str, np.ndarray]]): Per edge type, those of :data:`EDGE_KEYS`.
        num_neighbors (list[int], optional): The neighbors per hop the loader was asked for, when logged with them.
    """

    epoch: int
    index: int
    hetero: bool
    nodes: dict[str, dict[str, np.ndarray]]
    edges: dict[tuple[str, str, str], dict[str, np.ndarray]]
    num_neighbors: list[int] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_hops(self) -> int:
        return max((len(store["num_sampled_edges"]) for store in self.edges.values()), default=0)


def batches_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / PYG_BATCHES


def batch_path(run_dir: str | Path, epoch: int, index: int) -> Path:
    return batches_dir(run_dir) / f"epoch-{epoch:04d}-batch-{index:05d}.npz"


def save_pyg_batch(run_dir: str | Path, epoch: int, index: int, data, num_neighbors=None) -> Path:
    """Store batch ``index`` of ``epoch``, as a PyG loader returned it, in the run directory ``run_dir``.

    Args:
        run_dir (str | Path): The run directory.
        epoch (int): The epoch, from 1.
        index (int): The batch's position in its epoch, from 0.
        data (Data | HeteroData): A batch of ``NeighborLoader`` / ``LinkNeighborLoader`` (or ``NodeLoader`` /
            ``LinkLoader`` on any sampler).
        num_neighbors (list[int], optional): The loader's ``num_neighbors``, so the sampled counts can be read
            against what was asked. (default: ``None``)

    Raises:
        TypeError: ``data`` is not a ``Data`` or ``HeteroData``.
        ValueError: A bad epoch or index, or a batch that lacks or contradicts PyG's sampling attributes.
    """
    batch = pyg_batch_from_data(epoch, index, data, num_neighbors)
    path = batch_path(run_dir, batch.epoch, batch.index)
    RunDir(run_dir).check_writable("storing a PyG batch")
    arrays = {"meta": np.array(json.dumps(_meta(batch)))}
    for position, store in enumerate(batch.nodes.values()):
        arrays |= {f"n{position}.{key}": value for key, value in store.items()}
    for position, store in enumerate(batch.edges.values()):
        arrays |= {f"e{position}.{key}": value for key, value in store.items()}
    write_atomic(path, lambda stream: np.savez(stream, **arrays))
    return path


def load_pyg_batches(run_dir: str | Path, epoch: int | None = None) -> list[PygBatch]:
    """Every PyG batch stored in ``run_dir`` (of ``epoch`` only, when given), ordered by epoch and index.

    Raises:
        ValueError: A stored batch is damaged; the message names its file.
    """
    folder = batches_dir(run_dir)
    found = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _NAME.fullmatch(path.name)
        if match and (epoch is None or int(match[1]) == epoch):
            found.append(read_pyg_batch(path))
    return found


def pyg_batch_index(run_dir: str | Path) -> list[tuple[int, int]]:
    """``(epoch, index)`` of every stored batch, without reading them."""
    folder = batches_dir(run_dir)
    names = sorted(folder.iterdir()) if folder.is_dir() else []
    return [(int(m[1]), int(m[2])) for m in (_NAME.fullmatch(p.name) for p in names) if m]


def read_pyg_batch(path: Path) -> PygBatch:
    """The batch stored at ``path`` (:func:`save_pyg_batch`)."""
    arrays = load_npz(path)
    try:
        meta = json.loads(str(arrays.pop("meta")))
        nodes = {
            node_type: {key.split(".", 1)[1]: v for key, v in arrays.items() if key.startswith(f"n{i}.")}
            for i, node_type in enumerate(meta["node_types"])
        }
        edges = {
            tuple(edge_type): {key.split(".", 1)[1]: v for key, v in arrays.items() if key.startswith(f"e{i}.")}
            for i, edge_type in enumerate(meta["edge_types"])
        }
        batch = PygBatch(meta["epoch"], meta["index"], meta["hetero"], nodes, edges, meta.get("num_neighbors"), meta)
        check_batch(batch)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a PyG batch this explorer stored ({error})") from None
    return batch


def pyg_batch_from_data(epoch: int, index: int, data, num_neighbors=None) -> PygBatch:
    """:class:`PygBatch` of a PyG ``Data`` / ``HeteroData`` batch, checked (see :func:`save_pyg_batch`)."""
    from torch_geometric.data import Data, HeteroData

    for name, value, low in (("epoch", epoch, 1), ("index", index, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"'{name}' of a PyG batch must be an integer >= {low} (got {value!r})")
    if isinstance(data, HeteroData):
        nodes = {t: _pick(data[t], NODE_KEYS) for t in data.node_types}
        edges = {tuple(t): _pick(data[t], EDGE_KEYS) for t in data.edge_types}
    elif isinstance(data, Data):
        nodes = {HOMOGENEOUS: _pick(data, NODE_KEYS)}
        edges = {HOMOGENEOUS_EDGE: _pick(data, EDGE_KEYS)}
    else:
        raise TypeError(
            "log a torch_geometric.data.Data or HeteroData batch as NeighborLoader / LinkNeighborLoader return it "
            f"(got {type(data).__name__})"
        )
    if num_neighbors is not None:
        num_neighbors = [int(n) for n in num_neighbors]
    batch = PygBatch(int(epoch), int(index), isinstance(data, HeteroData), nodes, edges, num_neighbors)
    check_batch(batch)
    return batch


def check_batch(batch: PygBatch) -> None:
    """Raise ``ValueError`` unless the batch holds PyG's sampling attributes, consistent with one another."""
    for node_type, store in batch.nodes.items():
        for key in ("n_id", "num_sampled_nodes"):
            if key not in store:
                raise ValueError(
                    f"node type {node_type!r} has no {key!r}: log a batch as NeighborLoader / LinkNeighborLoader "
                    "return it (PyG's loaders set n_id, num_sampled_nodes and num_sampled_edges)"
                )
        if int(np.sum(store["num_sampled_nodes"])) != store["n_id"].size:
            raise ValueError(
                f"node type {node_type!r}: num_sampled_nodes adds up to {int(np.sum(store['num_sampled_nodes']))} "
                f"but n_id holds {store['n_id'].size} nodes"
            )
    for edge_type, store in batch.edges.items():
        if "edge_index" not in store or "num_sampled_edges" not in store:
            raise ValueError(f"edge type {edge_type!r} has no edge_index or num_sampled_edges (not a loader batch)")
        edge_index = store["edge_index"]
        if edge_index.ndim != 2 or edge_index.shape[0] != 2:
            raise ValueError(f"edge type {edge_type!r}: edge_index must be (2, M) (got {edge_index.shape})")
        if int(np.sum(store["num_sampled_edges"])) != edge_index.shape[1]:
            raise ValueError(
                f"edge type {edge_type!r}: num_sampled_edges adds up to {int(np.sum(store['num_sampled_edges']))} "
                f"but edge_index holds {edge_index.shape[1]} edges"
            )
        src, dst = edge_type[0], edge_type[2]
        if src not in batch.nodes or dst not in batch.nodes:
            raise ValueError(f"edge type {edge_type!r} joins node types the batch does not hold")
        for row, node_type in ((0, src), (1, dst)):
            size = batch.nodes[node_type]["n_id"].size
            if edge_index.shape[1] and not 0 <= edge_index[row].min() <= edge_index[row].max() < size:
                raise ValueError(f"edge type {edge_type!r}: edge_index row {row} points past the {size} nodes")


def _pick(store, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    picked = {}
    for key in keys:
        if key in store and store[key] is not None:
            value = store[key]
            value = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
            if value.dtype == object:
                raise ValueError(f"{key!r} must be a tensor or list of numbers (got {type(store[key]).__name__})")
            picked[key] = value
    return picked


def _meta(batch: PygBatch) -> dict:
    return {
        "epoch": batch.epoch,
        "index": batch.index,
        "hetero": batch.hetero,
        "node_types": list(batch.nodes),
        "edge_types": [list(edge_type) for edge_type in batch.edges],
        "num_neighbors": batch.num_neighbors,
    }
