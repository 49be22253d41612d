"""Storing PyG batches in a run directory and reading them back: round trip, atomic writes, bad input."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Data, HeteroData

from engine.analysis.pyg_batches import (
    batch_path,
    load_pyg_batches,
    pyg_batch_index,
    save_pyg_batch,
)
from tests.support.pyg_batches import hand_built


def test_round_trip_keeps_every_sampling_attribute(tmp_path):
    path = save_pyg_batch(tmp_path, 2, 7, hand_built(), num_neighbors=[-1, -1])
    assert path == batch_path(tmp_path, 2, 7) and path.is_file()
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    (batch,) = load_pyg_batches(tmp_path)
    store, edges = batch.nodes["node"], batch.edges[("node", "to", "node")]
    assert (batch.epoch, batch.index, batch.hetero, batch.num_neighbors) == (2, 7, False, [-1, -1])
    assert store["n_id"].tolist() == [0, 2, 3, 1] and int(store["batch_size"]) == 1
    assert edges["edge_index"].tolist() == hand_built().edge_index.tolist()
    assert edges["e_id"].tolist() == [4, 5, 0, 1, 2] and edges["num_sampled_edges"].tolist() == [2, 3]
    assert "x" not in store
    assert pyg_batch_index(tmp_path) == [(2, 7)]
    assert load_pyg_batches(tmp_path, epoch=1) == []


def test_hetero_round_trip(tmp_path):
    data = HeteroData()
    data["user"].n_id, data["user"].num_sampled_nodes = torch.tensor([0, 1]), [1, 0, 1]
    data["user"].batch_size = 1
    data["item"].n_id, data["item"].num_sampled_nodes = torch.tensor([0, 1]), [0, 2, 0]
    data["item", "rev", "user"].edge_index = torch.tensor([[0, 1], [0, 0]])
    data["item", "rev", "user"].num_sampled_edges = [2, 0]
    data["user", "rates", "item"].edge_index = torch.tensor([[0, 0, 1], [0, 1, 1]])
    data["user", "rates", "item"].num_sampled_edges = [0, 3]
    save_pyg_batch(tmp_path, 1, 0, data)
    (batch,) = load_pyg_batches(tmp_path)
    assert batch.hetero and set(batch.edges) == {("item", "rev", "user"), ("user", "rates", "item")}
    assert batch.edges[("user", "rates", "item")]["edge_index"].tolist() == [[0, 0, 1], [0, 1, 1]]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: np.zeros(3), "Data or HeteroData"),
        (lambda d: Data(edge_index=d.edge_index), "no 'n_id'"),
        (lambda d: d.update({"num_sampled_nodes": [1, 2, 2]}), "adds up to 5"),
        (lambda d: d.update({"num_sampled_edges": [2, 2]}), "adds up to 4"),
        (lambda d: d.update({"edge_index": torch.tensor([[9, 2, 0, 0, 3], [0, 0, 1, 2, 2]])}), "points past"),
    ],
)
def test_bad_batches_are_refused_and_nothing_is_written(tmp_path, change, message):
    data, changed = hand_built(), None
    changed = change(data)
    data = data if changed is None else changed
    with pytest.raises((TypeError, ValueError), match=message):
        save_pyg_batch(tmp_path, 1, 0, data)
    assert not (tmp_path / "pyg_batches").exists()


@pytest.mark.parametrize(("epoch", "index"), [(0, 0), (1, -1), (True, 0), (1.5, 0)])
def test_bad_epoch_or_index(tmp_path, epoch, index):
    with pytest.raises(ValueError, match="must be an integer"):
        save_pyg_batch(tmp_path, epoch, index, hand_built())


def test_damaged_file_names_itself(tmp_path):
    path = save_pyg_batch(tmp_path, 1, 0, hand_built())
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(ValueError, match="epoch-0001-batch-00000.npz"):
        load_pyg_batches(tmp_path)
