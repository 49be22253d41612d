"""Generic CSV interactions (``csv:PATH``) with optional sibling ``items.csv`` and ``users.csv``.

Format (header row required, comma-separated, UTF-8):

- interactions file: ``user,item[,rating][,timestamp]`` (``user_id``/``item_id`` also accepted). Ids may be
  integers or strings. ``rating`` is any number; ``timestamp`` is unix seconds or an ISO date/time.
- ``items.csv`` beside it (optional): ``item_id[,title][,genres][,year]``, genres pipe-joined (``Action|Comedy``).
- ``users.csv`` beside it (optional): ``user_id[,age][,gender][,occupation]...``; extra columns are kept.

Every row has as many fields as the header, and no column is named twice (after lower-casing and the aliases).
Ids are int64 when every id in the column is an integer written one way (``7``, not ``07`` or ``+7``), else text.
Ratings must fit float32, timestamps the years 1 to 9999. Duplicate ``(user, item)`` rows keep the latest (by
timestamp, else the last row) and, like blank rows, are counted in the load report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.datasets.csv_table import read_csv_table
from engine.datasets.validation import (
    DatasetError,
    id_column,
    numeric_column,
    refuse_rows,
    require_columns,
    require_rows,
    row_of,
    same_id_type,
)
from engine.graph import InteractionGraph, LoadReport

INTERACTION_COLUMNS = "user,item[,rating][,timestamp]"
_ALIASES = {"user_id": "user", "item_id": "item", "userid": "user", "itemid": "item"}
_HINT = "pass csv:PATH with the path of an interactions CSV (columns " + INTERACTION_COLUMNS + ")"
# Unix seconds of 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC: the years a date has four digits for.
TIMESTAMP_RANGE = (-62_135_596_800, 253_402_300_799)


def load_csv(path: str | Path, name: str | None = None) -> InteractionGraph:
    """Load ``csv:PATH`` as an :class:`InteractionGraph`.

    Args:
        path (str | Path): The interactions CSV; ``items.csv``/``users.csv`` are looked for beside it.
        name (str, optional): Dataset name for the graph. (default: ``"csv:<path>"``)

    Raises:
        DatasetError: Anything in the files that cannot be read as stated above; the message names the file, the
            row and the column.
    """
    path = Path(path).expanduser()
    name = name or f"csv:{path}"
    table = read_csv_table(path, "interactions file", _HINT, aliases=_ALIASES)
    frame = table.frame
    require_columns(frame, ("user", "item"), path, INTERACTION_COLUMNS)
    require_rows(frame, path, "interactions file")

    interactions = pd.DataFrame(
        {"user": id_column(frame["user"], "user", path, 2), "item": id_column(frame["item"], "item", path, 2)}
    )
    if "rating" in frame.columns:
        interactions["rating"] = numeric_column(frame["rating"], "rating", path, 2, dtype=np.float32)
    if "timestamp" in frame.columns:
        interactions["timestamp"] = _timestamps(frame["timestamp"], path)

    report = LoadReport(source=str(path), rows_read=table.rows)
    report.drop("blank rows (skipped)", table.blank_rows)
    items = _metadata(path.with_name("items.csv"), "item_id", interactions["item"], report)
    users = _metadata(path.with_name("users.csv"), "user_id", interactions["user"], report)
    return InteractionGraph.from_frame(interactions, users=users, items=items, name=name, report=report)


def _timestamps(values: pd.Series, path: Path) -> np.ndarray:
    """Unix seconds from numbers or from ISO date/times, as the column's first cell is written, within
    :data:`TIMESTAMP_RANGE`; a cell written otherwise, or out of range, raises naming its row."""
    first = values.iat[0]
    numeric = pd.to_numeric(values, errors="coerce")
    if pd.notna(numeric.iat[0]):
        kind, unreadable = "unix seconds", numeric.isna().to_numpy()
        seconds = numeric.to_numpy(dtype=np.float64)
    else:
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="ISO8601")
        kind, unreadable = "an ISO date/time", parsed.isna().to_numpy()
        seconds = parsed.dt.tz_localize(None).to_numpy().astype("datetime64[s]").astype(np.int64)
    if unreadable[0]:
        raise DatasetError(
            f"{path}: row {row_of(values, 0, 2)}, column 'timestamp': {first!r} is neither unix seconds nor an ISO "
            "date/time; fix that cell or drop the timestamp column"
        )
    refuse_rows(
        values,
        unreadable,
        path,
        "timestamp",
        2,
        lambda position: f": {values.iat[position]!r} is not {kind} like row {row_of(values, 0, 2)} ({first!r})",
        "write every timestamp the same way",
    )
    low, high = TIMESTAMP_RANGE
    outside = ~((seconds >= low) & (seconds <= high))  # NaN-safe: inf falls outside too
    refuse_rows(
        values,
        outside,
        path,
        "timestamp",
        2,
        lambda position: f": {values.iat[position]!r} is outside the years 1 to 9999 (unix seconds {low} to {high})",
        "timestamps are unix seconds or ISO dates (divide milliseconds by 1000)",
    )
    return seconds.astype(np.int64)


def _metadata(path: Path, id_name: str, interaction_ids: pd.Series, report: LoadReport) -> pd.DataFrame | None:
    """An optional metadata table, ids typed like the interaction ids; ``None`` when the file is absent."""
    if not path.exists():
        return None
    hint = f"fix it or delete it (metadata is optional; it needs an {id_name!r} column)"
    read = read_csv_table(path, "metadata file", hint, aliases={id_name.removesuffix("_id"): id_name})
    report.notes.extend(read.blank_note(path))
    table = read.frame
    require_columns(table, (id_name,), path, f"{id_name}[,...]")
    table[id_name] = same_id_type(id_column(table[id_name], id_name, path, 2), interaction_ids)
    for column in table.columns.drop(id_name):
        table[column] = _numeric_if_possible(table[column])
    return table


def _numeric_if_possible(values: pd.Series) -> pd.Series:
    """A metadata column as Int64/float64 when every non-blank cell is a number, else unchanged.

    Int64 only when every number is an integer that float64 holds exactly (|x| <= 2**53), so none is rounded.
    """
    blank = values.str.strip() == ""
    numeric = pd.to_numeric(values.where(~blank), errors="coerce")
    if blank.all() or numeric[~blank].isna().any():
        return values
    is_integer = ((numeric[~blank] % 1 == 0) & (numeric[~blank].abs() <= 2**53)).all()
    return numeric.astype("Int64") if is_integer else numeric.astype(np.float64)
