"""Tables the Data page shows, built from engine objects (pure: no Streamlit)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def node_preview(metadata: pd.DataFrame, degree: np.ndarray, id_column: str, query: str) -> pd.DataFrame:
    """Node metadata with an ``interactions`` column, most connected first, filtered by a query.

    Args:
        metadata (pd.DataFrame): One row per internal node id (``graph.items`` or ``graph.users``).
        degree (np.ndarray): Interactions per node, ``(N,)``.
        id_column (str): Raw id column, ``"item_id"`` or ``"user_id"``.
        query (str): Case-insensitive text that the id or the title must contain; empty keeps every row.
    """
    if len(metadata) != len(degree):
        raise ValueError(f"metadata has {len(metadata)} rows but degree has {len(degree)} entries")
    table = metadata.copy()
    table.insert(1, "interactions", np.asarray(degree))
    query = query.strip().lower()
    if query:
        searched = [id_column] + (["title"] if "title" in table.columns else [])
        match = np.zeros(len(table), dtype=bool)
        for column in searched:
            match |= table[column].astype(str).str.lower().str.contains(query, regex=False).to_numpy()
        table = table[match]
    return table.sort_values("interactions", ascending=False, kind="stable").reset_index(drop=True)


def flatten_stats(stats: Mapping, prefix: str = "") -> pd.DataFrame:
    """``dataset_stats`` as a two-column table; nested keys are joined with dots (``user_degree.p50``)."""
    rows: list[tuple[str, str]] = []
    for key, value in stats.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested = flatten_stats(value, f"{name}.")
            rows.extend(zip(nested["statistic"], nested["value"], strict=True))
        else:
            rows.append((name, _format(value)))
    return pd.DataFrame(rows, columns=["statistic", "value"])


def _format(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_format(item) for item in value)
    return str(value)
