"""Generic CSV interactions (``csv:PATH``) with optional sibling ``items.csv`` and ``users.csv``.

Format (header row required, comma-separated, UTF-8):

- interactions file: ``user,item[,rating][,timestamp]`` (``user_id``/``item_id`` also accepted). Ids may be
  integers or strings. ``rating`` is any number; ``timestamp`` is unix seconds or an ISO date/time.
- ``items.csv`` beside it (optional): ``item_id[,title][,genres][,year]``, genres pipe-joined (``Action|Comedy``).
- ``users.csv`` beside it (optional): ``user_id[,age][,gender][,occupation]...``; extra columns are kept.

Duplicate ``(user, item)`` rows keep the latest (by timestamp, else the last row) and are counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.datasets.validation import (
    DatasetError,
    id_column,
    numeric_column,
    require_columns,
    require_file,
    require_rows,
    same_id_type,
)
from engine.graph import InteractionGraph, LoadReport

INTERACTION_COLUMNS = "user,item[,rating][,timestamp]"
_ALIASES = {"user_id": "user", "item_id": "item", "userid": "user", "itemid": "item"}
_HINT = "pass csv:PATH with the path of an interactions CSV (columns " + INTERACTION_COLUMNS + ")"


def read_csv_table(path: Path, what: str, hint: str) -> pd.DataFrame:
    """Read a headed CSV as strings with lower-cased, stripped column names."""
    require_file(path, what, hint)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError as error:
        raise DatasetError(f"{path}: {what} is empty; {hint}") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: cannot parse {what} ({error}); check the delimiter and quoting") from error
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    return frame


def load_csv(path: str | Path, name: str | None = None) -> InteractionGraph:
    """Load ``csv:PATH`` as an :class:`InteractionGraph`.

    Args:
        path (str | Path): The interactions CSV; ``items.csv``/``users.csv`` are looked for beside it.
        name (str, optional): Dataset name for the graph. (default: ``"csv:<path>"``)
    """
    path = Path(path).expanduser()
    name = name or f"csv:{path}"
    frame = read_csv_table(path, "interactions file", _HINT).rename(columns=_ALIASES)
    require_columns(frame, ("user", "item"), path, INTERACTION_COLUMNS)
    require_rows(frame, path, "interactions file")

    interactions = pd.DataFrame(
        {"user": id_column(frame["user"], "user", path, 2), "item": id_column(frame["item"], "item", path, 2)}
    )
    if "rating" in frame.columns:
        interactions["rating"] = numeric_column(frame["rating"], "rating", path, 2).astype(np.float32)
    if "timestamp" in frame.columns:
        interactions["timestamp"] = _timestamps(frame["timestamp"], path)

    items = _metadata(path.with_name("items.csv"), "item_id", interactions["item"])
    users = _metadata(path.with_name("users.csv"), "user_id", interactions["user"])
    report = LoadReport(source=str(path), rows_read=len(frame))
    return InteractionGraph.from_frame(interactions, users=users, items=items, name=name, report=report)


def _timestamps(values: pd.Series, path: Path) -> np.ndarray:
    """Unix seconds from integers or ISO date/time strings; an unparseable cell raises with its row."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return numeric.to_numpy(dtype=np.float64).astype(np.int64)
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DatasetError(
            f"{path}: row {row + 2}, column 'timestamp': {values.iat[row]!r} is neither unix seconds nor an "
            "ISO date/time; fix that cell or drop the timestamp column"
        )
    return ((parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)


def _metadata(path: Path, id_name: str, interaction_ids: pd.Series) -> pd.DataFrame | None:
    """An optional metadata table, ids typed like the interaction ids; ``None`` when the file is absent."""
    if not path.exists():
        return None
    hint = f"fix it or delete it (metadata is optional; it needs an {id_name!r} column)"
    table = read_csv_table(path, "metadata file", hint).rename(columns={id_name.removesuffix("_id"): id_name})
    require_columns(table, (id_name,), path, f"{id_name}[,...]")
    table[id_name] = same_id_type(id_column(table[id_name], id_name, path, 2), interaction_ids)
    for column in table.columns.drop(id_name):
        table[column] = _numeric_if_possible(table[column])
    return table


def _numeric_if_possible(values: pd.Series) -> pd.Series:
    """A metadata column as Int64/float64 when every non-blank cell is a number, else unchanged."""
    blank = values.str.strip() == ""
    numeric = pd.to_numeric(values.where(~blank), errors="coerce")
    if blank.all() or numeric[~blank].isna().any():
        return values
    is_integer = (numeric[~blank] % 1 == 0).all()
    return numeric.astype("Int64") if is_integer else numeric.astype(np.float64)
