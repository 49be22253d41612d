"""Every bad input of engine.track is one clear TrackError, and nothing already logged is lost or changed by it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine import track
from engine.runs.rundir import RunDir, read_run

USERS, ITEMS = 1000, 1000  # the bundled synthetic dataset


@pytest.fixture
def run(tmp_path):
    """An open run that has logged epoch 1 and its 4-d snapshot."""
    with track.init("bad", runs_dir=tmp_path, dataset="synthetic") as run:
        run.log(1, loss=1.0, metrics={"m": 0.5})
        run.snapshot(1, users=np.ones((USERS, 4)), items=np.ones((ITEMS, 4)))
        yield run


def unchanged(run) -> None:
    """What the fixture logged is still there, exactly."""
    info = read_run(run.dir)
    assert info.state == "running" and [line["epoch"] for line in info.metrics] == [1]
    assert RunDir(run.dir).snapshot_epochs() == [1]


@pytest.mark.parametrize(
    ("users", "items", "message"),
    [
        pytest.param(np.ones(USERS), np.ones((ITEMS, 4)), r"users must be a 2-D array of numbers", id="1-d"),
        pytest.param(np.ones((USERS, 4, 1)), np.ones((ITEMS, 4)), r"must be a 2-D array", id="3-d"),
        pytest.param(np.full((USERS, 4), "a"), np.ones((ITEMS, 4)), r"must be a 2-D array of numbers", id="text"),
        pytest.param(
            np.ones((USERS - 1, 4)),
            np.ones((ITEMS, 4)),
            r"users has 999 rows but the dataset has 1000 users",
            id="rows-not-the-datasets",
        ),  # fmt: skip
        pytest.param(
            np.ones((USERS, 4)),
            np.ones((ITEMS + 5, 4)),
            r"items has 1005 rows but the dataset has 1000",
            id="item-rows",
        ),  # fmt: skip
        pytest.param(np.ones((USERS, 4)), np.ones((ITEMS, 3)), r"users are 4-d and items 3-d", id="widths-differ"),
        pytest.param(
            np.ones((USERS, 8)), np.ones((ITEMS, 8)), r"is 8-d but earlier snapshots are 4-d", id="width-changes"
        ),  # fmt: skip
        pytest.param(np.ones((USERS, 0)), np.ones((ITEMS, 0)), r"are 0-d; an embedding has 1 to 4096", id="0-d"),
        pytest.param(
            np.full((USERS, 4), np.nan), np.ones((ITEMS, 4)), r"1000 row\(s\) of users hold NaN or infinity", id="nan"
        ),  # fmt: skip
        pytest.param(
            np.ones((USERS, 4)), np.where(np.eye(ITEMS, 4) > 0, np.inf, 1.0), r"4 row\(s\) of items hold NaN", id="inf"
        ),  # fmt: skip
        pytest.param(np.full((USERS, 4), 1e39), np.ones((ITEMS, 4)), r"overflow float32", id="float32-overflow"),
        pytest.param(torch.full((USERS, 4), float("nan")), np.ones((ITEMS, 4)), r"users hold NaN", id="nan-tensor"),
        pytest.param("users", np.ones((ITEMS, 4)), r"must be a 2-D array of numbers", id="not-an-array"),
    ],
)
def test_bad_snapshots_are_refused(run, users, items, message):
    with pytest.raises(track.TrackError, match=message):
        run.snapshot(2, users=users, items=items)
    unchanged(run)
    assert not RunDir(run.dir).epoch_snapshot_path(2).exists()


def test_a_snapshot_of_an_epoch_saved_already_is_refused(run):
    before = RunDir(run.dir).epoch_snapshot_path(1).read_bytes()
    with pytest.raises(track.TrackError, match="epoch 1 already has a snapshot"):
        run.snapshot(1, users=np.zeros((USERS, 4)), items=np.zeros((ITEMS, 4)))
    assert RunDir(run.dir).epoch_snapshot_path(1).read_bytes() == before


def test_torch_snapshots_are_taken_as_they_are(run):
    users = torch.randn(USERS, 4, requires_grad=True)
    run.snapshot(2, users=users * 2, items=torch.ones(ITEMS, 4, dtype=torch.float64))
    assert RunDir(run.dir).snapshot_epochs() == [1, 2]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda run: run.log(1, loss=0.5), "epoch 1 is not after epoch 1", id="same-epoch"),
        pytest.param(lambda run: run.log(0, loss=0.5), r"epoch must be a whole number from 1 \(got 0\)", id="epoch-0"),
        pytest.param(lambda run: run.log(2.0, loss=0.5), r"whole number from 1 \(got 2.0\)", id="float-epoch"),
        pytest.param(lambda run: run.log(True, loss=0.5), r"whole number from 1 \(got True\)", id="bool-epoch"),
        pytest.param(
            lambda run: run.log(2, loss=math.nan), r"\['loss'\] must be a finite number \(got nan\)", id="nan-loss"
        ),  # fmt: skip
        pytest.param(
            lambda run: run.log(2, loss=torch.tensor(float("inf"))), r"must be a finite number", id="inf-tensor-loss"
        ),  # fmt: skip
        pytest.param(
            lambda run: run.log(2, metrics={"ndcg": math.inf}), r"\['ndcg'\] must be a finite number", id="inf-metric"
        ),  # fmt: skip
        pytest.param(
            lambda run: run.log(2, metrics={"ndcg": "high"}),
            r"must be a finite number \(got 'high'\)",
            id="text-metric",
        ),  # fmt: skip
        pytest.param(
            lambda run: run.log(2, metrics={"ndcg": np.ones(3)}), r"must be a finite number", id="array-metric"
        ),  # fmt: skip
        pytest.param(lambda run: run.log(2, metrics={"": 1.0}), r"every name must be non-empty text", id="no-name"),
        pytest.param(
            lambda run: run.log(2, metrics={"seconds": 1.0}), r"seconds is a field of every line", id="reserved-name"
        ),  # fmt: skip
        pytest.param(lambda run: run.log(2, metrics=[1.0]), r"must be a dict of name -> number", id="not-a-dict"),
        pytest.param(lambda run: run.edges("holdout"), r"unknown part 'holdout'", id="unknown-part"),
    ],
)
def test_bad_log_calls_are_refused(run, call, message):
    with pytest.raises(track.TrackError, match=message):
        call(run)
    unchanged(run)


def test_numpy_and_torch_scalars_are_numbers(run):
    run.log(np.int64(2), loss=torch.tensor(0.25), metrics={"a": np.float32(0.5), "b": torch.tensor([0.75])})
    line = read_run(run.dir).metrics[-1]
    assert line["epoch"] == 2 and line["loss"] == 0.25 and line["a"] == 0.5 and line["b"] == 0.75


def test_a_snapshot_failing_the_run_at_finish_says_why(tmp_path, engine_run):
    with pytest.raises(track.TrackError, match="has a split but no snapshot to evaluate"):
        with track.init("nosnap", runs_dir=tmp_path, split=track.split_of(engine_run)) as run:
            run.log(1, loss=1.0)
    info = read_run(run.dir)
    assert info.state == "failed" and "no snapshot to evaluate" in info.status["error"]
    assert info.metrics[0]["loss"] == 1.0


def raw(ids: list[int]) -> np.ndarray:
    return np.array([str(i) for i in ids])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"name": "my model"}, r"name must be 1-64 letters", id="name-with-space"),
        pytest.param({"name": ""}, r"name must be 1-64 letters", id="empty-name"),
        pytest.param({"dataset": None}, r"dataset must name the dataset", id="no-dataset"),
        pytest.param({"dataset": "no-such-data"}, r"cannot load dataset 'no-such-data'", id="unknown-dataset"),
        pytest.param({"select": "first"}, r"select must be one of last, best", id="unknown-select"),
        pytest.param({"select": "best"}, r"select='best' picks a snapshot on the validation slice", id="best-no-val"),
        pytest.param({"test": {"ndcg@20": math.nan}}, r"test\['ndcg@20'\] must be a finite number", id="nan-test"),
        pytest.param({"ks": [0]}, r"ks must be a list of whole numbers", id="bad-k"),
        pytest.param({"epochs": 0}, r"epochs must be a whole number in \[1, 10000\]", id="bad-epochs"),
        pytest.param({"split": {"train": ([], [])}}, r"split must be track.split_of", id="split-not-a-split"),
        pytest.param({"run_id": "../escape"}, r"invalid run id '../escape'", id="run-id-escaping"),
    ],
)
def test_bad_init_arguments_are_refused_before_anything_is_written(tmp_path, options, message):
    values = {"name": "x", "runs_dir": tmp_path / "runs", "dataset": "synthetic", **options}
    with pytest.raises(track.TrackError, match=message):
        with track.init(**values):
            pass
    assert not any((tmp_path / "runs").glob("*/status.json"))


def test_a_split_with_test_metrics_of_the_user_is_refused(tmp_path, engine_run):
    with pytest.raises(track.TrackError, match="test= is for runs without a split"):
        with track.init("x", runs_dir=tmp_path, split=track.split_of(engine_run), test={"ndcg@10": 0.1}):
            pass


def test_a_split_of_another_dataset_is_refused(tmp_path, engine_run):
    with pytest.raises(track.TrackError, match="the split is of dataset 'synthetic', not 'movielens-100k'"):
        with track.init("x", runs_dir=tmp_path, dataset="movielens-100k", split=track.split_of(engine_run)):
            pass


def test_split_of_a_folder_that_is_no_run_says_so(tmp_path):
    with pytest.raises(track.TrackError, match=f"cannot take the split of {tmp_path}"):
        track.split_of(tmp_path)


def non_edge(train, test) -> tuple[np.ndarray, np.ndarray]:
    """A (user, item) pair of known ids that is no interaction of the dataset."""
    user = train[0][0]
    known = set(train[1][train[0] == user]) | set(test[1][test[0] == user])
    item = next(item for item in np.unique(train[1]) if item not in known)
    return np.array([user]), np.array([item])


@pytest.fixture(scope="module")
def edges(engine_run):
    """Raw ids of real train and test interactions of the sample data (from the engine run's split)."""
    split = track.split_of(engine_run)
    return split.train, split.test


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda tr, te: track.Split(train=tr, test=(raw([99999]), te[1][:1])),
                     r"split.test names 1 user id\(s\) the dataset does not have \(first: 99999\)", id="unknown-user"),
        pytest.param(lambda tr, te: track.Split(train=(tr[0][:1], np.array(["x1"])), test=te),
                     r"split.train names 1 item id\(s\) the dataset does not have \(first: x1\)", id="unknown-item"),
        pytest.param(lambda tr, te: track.Split(train=(tr[0][:2], tr[1][:1]), test=te),
                     r"split.train must be two 1-D id lists of one length", id="lengths-differ"),
        pytest.param(lambda tr, te: track.Split(train=tr[0], test=te),
                     r"split.train must be a pair \(users, items\)", id="not-a-pair"),
        pytest.param(lambda tr, te: track.Split(train=tr, test=non_edge(tr, te)),
                     r"1 of the 1 split.test edges are not interactions of dataset", id="not-an-interaction"),
        pytest.param(lambda tr, te: track.Split(train=tr, test=(tr[0][:3], tr[1][:3])),
                     r"3 edge\(s\) are both train and test edges", id="train-and-test"),
        pytest.param(lambda tr, te: track.Split(train=tr, test=(raw([]), raw([]))),
                     r"the split has no test edge", id="no-test-edge"),
    ],
)  # fmt: skip
def test_bad_splits_are_refused(tmp_path, edges, make, message):
    with pytest.raises(track.TrackError, match=message):
        with track.init("x", runs_dir=tmp_path / "runs", dataset="synthetic", split=make(*edges)):
            pass
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_split_of_the_users_own_edges_is_used_as_given(tmp_path, edges):
    train, test = edges
    split = track.Split(train=train, test=(test[0][:50], test[1][:50]))
    rng = np.random.default_rng(0)
    with track.init("own-split", runs_dir=tmp_path, dataset="synthetic", split=split) as run:
        users, items = run.edges("train")
        assert len(users) == len(train[0]) and np.array_equal(run.user_ids[users], train[0])
        run.snapshot(1, users=rng.normal(size=(USERS, 4)), items=rng.normal(size=(ITEMS, 4)))
    info = read_run(run.dir)
    assert info.summary["split"]["test_interactions"] == 50 and info.summary["test"]["users"] <= 50
    assert info.summary["protocol"] == "test-selected"
