"""Checks shared by the dataset loaders; each failure names the file, the row or column, and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

_INTEGER = re.compile(r"^[+-]?\d+$")


class DatasetError(ValueError):
    """A dataset that cannot be found or parsed; the message says what to change."""


def require_file(path: Path, what: str, hint: str) -> Path:
    """Return ``path`` if it is a non-empty file, else raise :class:`DatasetError` saying what to do."""
    if not path.is_file():
        raise DatasetError(f"{path}: {what} not found; {hint}")
    if path.stat().st_size == 0:
        raise DatasetError(f"{path}: {what} is empty (0 bytes); {hint}")
    return path


def require_rows(frame: pd.DataFrame, path: Path, what: str) -> None:
    if frame.empty:
        raise DatasetError(f"{path}: {what} has a header but no data rows; add interactions or pick another file")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], path: Path, expected: str) -> None:
    """Raise if any of ``columns`` is missing, listing the columns that were found."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DatasetError(
            f"{path}: missing required column {', '.join(repr(c) for c in missing)} (found: {found}); "
            f"the file must have columns {expected}"
        )


def numeric_column(values: pd.Series, column: str, path: Path, first_line: int) -> np.ndarray:
    """Parse a column as float64; the first blank, NaN or non-numeric cell raises with its line number.

    Args:
        values (pd.Series): Raw cells (strings) in file order, positionally indexed.
        column (str): Column name used in the message.
        path (Path): File named in the message.
        first_line (int): 1-based line number of the first data row (2 when the file has a header).
    """
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(parsed)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DatasetError(
            f"{path}: row {row + first_line}, column {column!r}: {values.iat[row]!r} is not a number "
            f"({int(bad.sum())} such rows); fix or delete those rows"
        )
    return parsed


def id_column(values: pd.Series, column: str, path: Path, first_line: int) -> pd.Series:
    """Ids as int64 when every cell is an integer, else as stripped strings; blank cells raise."""
    stripped = values.astype(str).str.strip()
    blank = (stripped == "") | values.isna().to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank.to_numpy())[0])
        raise DatasetError(
            f"{path}: row {row + first_line}, column {column!r} is empty ({int(blank.sum())} such rows); "
            "every interaction needs a user and an item id"
        )
    if stripped.str.match(_INTEGER).all():
        return stripped.astype(np.int64)
    return stripped


def same_id_type(ids: pd.Series, reference: pd.Series) -> pd.Series:
    """Metadata ids as strings when the interaction ids are strings, so ``"7"`` and ``7`` still join."""
    if reference.dtype != np.int64 and ids.dtype == np.int64:
        return ids.astype(str)
    return ids
