"""Checks shared by the dataset loaders; each failure names the file, the row or column, and the fix."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

# Integer ids are written one way only: "7", never "07", "+7" or a non-ASCII digit, which would silently merge
# two ids that differ as text.
_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_INT64 = np.iinfo(np.int64)
_INT64_RANGE = f"({_INT64.min} to {_INT64.max})"
# A cell that holds one of these is not an id a person typed: a NUL (UTF-16 or binary data read as UTF-8), a tab
# or an escape would make two ids that print alike differ. Line breaks have their own message (an unclosed quote).
_CONTROL = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]")


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


def numeric_column(
    values: pd.Series, column: str, path: Path, first_line: int, dtype: type[np.floating] = np.float64
) -> np.ndarray:
    """Parse a column of numbers; the first blank, NaN, non-numeric or out-of-range cell raises with its row.

    Args:
        values (pd.Series): Raw cells (strings) in file order, indexed by their offset from the first data row
            (a ``RangeIndex`` unless rows were left out).
        column (str): Column name used in the message.
        path (Path): File named in the message.
        first_line (int): 1-based row number of offset 0 (2 when the file has a header).
        dtype (type, optional): Float type the values are stored as; a value beyond its range (or infinite)
            is refused rather than turned into ``inf``. (default: ``np.float64``)
    """
    parsed = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)  # (N,) NaN where not a number
    limit = float(np.finfo(dtype).max)
    not_number = np.isnan(parsed)
    out_of_range = ~not_number & ~(np.abs(parsed) <= limit)
    bad = not_number | out_of_range

    def problem(position: int) -> str:
        if not_number[position]:
            return f": {values.iat[position]!r} is not a number"
        stored = np.dtype(dtype).name
        return f": {values.iat[position]!r} is outside ±{limit:.4g}, the {stored} range {column!r} is stored in"

    refuse_rows(values, bad, path, column, first_line, problem, "fix or delete those rows")
    return parsed.astype(dtype)


def id_column(values: pd.Series, column: str, path: Path, first_line: int) -> pd.Series:
    """Ids as int64 when every cell is an integer (written without ``+`` or leading zeros), else stripped strings.

    Blank cells, ids spanning lines (an unclosed quote) and integers beyond int64 raise with their row (``values``
    as in :func:`numeric_column`).
    """
    stripped = values.astype(str).str.strip()
    blank = ((stripped == "") | values.isna()).to_numpy()
    refuse_rows(
        values, blank, path, column, first_line, lambda _: " is empty", "every interaction needs a user and an item id"
    )
    multiline = stripped.str.contains("[\n\r]").to_numpy()
    refuse_rows(
        values,
        multiline,
        path,
        column,
        first_line,
        lambda position: f": id {stripped.iat[position]!r} spans several lines",
        'a quote (") opened there is never closed and swallowed the rows after it: close or delete it',
    )
    control = stripped.str.contains(_CONTROL).to_numpy()
    refuse_rows(
        values,
        control,
        path,
        column,
        first_line,
        lambda position: (
            f": id {stripped.iat[position]!r} holds the control character "
            f"U+{ord(_CONTROL.search(stripped.iat[position]).group()):04X}"
        ),
        "ids are printable text: delete that character (a NUL often means the file is UTF-16 or binary)",
    )
    if not stripped.str.fullmatch(_INTEGER).all():
        return stripped
    long = (stripped.str.len() >= len(str(_INT64.max))).to_numpy()  # only these can overflow
    too_big = np.zeros(len(stripped), dtype=bool)
    too_big[long] = [not _INT64.min <= int(text) <= _INT64.max for text in stripped[long]]
    refuse_rows(
        values,
        too_big,
        path,
        column,
        first_line,
        lambda position: f": id {stripped.iat[position]} is outside the 64-bit integers {_INT64_RANGE}",
        "shorten those ids, or give every id in the column a letter (u123) so they are read as text",
    )
    return stripped.astype(np.int64)


def refuse_rows(
    values: pd.Series,
    bad: np.ndarray,
    path: Path,
    column: str,
    first_line: int,
    problem: Callable[[int], str],
    fix: str,
) -> None:
    """Raise :class:`DatasetError` naming the first cell where ``bad`` holds; nothing when none does.

    The message reads ``<path>: row R, column 'c'<problem(position)> (N such rows); <fix>``, ``values`` as in
    :func:`numeric_column` and ``bad`` a boolean array aligned with it.
    """
    if not bad.any():
        return
    position = int(np.flatnonzero(bad)[0])
    raise DatasetError(
        f"{path}: row {row_of(values, position, first_line)}, column {column!r}{problem(position)} "
        f"({int(bad.sum())} such rows); {fix}"
    )


def row_of(values: pd.Series, position: int, first_line: int) -> int:
    """The file row of the cell at ``position``: its offset (the index) plus the row number of offset 0."""
    return int(values.index[position]) + first_line


def same_id_type(ids: pd.Series, reference: pd.Series) -> pd.Series:
    """Metadata ids as strings when the interaction ids are strings, so ``"7"`` and ``7`` still join."""
    if reference.dtype != np.int64 and ids.dtype == np.int64:
        return ids.astype(str)
    return ids


def undecodable(path: Path, data: bytes, error: UnicodeDecodeError, fix: str, where: str = "") -> DatasetError:
    """The error for the first byte of ``data`` that does not decode: its line, the byte, and ``fix``."""
    line = data.count(b"\n", 0, error.start) + 1
    byte = data[error.start : error.start + 1]
    return DatasetError(f"{path}: line {line}: byte {byte!r}{where} is not {error.encoding.upper()}; {fix}")
