"""Numeric node features from metadata, for inductive models (GraphSAGE, PinSage).

Item features: a constant 1, genre multi-hot, release year scaled to [0, 1] plus a "year missing" flag.
User features: a constant 1, age scaled to [0, 1] plus a missing flag, gender and occupation one-hot.
Only metadata is used, never degrees or interactions, so features cannot leak held-out edges; the synthetic
``taste_group`` column is left out on purpose because it is the planted answer. The constant column keeps
the matrix at least one wide for datasets without metadata.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.graph import InteractionGraph


def item_features(graph: InteractionGraph) -> np.ndarray:
    """Item feature matrix, ``(I, F)`` float32: bias, genre multi-hot (genres sorted), year and year missing."""
    items = graph.items
    blocks = [np.ones((graph.num_items, 1), dtype=np.float32)]
    if "genres" in items.columns:
        genres = items["genres"].fillna("").astype(str).str.get_dummies(sep="|")  # (I, G)
        genres = genres.drop(columns=[column for column in genres.columns if not column.strip()])
        blocks.append(genres.to_numpy(dtype=np.float32))
    if "year" in items.columns:
        blocks += _scaled_with_flag(items["year"])
    return np.concatenate(blocks, axis=1)


def user_features(graph: InteractionGraph) -> np.ndarray:
    """User feature matrix, ``(U, F')`` float32: bias, age and age missing, gender and occupation one-hot (sorted)."""
    users = graph.users
    blocks = [np.ones((graph.num_users, 1), dtype=np.float32)]
    if "age" in users.columns:
        blocks += _scaled_with_flag(users["age"])
    for column in ("gender", "occupation"):
        if column in users.columns:
            blocks.append(pd.get_dummies(users[column].astype("string"), dtype=np.float32).to_numpy())  # (U, C)
    return np.concatenate(blocks, axis=1)


def _scaled_with_flag(values: pd.Series) -> list[np.ndarray]:
    """Min-max scaled column (missing -> 0) and a missing flag, both ``(N, 1)`` float32."""
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numeric)
    low, high = (np.nanmin(numeric), np.nanmax(numeric)) if (~missing).any() else (0.0, 0.0)
    scaled = np.where(missing, 0.0, (numeric - low) / (high - low)) if high > low else np.zeros_like(numeric)
    return [scaled[:, None].astype(np.float32), missing[:, None].astype(np.float32)]
