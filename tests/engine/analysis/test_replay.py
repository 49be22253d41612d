"""Sampling truth: a run records its split, `sample --run` draws its training graph with its settings, and `replay`
recreates bit for bit what its training consumed.

Runs are really trained, in this process, on a small CSV dataset with a validation slice, so the train, validation
and test parts all hold edges.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch

from engine.analysis.replay import fanout_tree, replay, run_loader_for
from engine.cli import main
from engine.graph import NodeError
from engine.loader import LinkBatchLoader
from engine.loader.reopen import open_run_graph
from engine.models import MODELS
from engine.runs.config import TrainConfig
from engine.runs.names import RunDirError
from engine.runs.rundir import RunDir
from engine.training import train

NUM_USERS, NUM_ITEMS = 40, 30
EPOCHS = 2


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> str:
    """40 users x 30 items, ~17 interactions each, raw ids that are not the internal ones; item 999 is rated 1 only,
    so the runs' ``min_rating=3`` leaves it without a training edge."""
    folder = tmp_path_factory.mktemp("truth-data")
    rng = np.random.default_rng(3)
    rows = {
        (int(u), int(i)) for u, i in zip(rng.integers(0, NUM_USERS, 700), rng.integers(0, NUM_ITEMS, 700), strict=True)
    }
    lines = ["user,item,rating"] + [f"u{u},{100 + i},5" for u, i in sorted(rows)] + ["u1,999,1", "u2,999,1"]
    (folder / "interactions.csv").write_text("\n".join(lines) + "\n")
    titles = ["item_id,title"] + [f"{100 + i},Film {i}" for i in range(NUM_ITEMS)] + ["999,Never watched"]
    (folder / "items.csv").write_text("\n".join(titles) + "\n")
    return f"csv:{folder / 'interactions.csv'}"


class BatchSpy:
    """Records every batch a loader's epoch yields to the trainer: exactly the objects the model's loss consumed."""

    def __init__(self) -> None:
        self.batches: dict[tuple[int, int], object] = {}

    def install(self, monkeypatch) -> None:
        original = LinkBatchLoader.epoch
        spy = self

        class Recording:
            def __init__(self, stream) -> None:
                self.stream = stream

            def __enter__(self):
                inner = self.stream.__enter__()
                return (spy._keep(batch) for batch in inner)

            def __exit__(self, *exc):
                return self.stream.__exit__(*exc)

        monkeypatch.setattr(LinkBatchLoader, "epoch", lambda loader, epoch: Recording(original(loader, epoch)))

    def _keep(self, batch):
        self.batches[(batch.epoch, batch.index)] = batch
        return batch


@pytest.fixture(scope="module")
def runs(dataset, tmp_path_factory) -> dict:
    """GraphSAGE and PinSage trained 2 epochs with their batches captured, MF 1 epoch; small batches, so a node
    is a seed of some batches and not others."""
    runs_dir = tmp_path_factory.mktemp("truth-runs")
    trained = {}
    for model, epochs in (("graphsage", EPOCHS), ("pinsage", EPOCHS), ("mf", 1)):
        with pytest.MonkeyPatch.context() as monkeypatch:
            spy = BatchSpy()
            spy.install(monkeypatch)
            config = TrainConfig(
                dataset=dataset, model=model, epochs=epochs, dim=8, batch_size=16, val_ratio=0.1, test_ratio=0.2,
                min_rating=3,
                params={"fanout": 3} if model == "graphsage" else {},
            )  # fmt: skip
            path = train(config, runs_dir, run_id=f"{model}-run", progress=False)
            trained[model] = (path, spy.batches)
    return trained


def pairs(users, items) -> set[tuple[int, int]]:
    return set(zip(np.asarray(users).tolist(), np.asarray(items).tolist(), strict=True))


def sample_json(capsys, *argv: str) -> dict:
    assert main(["sample", *argv]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def error_of(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


# ------------------------------------------------------------------ split.npz and `engine split`
def test_the_run_records_disjoint_train_val_and_test_edges_that_rebuild_its_split(runs):
    path, _ = runs["graphsage"]
    run_graph = open_run_graph(path)
    assert run_graph.recorded and RunDir(path).split_path.is_file()
    train, val, test = (pairs(*run_graph.parts[part]) for part in ("train", "val", "test"))
    assert train and val and test
    assert not train & val and not train & test and not val & test
    assert pairs(run_graph.train.user, run_graph.train.item) == train
    assert train | val | test <= pairs(run_graph.dataset.user, run_graph.dataset.item)


@pytest.mark.parametrize("part", ["train", "val", "test"])
def test_split_prints_the_part_as_csv_with_the_datasets_raw_ids(runs, capsys, part):
    path, _ = runs["graphsage"]
    assert main(["split", str(path), "--part", part]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["user", "item"]
    run_graph = open_run_graph(path)
    users, items = run_graph.parts[part]
    user_ids, item_ids = run_graph.dataset.users["user_id"], run_graph.dataset.items["item_id"]
    raw = {(str(user_ids.iat[u]), str(item_ids.iat[i])) for u, i in pairs(users, items)}
    assert {tuple(row) for row in rows[1:]} == raw and len(rows) - 1 == len(users)
    assert all(row[0].startswith("u") and row[1].isdigit() for row in rows[1:])


# ------------------------------------------------------------------ sample --run
def test_fanout_on_a_run_samples_only_training_edges_with_the_runs_fanouts(runs, capsys):
    path, _ = runs["graphsage"]
    run_graph = open_run_graph(path)
    nodes = [f"user:u{u}" for u in range(0, NUM_USERS, 3)] + [f"item:{100 + i}" for i in range(0, NUM_ITEMS, 4)]
    argv = ["--run", str(path), "--fanouts", "-1,-1"] + [arg for node in nodes for arg in ("--node", node)]
    out = sample_json(capsys, *argv)
    assert out["graph"] == "train" and out["run"] == "graphsage-run" and out["model"] == "graphsage"
    num_users = run_graph.train.num_users
    sampled = {
        (min(e["src"], e["dst"]), max(e["src"], e["dst"]) - num_users) for e in out["edges"]
    }  # (user, item) internal ids
    train = pairs(*run_graph.parts["train"])
    held_out = pairs(*run_graph.parts["val"]) | pairs(*run_graph.parts["test"])
    assert sampled and sampled <= train and not sampled & held_out
    default = sample_json(capsys, "--run", str(path), "--node", "user:u1")
    assert default["fanouts"] == [3, 3] and default["replace"] is False  # GraphSAGE's fanout 3 x 2 layers


def test_random_walks_on_a_run_use_its_settings_and_only_training_edges(runs, capsys):
    path, _ = runs["pinsage"]
    run_graph = open_run_graph(path)
    params = run_graph.params()
    out = sample_json(capsys, "--run", str(path), "--node", "item:101", "--node", "user:u2", "--traces")
    assert out["sampler"] == "randomwalk" and out["graph"] == "train"
    settings = [out[key] for key in ("num_walks", "walk_length", "restart_prob", "top_t")]
    assert settings == [params.num_walks, params.walk_length, params.restart_prob, params.top_t]
    num_users = run_graph.train.num_users
    train = pairs(*run_graph.parts["train"])
    held_out = pairs(*run_graph.parts["val"]) | pairs(*run_graph.parts["test"])
    steps = set()
    for row in out["results"]:
        for walk in row["traces"]:
            steps |= {(min(a, b), max(a, b) - num_users) for a, b in zip(walk, walk[1:], strict=False)}
    assert steps and steps <= train and not steps & held_out
    assert (
        sample_json(capsys, "--run", str(path), "--node", "item:101", "--top-t", "2")["top_t"] == 2
    )  # a flag overrides


def test_without_a_run_the_whole_dataset_graph_is_sampled_and_said(dataset, capsys):
    out = sample_json(capsys, "--dataset", dataset, "--node", "user:u1")
    assert out["graph"] == "dataset" and "run" not in out


def test_a_run_without_split_npz_is_rebuilt_from_its_config_and_says_so(runs, tmp_path, capsys):
    path, _ = runs["mf"]
    copy = tmp_path / "old-run"
    copy.mkdir()
    for name in (".gnn-run", "config.json", "status.json"):
        (copy / name).write_bytes((path / name).read_bytes())
    rebuilt, recorded = open_run_graph(copy), open_run_graph(path)
    assert not rebuilt.recorded
    for part in ("train", "val", "test"):
        assert pairs(*rebuilt.parts[part]) == pairs(*recorded.parts[part])
    assert main(["split", str(copy)]) == 0
    assert "predates split.npz" in capsys.readouterr().err


# ------------------------------------------------------------------ replay
@pytest.mark.parametrize("model", ["graphsage", "pinsage"])
def test_replayed_batches_equal_the_batches_training_consumed(runs, model):
    path, captured = runs[model]
    run_graph = open_run_graph(path)
    loader = run_loader_for(run_graph)
    assert {index for epoch, index in captured if epoch == 1} == set(range(len(loader)))
    for (epoch, index), batch in captured.items():
        again = loader.batch(epoch, index)
        for name in ("edges", "users", "positives", "negatives"):
            assert torch.equal(getattr(batch, name), getattr(again, name)), (epoch, index, name)
        if model == "graphsage":
            assert torch.equal(batch.blocks.nodes, again.blocks.nodes)
            assert all(torch.equal(a, b) for a, b in zip(batch.blocks.edge_index, again.blocks.edge_index, strict=True))
        else:  # PinSage on mini-batches: the batch's item computation graph, cut from the epoch's walks
            assert torch.equal(batch.items.items, again.items.items)
            matrices = zip(
                (*batch.items.weights, batch.items.pool), (*again.items.weights, again.items.pool), strict=True
            )
            for first, second in matrices:
                for part in ("crow_indices", "col_indices", "values"):
                    assert torch.equal(getattr(first, part)(), getattr(second, part)())


@pytest.mark.parametrize("node_name", ["user:u5", "item:105"])
def test_replay_lists_exactly_the_batches_holding_the_node_with_what_fed_it(runs, node_name):
    path, captured = runs["graphsage"]
    run_graph = open_run_graph(path)
    node = run_graph.training_node(node_name)
    num_users = run_graph.train.num_users
    for epoch in (1, EPOCHS):
        result = replay(run_graph, epoch, node)
        holding = []
        for (e, index), batch in sorted(captured.items()):
            seeds = torch.cat([batch.users, batch.positives + num_users, batch.negatives.reshape(-1) + num_users])
            if e == epoch and bool((seeds == node).any()):
                holding.append(index)
        assert [batch.index for batch in result.batches] == holding and holding
        if node < num_users:
            assert len(holding) < result.num_batches, "a user of ~10 training edges cannot be in all ~20 batches"
        for replayed in result.batches:
            expected = fanout_tree(captured[(epoch, replayed.index)].blocks, node, 2)
            for got, want in zip(
                (replayed.nodes, replayed.node_hop, replayed.edge_src, replayed.edge_dst, replayed.edge_hop),
                expected,
                strict=False,
            ):
                assert np.array_equal(got, want)
            assert (replayed.edge_hop == 1).sum() <= 3  # GraphSAGE's fanout 3 into the node
            assert np.all(np.isin(replayed.edge_dst[replayed.edge_hop == 1], [node]))
            if node < num_users:
                into = {(int(s) - num_users) for s in replayed.edge_src[replayed.edge_hop == 1]}
                assert not into & {int(t) - num_users for t in replayed.targets}, "the batch's own positives leaked"


def test_replay_of_pinsage_gives_the_epochs_top_t_with_weights(runs, capsys):
    path, captured = runs["pinsage"]
    assert main(["replay", str(path), "--epoch", "2", "--node", "item:103", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["graph"] == "train" and out["sampler"] == "randomwalk" and out["epoch"] == 2
    run_graph = open_run_graph(path)
    num_users = run_graph.train.num_users
    item = run_graph.training_node("item:103") - num_users
    first = out["batches"][0]
    consumed = captured[(2, first["batch"])].items  # what the model's last convolution pooled for its targets
    target = int(torch.nonzero(consumed.items == item).flatten()[0])
    last = consumed.weights[-1].to_dense()[target]  # (inputs,) weights of the item's neighbors
    expected = {int(consumed.items[j]): float(last[j]) for j in torch.nonzero(last).flatten()}
    into = {e["src"] - num_users: e["weight"] for e in first["edges"] if e["hop"] == 1}
    assert into.keys() == expected.keys()
    assert all(abs(into[j] - expected[j]) < 1e-5 for j in into)
    assert main(["replay", str(path), "--epoch", "2", "--node", "user:u2", "--json"]) == 0
    user = json.loads(capsys.readouterr().out)["batches"][0]
    pooled = {e["src"] - num_users for e in user["edges"] if e["hop"] == 1}
    batch = captured[(2, user["batch"])]
    rows = torch.nonzero(batch.users == run_graph.training_node("user:u2")).flatten()
    in_pool = batch.items.pool.to_dense()[rows].sum(0) > 0
    assert pooled == set(batch.items.items[: in_pool.numel()][in_pool].tolist())  # the sampled pool, not all history


def test_replay_text_names_the_run_epoch_and_batches(runs, capsys):
    path, _ = runs["graphsage"]
    assert main(["replay", str(path), "--epoch", "1", "--node", "user:u5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run graphsage-run (graphsage), epoch 1: user:u5 was a seed of ")
    assert "batch " in out and "per hop" in out


# ------------------------------------------------------------------ bad input
def test_bad_runs_nodes_and_epochs_are_one_clear_line(runs, dataset, tmp_path, capsys):
    sage, pinsage, mf = (str(runs[model][0]) for model in ("graphsage", "pinsage", "mf"))
    (tmp_path / "config.json").write_text('{"model": "mf"}')
    tried = {
        "not a run": (["sample", "--run", str(tmp_path), "--node", "user:u1"], "is not a run this engine wrote"),
        "missing folder": (["replay", str(tmp_path / "gone"), "--epoch", "1", "--node", "user:u1"], "does not exist"),
        "other dataset": (["sample", "--run", sage, "--dataset", "synthetic", "--node", "user:u1"], "not 'synthetic'"),
        "mf asked to sample": (["sample", "--run", mf, "--node", "user:u1"], "full-graph"),
        "mf replayed": (["replay", mf, "--epoch", "1", "--node", "user:u1"], "full-graph propagation"),
        "other sampler": (["sample", "--run", sage, "--sampler", "randomwalk", "--node", "user:u1"], "never the"),
        "epoch never reached": (["replay", sage, "--epoch", "9", "--node", "user:u1"], "trained epochs 1 to 2"),
        "epoch zero": (["replay", pinsage, "--epoch", "0", "--node", "item:101"], "cannot be replayed"),
        "no training edges": (["sample", "--run", sage, "--node", "item:999"], "has no training edges"),
        "unknown node": (["replay", sage, "--epoch", "1", "--node", "user:nobody"], "unknown user 'nobody'"),
        "neither run nor dataset": (["sample", "--node", "user:u1"], "--dataset NAME"),
    }
    for name, (argv, message) in tried.items():
        assert message in error_of(capsys, *argv), name


def test_a_changed_dataset_is_refused_rather_than_drawn(runs, dataset, tmp_path):
    path, _ = runs["mf"]
    copy = tmp_path / "run"
    copy.mkdir()
    for entry in path.iterdir():
        if entry.is_file():
            (copy / entry.name).write_bytes(entry.read_bytes())
    arrays = dict(np.load(copy / "split.npz"))
    arrays["item_ids"] = arrays["item_ids"][::-1].copy()
    RunDir(copy).write_split(arrays)
    with pytest.raises(RunDirError, match="has changed since run"):
        open_run_graph(copy)
    (copy / "split.npz").write_bytes(b"not an npz")
    with pytest.raises(RunDirError, match=r"is not an \.npz archive; such files are never loaded") as refused:
        open_run_graph(copy)
    assert "allow_pickle" not in str(refused.value)


def test_training_node_refuses_a_node_without_training_edges(runs):
    run_graph = open_run_graph(runs["graphsage"][0])
    with pytest.raises(NodeError, match=r"has no training edges .*2 edge\(s\) in the whole dataset"):
        run_graph.training_node("item:999")
    assert MODELS[run_graph.config.model].name == "graphsage"
