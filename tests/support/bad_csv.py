"""CSV inputs the loader used to misread or crash on, each with the one-line error it must now give.

Shared by the loader and CLI tests and the dashboard's Data page test: the same input, the same message everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ID_RANGE = "(-9223372036854775808 to 9223372036854775807)"
ID_FIX = "shorten those ids, or give every id in the column a letter (u123) so they are read as text"
RATING_RANGE = "is outside ±3.403e+38, the float32 range 'rating' is stored in (1 such rows); fix or delete those rows"
YEARS = (
    "is outside the years 1 to 9999 (unix seconds -62135596800 to 253402300799) (1 such rows); timestamps are unix "
    "seconds or ISO dates (divide milliseconds by 1000)"
)
# Each input was read wrongly, or crashed, before the loader checked it: (interactions.csv, items.csv or None, the
# whole message after "<folder>/"). Every one must stop the load, `stats` and `train` with this one line.
BAD_CSV = [
    pytest.param(
        b"user,item\n1,2,3\n4,5\n",
        None,
        "interactions.csv: row 2, column 3: '1,2,3' has 3 fields but the header user,item has 2; delete the extra "
        "fields, or quote cells that contain a comma (1 such rows)",
        id="extra-field-on-row-2-used-to-shift-every-column",
    ),
    pytest.param(
        b"user,item\n1,2\n4,5,6\n7,8,9\n",
        None,
        "interactions.csv: row 3, column 3: '4,5,6' has 3 fields but the header user,item has 2; delete the extra "
        "fields, or quote cells that contain a comma (2 such rows)",
        id="extra-field-on-a-later-row",
    ),
    pytest.param(
        b"user,item,rating\n1,2,5\n3,4\n",
        None,
        "interactions.csv: row 3, column 3 ('rating'): '3,4' has 2 fields but the header user,item,rating has 3; add "
        "the missing cells, even empty ones (1 such rows)",
        id="missing-field",
    ),
    pytest.param(
        b"user,item\n1,2\n99999999999999999999,2\n",
        None,
        f"interactions.csv: row 3, column 'user': id 99999999999999999999 is outside the 64-bit integers {ID_RANGE} "
        f"(1 such rows); {ID_FIX}",
        id="id-beyond-int64",
    ),
    pytest.param(
        b"user,item\n1,-9223372036854775809\n",
        None,
        f"interactions.csv: row 2, column 'item': id -9223372036854775809 is outside the 64-bit integers {ID_RANGE} "
        f"(1 such rows); {ID_FIX}",
        id="id-below-int64",
    ),
    pytest.param(
        b"user,item,rating\n1,2,4\n1,3,1e308\n",
        None,
        f"interactions.csv: row 3, column 'rating': '1e308' {RATING_RANGE}",
        id="rating-overflowing-float32",
    ),
    pytest.param(
        b"user,item,rating\n1,2,-inf\n",
        None,
        f"interactions.csv: row 2, column 'rating': '-inf' {RATING_RANGE}",
        id="rating-infinite",
    ),
    pytest.param(
        b"user,item,timestamp\n1,2,1e20\n",
        None,
        f"interactions.csv: row 2, column 'timestamp': '1e20' {YEARS}",
        id="timestamp-1e20",
    ),
    pytest.param(
        b"user,item,timestamp\n1,2,100\n1,3,-1e12\n",
        None,
        f"interactions.csv: row 3, column 'timestamp': '-1e12' {YEARS}",
        id="timestamp-before-year-1",
    ),
    pytest.param(
        b"user,item,timestamp\n1,2,1700000000000\n",
        None,
        f"interactions.csv: row 2, column 'timestamp': '1700000000000' {YEARS}",
        id="timestamp-in-milliseconds",
    ),
    pytest.param(
        b"user,item,item\n1,2,3\n",
        None,
        "interactions.csv: row 1, columns 2 and 3: 'item' and 'item' both name column 'item'; rename or delete one "
        "of them",
        id="duplicated-header-column",
    ),
    pytest.param(
        b"user,item,User\n1,2,3\n",
        None,
        "interactions.csv: row 1, columns 1 and 3: 'user' and 'User' both name column 'user'; rename or delete one "
        "of them",
        id="header-column-differing-in-case",
    ),
    pytest.param(
        b"user_id,item,user\n1,2,3\n",
        None,
        "interactions.csv: row 1, columns 1 and 3: 'user_id' and 'user' both name column 'user'; rename or delete "
        "one of them",
        id="header-column-and-its-alias",
    ),
    pytest.param(
        b"user,item,\n1,2,3\n",
        None,
        "interactions.csv: row 1, column 3: the header cell is empty; name that column or delete it from every row",
        id="unnamed-header-column",
    ),
    pytest.param(
        b'user,item\n1,2\n3,"4\n5,6\n',
        None,
        "interactions.csv: row 3, column 'item': id '4\\n5,6' spans several lines (1 such rows); a quote (\") opened "
        "there is never closed and swallowed the rows after it: close or delete it",
        id="unclosed-quote-swallowing-rows",
    ),
    pytest.param(
        b"user,item\n1,\x002\n",
        None,
        "interactions.csv: row 2, column 'item': id '\\x002' holds the control character U+0000 (1 such rows); ids are "
        "printable text: delete that character (a NUL often means the file is UTF-16 or binary)",
        id="nul-inside-an-id-used-to-be-accepted",
    ),
    pytest.param(
        b"user,item\nu1,7\nu\x1b[31m2,8\n",
        None,
        "interactions.csv: row 3, column 'user': id 'u\\x1b[31m2' holds the control character U+001B (1 such rows); "
        "ids are printable text: delete that character (a NUL often means the file is UTF-16 or binary)",
        id="terminal-escape-inside-an-id",
    ),
    pytest.param(
        b"user,item\n1,2\n3,\xff\n",
        None,
        "interactions.csv: line 3: byte b'\\xff' at offset 16 is not UTF-8; save the file as UTF-8",
        id="not-utf8",
    ),
    pytest.param(
        b"\nuser,item\n1,2\n",
        None,
        "interactions.csv: row 1 is blank; the header must be the first row of the interactions file",
        id="blank-row-above-the-header",
    ),
    pytest.param(
        b"user,item\n1,7\n",
        b"item_id,title\n7,Alpha,1999\n",
        "items.csv: row 2, column 3: '7,Alpha,1999' has 3 fields but the header item_id,title has 2; delete the "
        "extra fields, or quote cells that contain a comma (1 such rows)",
        id="metadata-row-with-an-extra-field",
    ),
    pytest.param(
        b"user,item\n1,7\n",
        b"item_id,title,Title\n7,Alpha,Beta\n",
        "items.csv: row 1, columns 2 and 3: 'title' and 'Title' both name column 'title'; rename or delete one of them",
        id="metadata-duplicated-header-column",
    ),
]


def write_bad_dataset(folder: Path, interactions: bytes, items: bytes | None) -> Path:
    """``folder/interactions.csv`` (and ``items.csv`` when given); returns the interactions file."""
    (folder / "interactions.csv").write_bytes(interactions)
    if items is not None:
        (folder / "items.csv").write_bytes(items)
    return folder / "interactions.csv"
