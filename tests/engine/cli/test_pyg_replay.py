"""``python -m engine replay RUN --pyg-batch I``: a PyG batch logged into a run, read like our own replays."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.datasets import load_dataset
from tests.support.pyg_batches import log_loader_batches
from tests.support.run_files import fake_run


@pytest.fixture
def run_with_batches(tmp_path):
    run = fake_run(tmp_path, "pyg-run", model="graphsage")
    log_loader_batches(run.path, load_dataset("synthetic"))
    return run.path


def replay(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["replay", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_leaking_batch_is_flagged_with_its_fix(capsys, run_with_batches):
    code, out, _ = replay(capsys, str(run_with_batches), "--pyg-batch", "0", "--epoch", "1")
    assert code == 0
    assert "PyG batch 0 of epoch 1 (Data, link batch)" in out and "num_neighbors [-1, 3]" in out
    assert "LEAKAGE: 6 of its 6 positive supervision edges" in out and "RandomLinkSplit(disjoint_train_ratio" in out
    assert "hop 1:" in out and "all neighbors asked" in out and "hop 2:" in out


def test_clean_and_node_batches(capsys, run_with_batches):
    _, out, _ = replay(capsys, str(run_with_batches), "--pyg-batch", "1")
    assert "none of its 6 positive supervision edges" in out and "LEAKAGE" not in out
    _, out, _ = replay(capsys, str(run_with_batches), "--pyg-batch", "2")
    assert "node batch" in out and "seeds: user:" in out and "(4 asked)" in out


def test_json_lists_hops_nodes_and_supervision(capsys, run_with_batches):
    code, out, _ = replay(capsys, str(run_with_batches), "--pyg-batch", "0", "--json")
    document = json.loads(out)
    assert code == 0 and document["kind"] == "link" and document["leaking"] == 6
    assert all(edge["leaking"] for edge in document["supervision"])
    assert [hop["sampled"] for hop in document["hops"]] == [
        sum(1 for edge in document["edges"] if edge["hop"] == hop) for hop in (1, 2)
    ]
    seeds = {seed["id"] for seed in document["seeds"]}
    assert {edge["src"] for edge in document["supervision"]} <= seeds


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pyg-batch", "9"], "no PyG batch 9 of epoch 1; it holds batches [0, 1, 2]"),
        (["--pyg-batch", "0", "--epoch", "3"], "no PyG batch 0 of epoch 3"),
        ([], "replay needs --epoch E and --node NAME, or --pyg-batch I"),
    ],
)
def test_bad_requests_are_one_error_line(capsys, run_with_batches, argv, message):
    code, out, err = replay(capsys, str(run_with_batches), *argv)
    assert code == 2 and out == "" and err.startswith("error: ") and message in err and err.count("\n") == 1


def test_a_run_without_batches(capsys, tmp_path):
    run = fake_run(tmp_path, "plain")
    code, _, err = replay(capsys, str(run.path), "--pyg-batch", "0")
    assert code == 2 and "holds no PyG batches" in err
