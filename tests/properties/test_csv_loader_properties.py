"""Property-based tests of ``csv:PATH`` (Hypothesis): no input gives a traceback, nothing shifts or vanishes uncounted.

Three families of files: anything at all (random headers, ragged rows, quotes, line breaks, unicode, empty cells,
raw bytes), which must load or raise the loader's own :class:`DatasetError`; well-formed files, whose every
(user, item, rating, timestamp) must come back exactly, duplicates counted; and numbers at the edges of their types,
which must load exactly or be refused naming the first offending row and column.
"""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.datasets import DatasetError, load_csv

INT64 = np.iinfo(np.int64)
FLOAT32_MAX = float(np.finfo(np.float32).max)
TIMESTAMP_RANGE = (  # unix seconds of the years 1 to 9999, the timestamps the format allows
    int(datetime(1, 1, 1, tzinfo=timezone.utc).timestamp()),
    int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp()),
)
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cells = st.text(st.characters(codec="utf-8"), max_size=8)  # any unicode: commas, quotes, line breaks, blanks
header_names = st.sampled_from(["user", "item", "rating", "timestamp", "user_id", "Item", "title", "", " x "])
numbers_at_edges = st.one_of(
    st.integers(INT64.min - 2, INT64.max + 2).map(str),
    st.floats().map(repr),  # nan, inf, huge, subnormal
    st.sampled_from(["1e308", "-1e39", "3.4028235e38", "1e20", "-1e12", "253402300800", "0x10", "1_000", "+7", "07"]),
)
# Well-formed ids hold no C0 control character and no DEL: those are refused with their row (a NUL, an escape).
CONTROL = "".join(map(chr, range(0x20))) + "\x7f"
text_ids = st.text(st.characters(codec="utf-8", exclude_characters=CONTROL), min_size=1, max_size=6).filter(
    lambda text: text == text.strip()
)
# Ids that differ only as text must stay distinct: "7", "07", "+7" and an Arabic-Indic "٣" are four users.
look_alike_ids = st.sampled_from(["7", "07", "+7", "0", "-0", "3", "\u0663", "1e3", "nan", "9223372036854775807"])
ids = st.one_of(st.integers(INT64.min, INT64.max).map(str), look_alike_ids, text_ids)


def write_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


@st.composite
def any_file(draw) -> bytes:
    """A header of likely and unlikely names, then rows of any length, joined raw or quoted by csv.writer."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=80))
    header = draw(st.lists(header_names, min_size=1, max_size=5))
    rows = draw(st.lists(st.lists(st.one_of(cells, numbers_at_edges), max_size=6), max_size=8))
    if draw(st.booleans()):
        return write_csv([header, *rows])
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join(",".join(row) for row in [header, *rows]).encode("utf-8")


def load(folder: Path, interactions: bytes, items: bytes | None = None):
    (folder / "interactions.csv").write_bytes(interactions)
    if items is not None:
        (folder / "items.csv").write_bytes(items)
    return load_csv(folder / "interactions.csv")


@PROPERTY_SETTINGS
@given(interactions=any_file(), items=st.none() | any_file())
def test_any_input_loads_or_raises_the_loaders_own_error(interactions, items):
    with tempfile.TemporaryDirectory() as folder:
        try:
            graph = load(Path(folder), interactions, items)
        except DatasetError as error:
            assert "\n" not in str(error).removeprefix(folder)  # one line, whatever the cell held
            return
    report = graph.report
    assert report.rows_read == graph.num_edges + report.rows_dropped  # every row kept or counted as dropped


@st.composite
def well_formed_rows(draw) -> list[tuple[str, str, float, int]]:
    """(user, item, rating, timestamp) rows with ids of any kind and values inside their types' ranges."""
    users = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    items = draw(st.lists(ids, min_size=1, max_size=5, unique=True))
    row = st.tuples(
        st.sampled_from(users),
        st.sampled_from(items),
        st.floats(width=32, allow_nan=False, allow_infinity=False),
        st.integers(*TIMESTAMP_RANGE),
    )
    return draw(st.lists(row, min_size=1, max_size=25))


@PROPERTY_SETTINGS
@given(rows=well_formed_rows(), padding=st.sampled_from(["", " ", "  "]))
def test_well_formed_rows_come_back_exactly_with_duplicates_counted(rows, padding):
    text = write_csv(
        [["user", "item", "rating", "timestamp"]] + [[padding + u, i, repr(r), str(t)] for u, i, r, t in rows]
    )
    with tempfile.TemporaryDirectory() as folder:
        graph = load(Path(folder), text)
    latest = {}  # (user, item) -> (rating, timestamp) of its latest row; among equal timestamps the last one
    for _, (user, item, rating, timestamp) in sorted(enumerate(rows), key=lambda pair: (pair[1][3], pair[0])):
        latest[user, item] = (np.float32(rating), timestamp)
    user_ids = graph.users["user_id"].astype(str).to_numpy()
    item_ids = graph.items["item_id"].astype(str).to_numpy()
    loaded = {
        (user_ids[u], item_ids[i]): (r, t)
        for u, i, r, t in zip(graph.user, graph.item, graph.ratings, graph.timestamps, strict=True)
    }
    assert loaded == latest
    assert graph.num_users == len({user for user, _ in latest})  # no two ids merged into one user
    duplicates = len(rows) - len(latest)
    assert graph.report.rows_read == len(rows)
    assert graph.report.dropped == ({"duplicate (user, item) rows (kept the latest)": duplicates} if duplicates else {})


@PROPERTY_SETTINGS
@given(rows=well_formed_rows(), spot=st.integers(0, 24), change=st.sampled_from(["extra", "missing"]))
def test_a_row_with_an_extra_or_missing_field_is_refused_by_number(rows, spot, change):
    table = [[u, i, repr(r), str(t)] for u, i, r, t in rows]
    position = spot % len(table)
    table[position] = table[position] + ["surplus"] if change == "extra" else table[position][:-1]
    with tempfile.TemporaryDirectory() as folder:
        with pytest.raises(DatasetError) as caught:
            load(Path(folder), write_csv([["user", "item", "rating", "timestamp"], *table]))
    fields, column = (5, 5) if change == "extra" else (3, 4)
    assert f"row {position + 2}, column {column}" in str(caught.value)
    assert f"has {fields} fields but the header user,item,rating,timestamp has 4" in str(caught.value)


def as_number(cell: str) -> float | None:
    """What the CSV format calls a number: Python's float syntax without digit-group underscores; NaN is none."""
    try:
        value = float(cell) if "_" not in cell else None
    except ValueError:
        return None
    return None if value is None or np.isnan(value) else value


def first(flags: list[bool]) -> int | None:
    return flags.index(True) if True in flags else None


@PROPERTY_SETTINGS
@given(cells=st.lists(st.tuples(numbers_at_edges, numbers_at_edges), min_size=1, max_size=6))
def test_numbers_at_the_edges_load_exactly_or_name_the_first_bad_cell(cells):
    """Ratings are checked before timestamps; a timestamp that is not a number is named before one out of range."""
    rows = [[f"u{k}", f"i{k}", rating, timestamp] for k, (rating, timestamp) in enumerate(cells)]
    with tempfile.TemporaryDirectory() as folder:
        try:
            graph = load(Path(folder), write_csv([["user", "item", "rating", "timestamp"], *rows]))
        except DatasetError as error:
            message = str(error)
        else:
            message = None
    ratings = [as_number(rating) for rating, _ in cells]
    seconds = [as_number(timestamp) for _, timestamp in cells]
    low, high = TIMESTAMP_RANGE
    expected = [
        ("rating", first([value is None or abs(value) > FLOAT32_MAX for value in ratings])),
        ("timestamp", first([value is None for value in seconds])),
        ("timestamp", first([value is not None and not low <= value <= high for value in seconds])),
    ]
    for column, row in expected:
        if row is not None:
            assert message is not None and f"row {row + 2}, column {column!r}" in message, message
            return
    assert message is None
    order = np.argsort(graph.users["user_id"].to_numpy()[graph.user])  # u0, u1, ... as written
    assert graph.ratings[order].tolist() == [float(np.float32(value)) for value in ratings]
    assert graph.timestamps[order].tolist() == [int(value) for value in seconds]
