"""Read a headed CSV file as strings, every row numbered as in the file, refusing rows that do not fit the header.

pandas' reader pads a short row with empty cells, and when the first data row has one field more than the header it
silently makes the first column the index, so every column shifts (users become items). pyarrow's reader counts each
row's fields against the header and hands back the number of every row that does not fit, so the message can name it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from engine.datasets.validation import DatasetError, require_file, undecodable

SHOWN_CHARS = 60  # of an offending row, quoted in the message


@dataclass(frozen=True)
class CsvTable:
    """A headed CSV file read as strings."""

    frame: pd.DataFrame  # one str column per header name; index: the row's number in the file minus 2
    rows: int  # data rows in the file (the header excluded), blank ones included
    blank_rows: int  # rows whose every cell is empty, left out of ``frame``

    def blank_note(self, path: Path) -> list[str]:
        """The load-report note for the blank rows of a metadata file (none when there were none)."""
        return [f"{self.blank_rows} blank rows in {path.name} skipped"] if self.blank_rows else []


def read_csv_table(path: Path, what: str, hint: str, aliases: Mapping[str, str] | None = None) -> CsvTable:
    """Read a comma-separated UTF-8 file whose row 1 is the header; every cell becomes a stripped string.

    Header names are stripped, lower-cased and renamed by ``aliases``. The frame's index is each row's number in
    the file minus 2 (row 2 is the first data row), so the checks of :mod:`engine.datasets.validation` name the
    file's own rows even after blank rows are left out.

    Args:
        path (Path): The file.
        what (str): What the file is, for messages (``"interactions file"``).
        hint (str): What to do when the file is missing or empty.
        aliases (Mapping[str, str], optional): Lower-cased header name -> column name. (default: none)

    Raises:
        DatasetError: A missing or empty file, bytes that are not UTF-8, a blank or repeated header name, a row
            with more or fewer fields than the header, or quoting that cannot be parsed; the message names the row.
    """
    require_file(path, what, hint)
    data = path.read_bytes()
    _check_utf8(path, data)
    header = _header(path, data, what, hint)
    names = [(aliases or {}).get(name, name) for name in (cell.strip().lower() for cell in header)]
    _check_names(path, header, names)
    misfits: list[tuple[int | None, int, str]] = []  # (row number, fields, text) of rows that do not fit

    def misfit(row: pa_csv.InvalidRow) -> str:
        misfits.append((row.number, row.actual_columns, row.text))
        return "skip"

    try:
        table = pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),  # one thread numbers every row
            parse_options=pa_csv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=misfit
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as error:
        raise DatasetError(
            f"{path}: cannot parse {what} ({' '.join(str(error).split())}); check the delimiter and quoting"
        ) from None
    if misfits:
        raise _misfit_error(path, header, misfits)
    frame = table.to_pandas().iloc[1:].reset_index(drop=True)  # row 1 is the header
    for name in names:
        frame[name] = frame[name].str.strip()
    blank = (frame == "").all(axis=1)
    return CsvTable(frame[~blank], rows=len(frame), blank_rows=int(blank.sum()))


def _check_utf8(path: Path, data: bytes) -> None:
    """Raise naming the line and byte offset of the first byte that is not UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise undecodable(path, data, error, "save the file as UTF-8", f" at offset {error.start}") from None


def _header(path: Path, data: bytes, what: str, hint: str) -> list[str]:
    """The cells of row 1; a file of blank lines is empty, a blank row 1 above data is refused."""
    rows = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    try:
        header = next(rows, [])
        if any(cell.strip() for cell in header):
            return header
        if any(any(cell.strip() for cell in row) for row in rows):
            raise DatasetError(f"{path}: row 1 is blank; the header must be the first row of the {what}")
    except csv.Error as error:
        raise DatasetError(f"{path}: cannot parse {what} ({error}); check the delimiter and quoting") from None
    raise DatasetError(f"{path}: {what} is empty; {hint}")


def _check_names(path: Path, header: list[str], names: list[str]) -> None:
    """Every column named, and no name twice (``User`` and ``user``, or ``user`` and its alias ``user_id``)."""
    first_seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            raise DatasetError(
                f"{path}: row 1, column {index + 1}: the header cell is empty; name that column or delete it from "
                "every row"
            )
        if name in first_seen:
            earlier = first_seen[name]
            raise DatasetError(
                f"{path}: row 1, columns {earlier + 1} and {index + 1}: {header[earlier].strip()!r} and "
                f"{header[index].strip()!r} both name column {name!r}; rename or delete one of them"
            )
        first_seen[name] = index


def _misfit_error(path: Path, header: list[str], misfits: list[tuple[int | None, int, str]]) -> DatasetError:
    number, fields, text = misfits[0]
    expected = len(header)
    row = f"row {number}" if number is not None else "a row"
    shown = text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
    names = ",".join(cell.strip() for cell in header)
    if fields > expected:
        where = f"{row}, column {expected + 1}"
        fix = "delete the extra fields, or quote cells that contain a comma"
    else:
        where = f"{row}, column {fields + 1} ({header[fields].strip()!r})"
        fix = "add the missing cells, even empty ones"
    return DatasetError(
        f"{path}: {where}: {shown!r} has {fields} fields but the header {names} has {expected}; {fix} "
        f"({len(misfits)} such rows)"
    )
