"""The LightGCN paper's benchmark files (He et al., SIGIR 2020): Gowalla, Yelp2018 and Amazon-Book.

Each dataset is a folder with ``train.txt`` and ``test.txt`` (as in the authors' ``LightGCN-PyTorch/data/gowalla``):
one line per user, the user id first and then the ids of that user's items, separated by spaces. The split is
part of the benchmark, so the graph keeps it: edges read from ``test.txt`` are flagged in
:attr:`~engine.graph.InteractionGraph.held_out` and the ``fixed`` split (:mod:`engine.splits`) trains on
``train.txt`` and tests on ``test.txt``, as the paper's table does (Gowalla Recall@20 0.1830, NDCG@20 0.1554).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.datasets.validation import DatasetError, require_file, undecodable
from engine.graph import InteractionGraph, LoadReport

FILES = ("train.txt", "test.txt")
_SHOWN_CHARS = 40  # of a bad token, quoted in the message
_MAX_DIGITS = 18  # longer ids could overflow int64


def load_lightgcn(folder: str | Path, name: str) -> InteractionGraph:
    """Read a LightGCN benchmark folder; its ``test.txt`` edges become the graph's fixed held-out set.

    Args:
        folder (str | Path): Folder holding ``train.txt`` and ``test.txt``.
        name (str): Dataset name shown to users (``lightgcn:DIR``).

    Raises:
        DatasetError: A missing folder or file, or a line whose tokens are not non-negative integer ids (the
            message names the file and the line).
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DatasetError(
            f"{root}: not a folder; lightgcn:DIR needs the folder holding {' and '.join(FILES)} "
            "(e.g. LightGCN-PyTorch/data/gowalla)"
        )
    hint = f"lightgcn:DIR needs both {' and '.join(FILES)} of the benchmark in {root}"
    train_user, train_item = _read_lists(require_file(root / "train.txt", "LightGCN training file", hint))
    test_user, test_item = _read_lists(require_file(root / "test.txt", "LightGCN test file", hint))
    report = LoadReport(source=str(root), rows_read=len(train_user) + len(test_user))

    width = int(max(train_item.max(initial=0), test_item.max(initial=0))) + 1
    train_key, first = np.unique(train_user * width + train_item, return_index=True)  # (Ntr,) sorted, distinct
    report.drop("duplicate (user, item) pairs in train.txt", len(train_user) - len(first))
    test_key = np.unique(test_user * width + test_item)
    report.drop("duplicate (user, item) pairs in test.txt", len(test_user) - len(test_key))
    in_train = np.isin(test_key, train_key, assume_unique=True)
    report.drop("test.txt pairs also in train.txt (kept in training only)", int(in_train.sum()))
    test_key = test_key[~in_train]
    if len(train_key) == 0:
        raise DatasetError(f"{root / 'train.txt'}: has no (user, item) pairs; every line lists a user and no item")

    key = np.concatenate([train_key, test_key])  # (E,)
    held_out = np.concatenate([np.zeros(len(train_key), dtype=bool), np.ones(len(test_key), dtype=bool)])
    user_raw, user = np.unique(key // width, return_inverse=True)
    item_raw, item = np.unique(key % width, return_inverse=True)
    return InteractionGraph(
        user,
        item,
        len(user_raw),
        len(item_raw),
        users=pd.DataFrame({"user_id": user_raw}),
        items=pd.DataFrame({"item_id": item_raw}),
        name=name,
        report=report,
        held_out=held_out,
    )


def _read_lists(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(user (N,), item (N,))`` int64 of a file of lines ``user item item ...``; blank lines are skipped."""
    data = path.read_bytes()
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise undecodable(path, data, error, "LightGCN files hold only integer ids separated by spaces") from None
    users: list[np.ndarray] = []
    items: list[np.ndarray] = []
    for number, line in enumerate(text.splitlines(), start=1):
        tokens = line.split()
        if not tokens:
            continue
        bad = next((token for token in tokens if not token.isdigit() or len(token) > _MAX_DIGITS), None)
        if bad is not None:
            shown = bad if len(bad) <= _SHOWN_CHARS else bad[: _SHOWN_CHARS - 1] + "…"
            role = "a user id" if bad is tokens[0] else "an item id"
            raise DatasetError(
                f"{path}: line {number}: {shown!r} is not {role}; each line is a user id followed by that user's "
                "item ids, non-negative integers separated by spaces"
            )
        ids = np.array(tokens, dtype=np.int64)  # (1 + n,)
        users.append(np.full(len(ids) - 1, ids[0]))
        items.append(ids[1:])
    if not users:
        raise DatasetError(f"{path}: has no lines with ids; each line is a user id followed by that user's item ids")
    return np.concatenate(users), np.concatenate(items)
