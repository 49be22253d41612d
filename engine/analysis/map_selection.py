"""What a region of an embedding map holds, and the metadata a map can be coloured by.

A selection (a box or lasso drawn on the map) is summarised against the whole dataset: how many users and items,
their most common genres with *lift* (a genre's share in the selection over its share in the whole set: 2.0 means
twice as common as everywhere), and the items' mean popularity (degree). Genres are the selected items' genres;
a selection of users only is described by the genres of the items they interacted with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.graph import InteractionGraph

TOP_GENRES = 5  # genres listed in a summary
# A number column with at most this many distinct values (taste groups, ratings) is coloured as categories.
MAX_NUMERIC_CATEGORIES = 12
DEGREE = "degree (user activity, item popularity)"
HIDDEN_COLUMNS = {"user_id", "item_id", "title"}  # ids and titles colour nothing: every node has its own


@dataclass(frozen=True)
class SelectionSummary:
    """A selection of map points described against the whole dataset.

    Attributes:
        size (int): Nodes selected.
        users (int): Of them, users.
        items (int): Of them, items.
        genres (pd.DataFrame): ``genre``, ``in selection`` (share), ``overall`` (share), ``lift``: the most common
            genres of the selection, most common first (empty when the dataset has no genres).
        genre_source (str): What the genres were counted over (``"selected items"`` or ``"items these users
            interacted with"``).
        mean_popularity (float | None): Mean degree of the selected items (``None`` without items).
        overall_popularity (float): Mean degree of all items.
    """

    size: int
    users: int
    items: int
    genres: pd.DataFrame
    genre_source: str
    mean_popularity: float | None
    overall_popularity: float


def _genre_shares(genres: pd.Series) -> pd.Series:
    """Share of items (weighted by how often each is listed) carrying each genre."""
    exploded = genres.fillna("").astype(str).str.split("|").explode()
    exploded = exploded[exploded != ""]
    return exploded.value_counts() / max(len(genres), 1)


def summarize_selection(graph: InteractionGraph, nodes: np.ndarray) -> SelectionSummary:
    """Describe the selected ``nodes`` (global ids, users first) against all of ``graph``.

    Args:
        graph (InteractionGraph): The map's dataset.
        nodes (np.ndarray): Selected global ids; repeats are counted once.

    Raises:
        ValueError: An id outside the graph.
    """
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    if len(nodes) and (nodes[0] < 0 or nodes[-1] >= graph.num_nodes):
        raise ValueError(f"selected node ids must be from 0 to {graph.num_nodes - 1} (got {nodes[0]}..{nodes[-1]})")
    users = nodes[nodes < graph.num_users]
    items = nodes[nodes >= graph.num_users] - graph.num_users
    degree = graph.item_degree()
    genres = pd.DataFrame(columns=["genre", "in selection", "overall", "lift"])
    source = "selected items"
    if "genres" in graph.items.columns and (len(items) or len(users)):
        all_genres = graph.items["genres"]
        if len(items):
            counted = items
            overall = _genre_shares(all_genres)
        else:  # users only: what they interacted with, against every interaction
            source = "items these users interacted with"
            counted = graph.item[np.isin(graph.user, users)]
            overall = _genre_shares(all_genres.iloc[graph.item].reset_index(drop=True))
        inside = _genre_shares(all_genres.iloc[counted].reset_index(drop=True)).head(TOP_GENRES)
        genres = pd.DataFrame(
            {
                "genre": inside.index.astype(str),
                "in selection": inside.to_numpy(),
                "overall": overall.reindex(inside.index).to_numpy(),
            }
        )
        genres["lift"] = genres["in selection"] / genres["overall"]
    return SelectionSummary(
        size=len(nodes),
        users=len(users),
        items=len(items),
        genres=genres.reset_index(drop=True),
        genre_source=source,
        mean_popularity=float(degree[items].mean()) if len(items) else None,
        overall_popularity=float(degree.mean()) if len(degree) else 0.0,
    )


def selection_frame(graph: InteractionGraph, nodes: np.ndarray) -> pd.DataFrame:
    """The selected nodes as rows of ``node`` (``user:7``), ``type``, ``id`` (the dataset's raw id) and ``title``
    (items; empty for users): what *Export selection* writes as CSV."""
    nodes = np.unique(np.asarray(nodes, dtype=np.int64))
    is_user = nodes < graph.num_users
    return pd.DataFrame(
        {
            "node": [graph.node_name(int(n)) for n in nodes],
            "type": np.where(is_user, "user", "item"),
            "id": [
                str(graph.users["user_id"].iat[n] if u else graph.items["item_id"].iat[n - graph.num_users])
                for n, u in zip(nodes, is_user, strict=True)
            ],
            "title": [
                "" if u else graph.item_title(int(n) - graph.num_users) for n, u in zip(nodes, is_user, strict=True)
            ],
        }
    )


def metadata_columns(graph: InteractionGraph) -> list[str]:
    """The columns a map can be coloured by: :data:`DEGREE`, then the items' and users' metadata columns
    (``year (items)``, ``occupation (users)``), ids and titles left out."""
    columns = [DEGREE]
    for kind, table in (("items", graph.items), ("users", graph.users)):
        columns += [f"{column} ({kind})" for column in table.columns if column not in HIDDEN_COLUMNS]
    return columns


def metadata_values(graph: InteractionGraph, column: str) -> tuple[np.ndarray, bool]:
    """Every node's value of a :func:`metadata_columns` column (users first) and whether it is numeric.

    Numeric values are float with NaN for the other node type; categories are strings with ``"(none)"`` for it.
    A genre list (``"A|B"``) colours by its first genre.

    Raises:
        ValueError: A column the dataset does not have (the message lists those it has).
    """
    if column == DEGREE:
        return np.concatenate([graph.user_degree(), graph.item_degree()]).astype(np.float64), True
    name, _, kind = column.rpartition(" (")
    kind = kind.rstrip(")")
    table = {"items": graph.items, "users": graph.users}.get(kind)
    if table is None or name not in table.columns or name in HIDDEN_COLUMNS:
        known = ", ".join(metadata_columns(graph))
        raise ValueError(f"the dataset has no column {column!r} to colour by; it has {known}")
    values = table[name]
    if name == "genres":
        values = values.fillna("").astype(str).str.split("|").str[0]
    other = graph.num_items if kind == "users" else graph.num_users
    numeric = pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_NUMERIC_CATEGORIES
    if numeric:
        own, filler = values.to_numpy(dtype=np.float64), np.full(other, np.nan)
    else:
        text = values.astype("string").fillna("(none)").replace("", "(none)")
        own, filler = text.to_numpy(dtype=object), np.full(other, "(none)", dtype=object)
    return (np.concatenate([own, filler]) if kind == "users" else np.concatenate([filler, own])), numeric
