"""The LightGCN benchmark format (``lightgcn:DIR``: ``train.txt``/``test.txt``) and the ``fixed`` split it keeps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.datasets import DatasetError, load_dataset
from engine.datasets.lightgcn import load_lightgcn
from engine.splits import split_interactions

# Gowalla's layout: user id, then that user's item ids; a trailing space and a blank line as in the published files.
TRAIN = "0 0 1 2 3 \n1 2 3 4\n2 0 4 5 6\n\n3 1 5 6\n"
TEST = "0 4 5\n1 0 6\n2 1\n3 2\n"


@pytest.fixture
def benchmark(tmp_path: Path) -> Path:
    folder = tmp_path / "gowalla"
    folder.mkdir()
    (folder / "train.txt").write_text(TRAIN)
    (folder / "test.txt").write_text(TEST)
    return folder


def _pairs(text: str) -> set[tuple[int, int]]:
    pairs = set()
    for line in text.splitlines():
        ids = [int(token) for token in line.split()]
        pairs |= {(ids[0], item) for item in ids[1:]}
    return pairs


def _raw_pairs(graph, user: np.ndarray, item: np.ndarray) -> set[tuple[int, int]]:
    users, items = graph.users["user_id"].to_numpy(), graph.items["item_id"].to_numpy()
    return set(zip(users[user].tolist(), items[item].tolist(), strict=True))


def test_both_files_load_with_test_edges_flagged_held_out(benchmark):
    graph = load_dataset(f"lightgcn:{benchmark}")
    assert (graph.num_users, graph.num_items, graph.num_edges) == (4, 7, 20)
    held = graph.held_out
    assert _raw_pairs(graph, graph.user[~held], graph.item[~held]) == _pairs(TRAIN)
    assert _raw_pairs(graph, graph.user[held], graph.item[held]) == _pairs(TEST)
    assert graph.report.rows_read == 20 and graph.report.rows_dropped == 0


def test_fixed_split_trains_on_train_txt_and_tests_on_test_txt(benchmark):
    graph = load_dataset(f"lightgcn:{benchmark}")
    split = split_interactions(graph, "fixed", seed=3)
    assert _raw_pairs(graph, split.train.user, split.train.item) == _pairs(TRAIN)
    assert _raw_pairs(graph, split.test_user, split.test_item) == _pairs(TEST)
    assert split.report["method"] == "fixed" and split.report["test_interactions"] == len(_pairs(TEST))
    again = split_interactions(graph, "fixed", seed=99)  # the seed cannot move a fixed split
    assert np.array_equal(again.test_item, split.test_item) and split.train.held_out is not None
    assert not split.train.held_out.any()


def test_fixed_split_carves_validation_from_train_txt_and_leaves_test_txt_alone(benchmark):
    graph = load_dataset(f"lightgcn:{benchmark}")
    plain = split_interactions(graph, "fixed")
    split = split_interactions(graph, "fixed", val_ratio=0.3, seed=1)
    assert _raw_pairs(graph, split.test_user, split.test_item) == _pairs(TEST)  # the published test set, as it was
    validation = _raw_pairs(graph, split.val_user, split.val_item)
    training = _raw_pairs(graph, split.train.user, split.train.item)
    assert validation and validation | training == _pairs(TRAIN) and not validation & training
    assert set(split.train.user.tolist()) == set(plain.train.user.tolist())  # every user keeps a training edge


def test_fixed_split_survives_a_k_core_filter(benchmark):
    split = split_interactions(load_dataset(f"lightgcn:{benchmark}"), "fixed", k_core=3)
    assert split.report["train_interactions"] + split.report["test_interactions"] < 20
    assert _raw_pairs(split.train, split.test_user, split.test_item) <= _pairs(TEST)


@pytest.mark.parametrize(
    ("method", "val_ratio", "message"),
    [
        ("random", 0.0, r"comes with its own train/test split; use split 'fixed' \(--split fixed\)"),
        ("temporal", 0.0, r"comes with its own train/test split"),
    ],
)
def test_a_benchmark_takes_only_its_own_split(benchmark, method, val_ratio, message):
    with pytest.raises(ValueError, match=message):
        split_interactions(load_dataset(f"lightgcn:{benchmark}"), method, val_ratio=val_ratio)


def test_fixed_split_needs_a_dataset_that_has_one():
    with pytest.raises(ValueError, match=r"dataset 'synthetic' has none; use 'random'"):
        split_interactions(load_dataset("synthetic"), "fixed")


def test_duplicates_and_test_pairs_already_in_train_are_counted(tmp_path):
    (tmp_path / "train.txt").write_text("0 1 1 2\n1 2\n")
    (tmp_path / "test.txt").write_text("0 2 3 3\n1 1\n")
    graph = load_lightgcn(tmp_path, "lightgcn:x")
    assert graph.report.dropped == {
        "duplicate (user, item) pairs in train.txt": 1,
        "duplicate (user, item) pairs in test.txt": 1,
        "test.txt pairs also in train.txt (kept in training only)": 1,
    }
    assert _raw_pairs(graph, graph.user[graph.held_out], graph.item[graph.held_out]) == {(0, 3), (1, 1)}


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("train.txt", "0 1 2\n1 2 x3\n", r"train\.txt: line 2: 'x3' is not an item id; each line is a user id"),
        ("test.txt", "0 4\n\nu7 1\n", r"test\.txt: line 3: 'u7' is not a user id"),
        ("test.txt", "0 4 -1\n", r"test\.txt: line 1: '-1' is not an item id"),
        ("train.txt", "0 1 2.5\n", r"train\.txt: line 1: '2\.5' is not an item id"),
        ("train.txt", "0 1\n1 99999999999999999999\n", r"train\.txt: line 2: '99999999999999999999' is not an item"),
        ("train.txt", "0 1,2\n", r"train\.txt: line 1: '1,2' is not an item id"),
        ("test.txt", "0 4\n1 é\n", r"test\.txt: line 2: byte b'\\xc3' is not ASCII"),
        ("train.txt", "\n\n", r"train\.txt: has no lines with ids"),
        ("train.txt", "0\n1\n", r"train\.txt: has no \(user, item\) pairs"),
        ("test.txt", "", r"test\.txt: LightGCN test file is empty"),
    ],
)
def test_malformed_file_is_one_line_naming_file_and_line(benchmark, file, text, message):
    (benchmark / file).write_text(text, encoding="utf-8")
    with pytest.raises(DatasetError, match=message) as raised:
        load_dataset(f"lightgcn:{benchmark}")
    assert "\n" not in str(raised.value)


def test_missing_test_file_and_missing_folder_are_named(benchmark, tmp_path):
    (benchmark / "test.txt").unlink()
    with pytest.raises(DatasetError, match=r"test\.txt: LightGCN test file not found; lightgcn:DIR needs both"):
        load_dataset(f"lightgcn:{benchmark}")
    with pytest.raises(DatasetError, match=r"nowhere: not a folder; lightgcn:DIR needs the folder holding train"):
        load_dataset(f"lightgcn:{tmp_path / 'nowhere'}")
    with pytest.raises(DatasetError, match=r"lightgcn: needs a folder"):
        load_dataset("lightgcn:")


def test_cli_trains_and_tests_on_the_fixed_split(benchmark, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["train", "--dataset", f"lightgcn:{benchmark}", "--split", "fixed", "--model", "mf", "--epochs", "1"]
    argv += ["--negatives", "1", "--runs-dir", str(runs), "--quiet"]
    assert main(argv) == 0
    run = Path(capsys.readouterr().out.strip().splitlines()[-1])
    summary = json.loads((run / "summary.json").read_text())
    assert summary["split"]["method"] == "fixed"
    assert summary["split"]["test_interactions"] == len(_pairs(TEST))
    split = summary["split"]  # the default validation slice comes out of train.txt, never out of test.txt
    assert split["train_interactions"] + split["val_interactions"] == len(_pairs(TRAIN)) and split["val_interactions"]


def test_cli_refuses_a_benchmark_without_the_fixed_split_before_any_run(benchmark, tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["train", "--dataset", f"lightgcn:{benchmark}", "--model", "mf", "--runs-dir", str(runs), "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "use split 'fixed' (--split fixed)" in err and err.count("\n") == 1
    assert not runs.exists()
