"""Questions asked of an embedding map: which nodes match a search, and where a node's nearest neighbors land.

Neighbors are found where the model scores (cosine in the original ``d``-dimensional space) and then looked up on
the map: a 2-D (or 3-D) projection keeps local structure only approximately, so a neighbor the model ranks first can
land on the far side of the map. :func:`map_neighbors` measures that for each neighbor (the share of same-type
points the map draws closer to the node than it) so the page can say so instead of letting the picture mislead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.analysis.neighbors import nearest_neighbors
from engine.graph import InteractionGraph

# A neighbor is "far on the map" when at least this share of the same-type points is drawn closer to the node:
# farther than a typical random point, although the model ranks it among the nearest.
FAR_SHARE = 0.5
MAX_K = 100  # neighbors drawn at most: beyond it the lines hide the map


@dataclass(frozen=True)
class MapNeighbors:
    """A node's ``k`` nearest same-type nodes by cosine in the original space, and where the map puts them.

    Attributes:
        node (int): Global id of the node asked about.
        ids (np.ndarray): ``(k,)`` global ids of its neighbors, most similar first.
        cosine (np.ndarray): ``(k,)`` cosine similarity of each in the original space.
        map_distance (np.ndarray): ``(k,)`` Euclidean distance to the node on the map.
        closer_share (np.ndarray): ``(k,)`` share of the other same-type points the map draws closer to the node.
        map_overlap (float): Share of the ``k`` neighbors that are also among the node's ``k`` nearest on the map.
    """

    node: int
    ids: np.ndarray
    cosine: np.ndarray
    map_distance: np.ndarray
    closer_share: np.ndarray
    map_overlap: float

    @property
    def far(self) -> np.ndarray:
        """``(k,)`` bool: neighbors the map draws farther away than :data:`FAR_SHARE` of the same-type points."""
        return self.closer_share >= FAR_SHARE


def map_neighbors(embeddings: np.ndarray, coords: np.ndarray, num_users: int, node: int, k: int = 10) -> MapNeighbors:
    """The ``k`` nearest neighbors of ``node`` among nodes of its type (users or items), with their map distances.

    Args:
        embeddings (np.ndarray): Original vectors, users then items, shape ``(U + I, d)``.
        coords (np.ndarray): The map of the same nodes, shape ``(U + I, 2)`` or ``(U + I, 3)``.
        num_users (int): How many leading rows are users.
        node (int): Global id of the node.
        k (int): Neighbors, from 1 to :data:`MAX_K`. (default: ``10``)
    """
    if not 1 <= k <= MAX_K:
        raise ValueError(f"'k' must be from 1 to {MAX_K} for map_neighbors (got {k})")
    if len(embeddings) != len(coords):
        raise ValueError(f"the map has {len(coords)} points but {len(embeddings)} embeddings were given")
    if not 0 <= node < len(embeddings):
        raise ValueError(f"node {node} is not on the map of {len(embeddings)} points")
    lo, hi = (0, num_users) if node < num_users else (num_users, len(embeddings))
    local = node - lo
    ids, scores = nearest_neighbors(embeddings[lo:hi], embeddings[node], k=k, exclude=np.array([local]))
    ids, scores = ids[0], scores[0]  # (k,)
    distance = np.linalg.norm(coords[lo:hi] - coords[node], axis=1)  # (n,) map distance to every same-type point
    others = np.delete(distance, local)  # (n - 1,)
    closer_share = (
        np.searchsorted(np.sort(others), distance[ids], side="left") / len(others) if len(others) else np.zeros(0)
    )
    map_order = np.argsort(np.where(np.arange(len(distance)) == local, np.inf, distance), kind="stable")
    overlap = len(np.intersect1d(map_order[: len(ids)], ids)) / len(ids) if len(ids) else 1.0
    return MapNeighbors(
        node=node,
        ids=(ids + lo).astype(np.int64),
        cosine=scores.astype(np.float32),
        map_distance=distance[ids].astype(np.float32),
        closer_share=np.asarray(closer_share, dtype=np.float32),
        map_overlap=float(overlap),
    )


def disagreement_note(neighbors: MapNeighbors, kind: str) -> str | None:
    """One sentence when the map misplaces some of the neighbors (``kind``: ``"users"`` or ``"items"``), else None."""
    far = int(neighbors.far.sum())
    if not far:
        return None
    return (
        f"{far} of these {len(neighbors.ids)} nearest {kind} (in the original space) land far away on the map — "
        f"farther from the selected node than at least {FAR_SHARE:.0%} of all {kind}; only "
        f"{neighbors.map_overlap:.0%} of them are among its {len(neighbors.ids)} nearest on the map. The map "
        "squeezes many dimensions into few: trust the table's cosine, not the distance you see."
    )


def search_nodes(graph: InteractionGraph, query: str) -> np.ndarray:
    """Global ids (ascending) of the nodes a search names: a node id (``user:7``, ``item:42`` or a bare ``42``,
    which matches both types) or, case-insensitively, a part of an item's title.

    Args:
        graph (InteractionGraph): The map's dataset.
        query (str): What the user typed; surrounding spaces are ignored, an empty query matches nothing.
    """
    text = str(query).strip()
    if not text:
        return np.zeros(0, dtype=np.int64)
    folded = text.casefold()
    kind, _, raw = folded.partition(":") if folded.startswith(("user:", "item:")) else ("", "", folded)
    raw = raw.strip()
    matches = []
    if kind in ("", "user"):
        user_ids = graph.users["user_id"].astype(str).str.casefold().to_numpy()
        matches.append(np.flatnonzero(user_ids == raw))
    if kind in ("", "item"):
        item_ids = graph.items["item_id"].astype(str).str.casefold().to_numpy()
        found = item_ids == raw
        if not kind and "title" in graph.items.columns:
            titles = graph.items["title"].fillna("").astype(str).str.casefold()
            found |= titles.str.contains(folded, regex=False).to_numpy()
        matches.append(np.flatnonzero(found) + graph.num_users)
    return np.unique(np.concatenate(matches)).astype(np.int64)
