"""A fast reader for the all-numeric ratings files of the large MovieLens releases (10M to 32M rows).

The checked readers (:func:`engine.datasets.csv_table.read_csv_table`, ``movielens._read_headerless``) hold every
cell as a Python string so that a bad cell can be named by row and column; on 32M ratings that is tens of gigabytes.
This reader parses the four columns straight into int64/float32 arrays with pyarrow and returns ``None`` whenever the
file is not plainly numeric (a header where none belongs, a blank or non-numeric cell, NaN, a fifth field, ...):
the caller then reads the file with the checked reader, whose message names the row. A clean file therefore loads
fast, and a damaged one fails with the same message as before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

COLUMNS = ("user", "item", "rating", "timestamp")
_TYPES = {"user": pa.int64(), "item": pa.int64(), "rating": pa.float64(), "timestamp": pa.int64()}
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_numeric_ratings(path: Path, separator: str, header: tuple[str, ...] | None = None) -> pd.DataFrame | None:
    """``user, item, rating, timestamp`` of a MovieLens ratings file, or ``None`` when it needs the checked reader.

    Args:
        path (Path): ``ratings.dat`` or ``ratings.csv``.
        separator (str): ``"::"`` (10M) or ``","`` (20M, 25M, 32M).
        header (tuple[str, ...], optional): The lower-cased header the file must start with, e.g.
            ``("userid", "movieid", "rating", "timestamp")``; ``None`` for a headerless file. (default: ``None``)

    Returns:
        A frame with int64 ``user``, ``item`` and ``timestamp`` and float32 ``rating`` columns, in file order.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return None
    if header is not None:
        with path.open("rb") as file:
            first = file.readline().decode("utf-8-sig", errors="replace")
        if tuple(cell.strip().strip('"').strip().lower() for cell in first.split(separator)) != header:
            return None
    # pyarrow splits on one character: "a::b" is read on ":" as the fields a, "", b, and the empty ones must stay so.
    doubled = separator == "::"
    names = [f"{name}{gap}" for name in COLUMNS for gap in ("", "_gap")][:-1] if doubled else list(COLUMNS)
    types = {name: _TYPES.get(name, pa.string()) for name in names}
    try:
        table = pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=0 if header is None else 1),
            parse_options=pa_csv.ParseOptions(delimiter=":" if doubled else separator, quote_char=False),
            convert_options=pa_csv.ConvertOptions(column_types=types, null_values=[], strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError):
        return None
    if table.num_rows == 0 or any(table.column(name).null_count for name in COLUMNS):
        return None
    if any(pc.max(pc.binary_length(table.column(name))).as_py() for name in names if name.endswith("_gap")):
        return None  # a single ':' inside a line shifted its fields
    rating = table.column("rating").to_numpy()  # (N,) float64
    if not (np.abs(rating) <= _FLOAT32_MAX).all():  # NaN, infinity or beyond float32: the checked reader says which
        return None
    return pd.DataFrame(
        {
            "user": table.column("user").to_numpy(),
            "item": table.column("item").to_numpy(),
            "rating": rating.astype(np.float32),
            "timestamp": table.column("timestamp").to_numpy(),
        }
    )
