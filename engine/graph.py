"""The user–item interaction graph every other part of the engine stands on.

Users and items are two node types with their own dense internal ids (``0..num_users-1`` and
``0..num_items-1``). Samplers work on one homogeneous id space where users come first and items
follow (``global = user`` or ``global = num_users + item``); :attr:`InteractionGraph.csr` gives the
adjacency in that space. Raw ids from the data (``user:42``, ``item:1193``) map to internal ids
through :meth:`InteractionGraph.node_id` and back through :meth:`InteractionGraph.node_name`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd

NODE_TYPES = ("user", "item")
USER, ITEM = 0, 1


class NodeError(ValueError):
    """A node name or id that does not exist in the graph."""


class CSR(NamedTuple):
    """Compressed sparse rows: the neighbors of row ``r`` are ``indices[indptr[r]:indptr[r + 1]]``."""

    indptr: np.ndarray  # (num_rows + 1,) int64
    indices: np.ndarray  # (num_edges,) int64

    def degree(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbors(self, row: int) -> np.ndarray:
        return self.indices[self.indptr[row] : self.indptr[row + 1]]


@dataclass
class LoadReport:
    """What a loader read and what it dropped or changed, so nothing disappears silently."""

    source: str
    rows_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + int(count)

    @property
    def rows_dropped(self) -> int:
        return sum(self.dropped.values())

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_dropped": self.rows_dropped,
            "dropped": dict(self.dropped),
            "notes": list(self.notes),
        }


class InteractionGraph:
    """A bipartite user–item graph with optional ratings, timestamps and metadata.

    Edges are stored sorted by ``(user, item)`` and are unique; edge ``e`` connects
    ``user[e]`` and ``item[e]``.

    Args:
        user (np.ndarray): Internal user id of every edge, shape ``(E,)``.
        item (np.ndarray): Internal item id of every edge, shape ``(E,)``.
        num_users (int): Number of users (may exceed ``user.max() + 1`` for users without edges).
        num_items (int): Number of items.
        ratings (np.ndarray, optional): Rating of every edge, ``(E,)`` float32. (default: ``None``)
        timestamps (np.ndarray, optional): Unix seconds of every edge, ``(E,)`` int64. (default: ``None``)
        users (pd.DataFrame, optional): One row per internal user id, column ``user_id`` holds the raw id;
            other columns are metadata (``age``, ``gender``, ``occupation``, ...). (default: raw id = internal id)
        items (pd.DataFrame, optional): One row per internal item id, column ``item_id`` holds the raw id;
            other columns are metadata (``title``, ``genres`` as ``"A|B"``, ``year``, ...). (default: raw = internal)
        name (str): Dataset name shown to users. (default: ``"graph"``)
        report (LoadReport, optional): What the loader dropped on the way. (default: empty report)
        held_out (np.ndarray, optional): ``(E,)`` bool, the edges the dataset itself holds out for testing — a fixed
            split such as the LightGCN benchmarks' ``test.txt``, used by the ``fixed`` split. (default: ``None``,
            the dataset has no split of its own)
    """

    def __init__(
        self,
        user: np.ndarray,
        item: np.ndarray,
        num_users: int,
        num_items: int,
        *,
        ratings: np.ndarray | None = None,
        timestamps: np.ndarray | None = None,
        users: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        name: str = "graph",
        report: LoadReport | None = None,
        held_out: np.ndarray | None = None,
    ) -> None:
        user = np.asarray(user, dtype=np.int64)
        item = np.asarray(item, dtype=np.int64)
        if user.shape != item.shape or user.ndim != 1:
            raise ValueError(f"'user' and 'item' must be 1-D arrays of one length (got {user.shape} and {item.shape})")
        if len(user) and (user.min() < 0 or user.max() >= num_users):
            raise ValueError(f"user ids must lie in [0, {num_users}) (got {user.min()}..{user.max()})")
        if len(item) and (item.min() < 0 or item.max() >= num_items):
            raise ValueError(f"item ids must lie in [0, {num_items}) (got {item.min()}..{item.max()})")
        key = user * num_items + item  # (E,) one int64 per (user, item): sorting it sorts by user, then item
        order = slice(None)
        if len(key) > 1 and not (key[1:] > key[:-1]).all():  # generators and splits hand over sorted edges
            order = np.argsort(key, kind="stable")
            user, item, key = user[order], item[order], key[order]
            duplicates = int((key[1:] == key[:-1]).sum())
            if duplicates:
                raise ValueError(
                    f"{duplicates} duplicate (user, item) edges; build graphs with from_frame(), which keeps the latest"
                )
        self.num_users = int(num_users)
        self.num_items = int(num_items)
        self.user = user
        self.item = item
        self.ratings = None if ratings is None else np.asarray(ratings, dtype=np.float32)[order]
        self.timestamps = None if timestamps is None else np.asarray(timestamps, dtype=np.int64)[order]
        if held_out is not None and np.shape(held_out) != user.shape:
            raise ValueError(f"'held_out' must flag every edge, shape {user.shape} (got {np.shape(held_out)})")
        self.held_out = None if held_out is None else np.asarray(held_out, dtype=bool)[order]
        self.users = _metadata(users, self.num_users, "user_id")
        self.items = _metadata(items, self.num_items, "item_id")
        self.name = name
        self.report = report or LoadReport(source=name)

    # ----------------------------------------------------------------- sizes
    @property
    def num_edges(self) -> int:
        return len(self.user)

    @property
    def num_nodes(self) -> int:
        return self.num_users + self.num_items

    @property
    def density(self) -> float:
        cells = self.num_users * self.num_items
        return self.num_edges / cells if cells else 0.0

    # ------------------------------------------------------------- adjacency
    @cached_property
    def user_csr(self) -> CSR:
        """user -> items (internal item ids); slot ``p`` is edge ``p`` because edges are sorted by user."""
        indptr = np.zeros(self.num_users + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.user, minlength=self.num_users), out=indptr[1:])
        return CSR(indptr, self.item)

    @cached_property
    def item_csr_edges(self) -> np.ndarray:
        """``(E,)`` the edge id at each slot of :attr:`item_csr` (edges sorted by item, then user)."""
        return np.lexsort((self.user, self.item))

    @cached_property
    def item_csr(self) -> CSR:
        """item -> users (internal user ids), each row sorted."""
        indptr = np.zeros(self.num_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.item, minlength=self.num_items), out=indptr[1:])
        return CSR(indptr, self.user[self.item_csr_edges])

    @cached_property
    def csr(self) -> CSR:
        """Homogeneous adjacency over global ids: users ``[0, U)``, items ``[U, U + I)``."""
        u, i = self.user_csr, self.item_csr
        indptr = np.concatenate([u.indptr, u.indptr[-1] + i.indptr[1:]])
        indices = np.concatenate([u.indices + self.num_users, i.indices])
        return CSR(indptr, indices)

    def user_degree(self) -> np.ndarray:
        return self.user_csr.degree()

    def item_degree(self) -> np.ndarray:
        return self.item_csr.degree()

    # ------------------------------------------------------------ node names
    def node_type(self, global_id: int) -> str:
        return NODE_TYPES[USER] if global_id < self.num_users else NODE_TYPES[ITEM]

    def to_global(self, node_type: str, local_id: int | np.ndarray) -> int | np.ndarray:
        return local_id if node_type == "user" else local_id + self.num_users

    @cached_property
    def _raw_to_local(self) -> dict[str, dict[str, int]]:
        return {
            "user": {str(r): k for k, r in enumerate(self.users["user_id"].tolist())},
            "item": {str(r): k for k, r in enumerate(self.items["item_id"].tolist())},
        }

    def node_name(self, global_id: int) -> str:
        """``user:<raw id>`` or ``item:<raw id>`` for a global id."""
        if not 0 <= global_id < self.num_nodes:
            raise NodeError(f"node id {global_id} is out of range: this graph has {self.num_nodes} nodes")
        if global_id < self.num_users:
            return f"user:{self.users['user_id'].iat[global_id]}"
        return f"item:{self.items['item_id'].iat[global_id - self.num_users]}"

    def node_id(self, name: str) -> int:
        """Global id of ``user:<raw id>`` / ``item:<raw id>`` (spaces around either part are ignored); raises
        :class:`NodeError` with a hint."""
        node_type, sep, raw = str(name).partition(":")
        node_type, raw = node_type.strip(), raw.strip()
        if not sep or node_type not in NODE_TYPES or not raw:
            raise NodeError(f"node {name!r} must look like 'user:<id>' or 'item:<id>' (e.g. 'item:1193')")
        local = self._raw_to_local[node_type].get(raw)
        if local is None:
            ids = self.users["user_id"] if node_type == "user" else self.items["item_id"]
            raise NodeError(
                f"unknown {node_type} {raw!r} in dataset {self.name!r}: it has {len(ids)} {node_type}s "
                f"(e.g. {', '.join(f'{node_type}:{r}' for r in ids.head(3).tolist())})"
            )
        return int(self.to_global(node_type, local))

    def item_title(self, item: int) -> str:
        """Title of an internal item id, or its node name when the dataset has no titles."""
        if "title" in self.items.columns:
            title = self.items["title"].iat[item]
            if isinstance(title, str) and title:
                return title
        return f"item:{self.items['item_id'].iat[item]}"

    # ----------------------------------------------------------- derivation
    def with_edges(self, mask_or_index: np.ndarray, name: str | None = None) -> InteractionGraph:
        """A graph on the same nodes and metadata holding only the selected edges."""
        return InteractionGraph(
            self.user[mask_or_index],
            self.item[mask_or_index],
            self.num_users,
            self.num_items,
            ratings=None if self.ratings is None else self.ratings[mask_or_index],
            timestamps=None if self.timestamps is None else self.timestamps[mask_or_index],
            users=self.users,
            items=self.items,
            name=name or self.name,
            report=self.report,
            held_out=None if self.held_out is None else self.held_out[mask_or_index],
        )

    def __repr__(self) -> str:
        return (
            f"InteractionGraph(name={self.name!r}, users={self.num_users}, items={self.num_items}, "
            f"edges={self.num_edges})"
        )

    # ----------------------------------------------------------- building
    @classmethod
    def from_frame(
        cls,
        interactions: pd.DataFrame,
        *,
        users: pd.DataFrame | None = None,
        items: pd.DataFrame | None = None,
        name: str = "graph",
        report: LoadReport | None = None,
    ) -> InteractionGraph:
        """Build a graph from raw ids.

        Args:
            interactions (pd.DataFrame): Columns ``user``, ``item`` (raw ids of any hashable type) and
                optionally ``rating`` and ``timestamp``. Duplicate ``(user, item)`` rows keep the latest one
                (by timestamp when present, else the last row) and are counted in ``report``.
            users (pd.DataFrame, optional): Metadata with a ``user_id`` column of raw ids. (default: ``None``)
            items (pd.DataFrame, optional): Metadata with an ``item_id`` column of raw ids. (default: ``None``)
            name (str): Dataset name. (default: ``"graph"``)
            report (LoadReport, optional): Report to extend with what this step drops. (default: new one)
        """
        report = report or LoadReport(source=name, rows_read=len(interactions))
        user_codes, user_raw = pd.factorize(interactions["user"], sort=True)
        item_codes, item_raw = pd.factorize(interactions["item"], sort=True)
        key = user_codes.astype(np.int64) * len(item_raw) + item_codes  # (N,) one int64 per (user, item)
        timestamps = interactions["timestamp"].to_numpy() if "timestamp" in interactions.columns else None
        keep = _latest_per_key(key, timestamps)  # (E,) rows kept, in (user, item) order: the constructor sorts nothing
        report.drop("duplicate (user, item) rows (kept the latest)", int(len(key) - len(keep)))

        users_meta = _align(users, pd.Index(user_raw), "user_id", report)
        items_meta = _align(items, pd.Index(item_raw), "item_id", report)
        ratings = interactions["rating"].to_numpy()[keep] if "rating" in interactions.columns else None
        return cls(
            user_codes[keep],
            item_codes[keep],
            len(user_raw),
            len(item_raw),
            ratings=ratings,
            timestamps=None if timestamps is None else timestamps[keep],
            users=users_meta,
            items=items_meta,
            name=name,
            report=report,
        )


def _latest_per_key(key: np.ndarray, timestamps: np.ndarray | None) -> np.ndarray:
    """Rows of ``key (N,)`` sorted by key, one per key: its latest by ``timestamps``, the last row among equal times.

    One unstable sort of the keys; only rows whose key repeats (none in a clean file) are sorted by time too.
    """
    order = np.argsort(key)  # (N,)
    sorted_key = key[order]
    repeats = np.zeros(len(key), dtype=bool)
    repeats[1:] = sorted_key[1:] == sorted_key[:-1]
    if not repeats.any():
        return order
    repeats[:-1] |= repeats[1:]  # every row of a repeated key, its first one included
    rows = order[repeats]
    by_time = (rows, key[rows]) if timestamps is None else (rows, timestamps[rows], key[rows])
    rows = rows[np.lexsort(by_time)]  # (R,) by key, then time, then row: a key's winner ends its run
    winner = np.ones(len(rows), dtype=bool)
    winner[:-1] = key[rows[1:]] != key[rows[:-1]]
    kept = np.concatenate([order[~repeats], rows[winner]])
    return kept[np.argsort(key[kept])]


def _metadata(table: pd.DataFrame | None, count: int, id_column: str) -> pd.DataFrame:
    if table is None:
        return pd.DataFrame({id_column: np.arange(count)})
    if len(table) != count or id_column not in table.columns:
        raise ValueError(f"metadata must have {count} rows and an {id_column!r} column (got {len(table)} rows)")
    return table.reset_index(drop=True)


def _align(table: pd.DataFrame | None, raw_ids: pd.Index, id_column: str, report: LoadReport) -> pd.DataFrame:
    """Metadata rows in internal-id order; a repeated id keeps its last row, a node missing gets empty metadata."""
    if table is None:
        return pd.DataFrame({id_column: raw_ids})
    kind = id_column.removesuffix("_id")
    repeated = int(table[id_column].duplicated(keep="last").sum())
    if repeated:
        report.notes.append(f"{repeated} {kind} metadata rows repeat an earlier {id_column} (kept the last)")
    table = table.drop_duplicates(id_column, keep="last").set_index(id_column)
    missing = (~raw_ids.isin(table.index)).sum()
    if missing:
        report.notes.append(f"{missing} {kind}s have interactions but no metadata row")
    unused = (~table.index.isin(raw_ids)).sum()
    if unused:
        report.notes.append(f"{unused} {kind}s in the metadata have no interactions (left out)")
    aligned = table.reindex(raw_ids)
    aligned.index.name = id_column
    return aligned.reset_index()
