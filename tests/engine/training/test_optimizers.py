"""Sparse ID tables: row-sparse Adam matches torch's SparseAdam, keeps state for touched rows only, and a checkpoint
written before sparse tables (dense Adam state, tables as plain parameters) is converted on resume, said in one line."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader
from engine.models import MODELS
from engine.models.inputs import LinkBatch
from engine.runs.config import TrainConfig
from engine.training import resume, train
from engine.training.optimizers import RowSparseAdam, TableAdam, use_dense_tables


def _graph(num_users: int = 40, num_items: int = 500, seed: int = 0) -> InteractionGraph:
    rng = np.random.default_rng(seed)
    user = np.repeat(np.arange(num_users), 5)
    item = np.concatenate([rng.choice(num_items, 5, replace=False) for _ in range(num_users)])
    return InteractionGraph(user, item, num_users, num_items)


def _batch(users: list[int], positives: list[int], negatives: list[list[int]]) -> LinkBatch:
    as_long = lambda values: torch.tensor(values, dtype=torch.long)  # noqa: E731
    return LinkBatch(1, 0, as_long(list(range(len(users)))), as_long(users), as_long(positives), as_long(negatives))


def test_row_sparse_adam_steps_as_torch_sparse_adam():
    torch.manual_seed(0)
    ours, theirs = (torch.nn.Embedding(30, 4, sparse=True) for _ in range(2))
    theirs.weight.data.copy_(ours.weight.data)
    optimizers = RowSparseAdam(ours.parameters(), lr=0.05), torch.optim.SparseAdam(theirs.parameters(), lr=0.05)
    for step in range(6):
        rows = torch.randint(0, 30, (8,), generator=torch.Generator().manual_seed(step))  # repeats included
        for table, optimizer in zip((ours, theirs), optimizers, strict=True):
            optimizer.zero_grad()
            table(rows).pow(3).sum().backward()
            optimizer.step()
    torch.testing.assert_close(ours.weight, theirs.weight)


def test_sparse_table_state_grows_with_the_rows_touched_not_the_table():
    graph = _graph()
    model = MODELS["mf"](graph, 8, MODELS["mf"].Params())
    optimizer = TableAdam(model, lr=0.01)
    assert optimizer.table_names == ["user_emb.weight", "item_emb.weight"] and optimizer.dense is None
    touched_items = set()
    for step, (users, items) in enumerate((([0, 1], [2, 3, 4, 5]), ([1, 7], [5, 6, 8, 9]))):
        batch = _batch(users, items[:2], [[i] for i in items[2:]])
        touched_items |= set(items)
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
        state = optimizer.state_dict()["tables"]["state"]
        assert optimizer.tables.rows_touched(model.item_emb.weight) == len(touched_items) == 4 + 3 * step
        assert state[1]["exp_avg"].shape == state[1]["exp_avg_sq"].shape == (len(touched_items), 8)
        assert set(state[1]["rows"].tolist()) == touched_items and state[1]["step"] == step + 1
    untouched = model.item_emb.weight[10:].clone()
    assert graph.num_items == 500  # 7 of 500 rows hold moments, and the other rows never moved:
    optimizer.step()  # a step with no gradients changes nothing
    torch.testing.assert_close(model.item_emb.weight[10:], untouched)


def test_table_adam_state_round_trips_exactly():
    graph = _graph()
    cls = MODELS["graphsage"]
    loader = LinkBatchLoader(graph, 50, 1, sampling=cls.sampling(cls.Params()), prefetch=0)
    models = [cls(graph, 8, cls.Params()) for _ in range(2)]
    optimizers = [TableAdam(model, 0.01) for model in models]
    assert optimizers[0].table_names == ["id_emb.weight"] and optimizers[0].dense is not None
    for batch in (loader.batch(1, 0), loader.batch(1, 1)):
        optimizers[0].zero_grad()
        models[0].loss(batch).backward()
        optimizers[0].step()
    models[1].load_state_dict(models[0].state_dict())
    saved = copy.deepcopy(optimizers[0].state_dict())  # as from disk: torch's Adam would share the moment tensors
    assert optimizers[1].load_state_dict(saved) is None
    for model, optimizer in zip(models, optimizers, strict=True):
        optimizer.zero_grad()
        model.loss(loader.batch(1, 2)).backward()
        optimizer.step()
    for key, value in models[0].state_dict().items():
        torch.testing.assert_close(value, models[1].state_dict()[key])


def test_mismatched_optimizer_state_is_refused_naming_both_layouts():
    graph = _graph()
    mf = TableAdam(MODELS["mf"](graph, 8, MODELS["mf"].Params()), 0.01)
    sage = TableAdam(MODELS["graphsage"](graph, 8, MODELS["graphsage"].Params()), 0.01)
    with pytest.raises(ValueError, match=r"tables \['user_emb.weight', 'item_emb.weight'\], but the model has"):
        sage.load_state_dict(mf.state_dict())


def _make_pre_sparse(path) -> None:
    """Rewrite a run's checkpoint as the trainer before sparse tables wrote it: tables as plain parameters
    (``user_emb``, not ``user_emb.weight``) and one dense ``torch.optim.Adam`` over ``named_parameters()``."""
    saved = torch.load(path, weights_only=True)
    model_state = {key.removesuffix(".weight"): value for key, value in saved["model_state"].items()}
    tables = saved["optimizer_state"]["tables"]
    names = saved["optimizer_state"]["table_names"]
    state = {}
    for index, name in enumerate(names):
        shape = saved["model_state"][name].shape
        exp_avg, exp_avg_sq = torch.zeros(shape), torch.zeros(shape)
        rows = tables["state"][index]["rows"]
        exp_avg[rows], exp_avg_sq[rows] = tables["state"][index]["exp_avg"], tables["state"][index]["exp_avg_sq"]
        state[index] = {"step": torch.tensor(float(tables["state"][index]["step"])), "exp_avg": exp_avg}
        state[index]["exp_avg_sq"] = exp_avg_sq
    group = {**tables["param_groups"][0], "weight_decay": 0, "amsgrad": False, "params": list(range(len(names)))}
    saved["model_state"], saved["optimizer_state"] = model_state, {"state": state, "param_groups": [group]}
    torch.save(saved, path)


def test_resume_converts_a_pre_sparse_checkpoint_in_one_line(tmp_path, capfd):
    config = TrainConfig(model="mf", dataset="synthetic", epochs=1, dim=8, ks=[10], seed=1)
    run_dir = train(config, tmp_path, run_id="old", progress=False)
    _make_pre_sparse(run_dir / "checkpoint.pt")
    capfd.readouterr()
    resume(run_dir, epochs=2, progress=False)
    notes = [line for line in capfd.readouterr().err.splitlines() if "converted" in line]
    assert len(notes) == 1, notes
    assert notes[0].startswith(f"note: checkpoint {run_dir / 'checkpoint.pt'}: converted the checkpoint's dense Adam")
    assert "user_emb.weight, item_emb.weight" in notes[0]
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    assert saved["epoch"] == 2 and saved["optimizer_state"]["format"] == "table-adam/1"


def test_resume_refuses_an_optimizer_state_of_another_layout(tmp_path):
    config = TrainConfig(model="mf", dataset="synthetic", epochs=1, dim=8, ks=[10], seed=1)
    run_dir = train(config, tmp_path, run_id="odd", progress=False)
    saved = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    saved["optimizer_state"] = {"state": {}, "param_groups": [{"params": [0, 1, 2]}]}
    torch.save(saved, run_dir / "checkpoint.pt")
    with pytest.raises(ValueError, match=r"has an optimiser state this model cannot use \(.*holds 3 parameters"):
        resume(run_dir, epochs=2, progress=False)


def test_dense_tables_for_nccl_step_with_plain_adam():
    graph = _graph()
    model = MODELS["mf"](graph, 8, MODELS["mf"].Params())
    use_dense_tables(model)
    optimizer = TableAdam(model, lr=0.01)
    assert optimizer.table_names == [] and optimizer.dense_names == ["user_emb.weight", "item_emb.weight"]
    model.loss(_batch([0], [1], [[2]])).backward()
    assert not model.item_emb.weight.grad.is_sparse
    optimizer.step()
