"""``csv:PATH``: string ids, sibling metadata, timestamps, duplicates, and every bad input named precisely."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from engine.cli import main
from engine.datasets import DatasetError, load_csv, load_dataset
from tests.support.bad_csv import BAD_CSV, write_bad_dataset


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_string_ids_ratings_and_unix_timestamps(tmp_path):
    path = _write(
        tmp_path / "log.csv", "user,item,rating,timestamp\nalice,book-1,5,100\nbob,book-2,3,200\nalice,book-2,4,300\n"
    )
    graph = load_csv(path)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (2, 2, 3)
    assert graph.node_name(graph.node_id("user:alice")) == "user:alice"
    assert graph.node_id("item:book-2") == 2 + 1
    assert graph.ratings.dtype == np.float32 and graph.timestamps.tolist() == [100, 300, 200]
    assert graph.name == f"csv:{path}"


def test_integer_ids_stay_integers_and_columns_may_be_named_with_id_suffix(tmp_path):
    path = _write(tmp_path / "log.csv", "user_id,item_id\n10,7\n2,7\n10,3\n")
    graph = load_csv(path)
    assert graph.users["user_id"].tolist() == [2, 10]  # numeric order, not "10" < "2"
    assert graph.ratings is None and graph.timestamps is None


def test_iso_timestamps_are_converted_to_unix_seconds(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item,timestamp\n1,1,2020-01-01T00:00:00Z\n1,2,2020-01-02\n")
    assert load_csv(path).timestamps.tolist() == [1_577_836_800, 1_577_923_200]


def test_sibling_items_and_users_tables_become_metadata(tmp_path):
    path = _write(tmp_path / "interactions.csv", "user,item\nu1,7\nu2,8\n")
    _write(
        tmp_path / "items.csv", "item_id,title,genres,year\n7,Alpha,Action|Drama,1999\n8,Beta,,\n9,Unused,Comedy,2001\n"
    )
    _write(tmp_path / "users.csv", "user_id,age,occupation\nu1,31,writer\nu2,45,artist\n")
    graph = load_csv(path)
    assert graph.item_title(0) == "Alpha" and graph.items["year"].iloc[0] == 1999
    assert graph.items["year"].isna().iloc[1]
    assert graph.users["age"].tolist() == [31, 45] and graph.users["occupation"].tolist() == ["writer", "artist"]
    assert "1 items in the metadata have no interactions (left out)" in graph.report.notes


def test_duplicates_keep_the_latest_by_timestamp_and_are_counted(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item,rating,timestamp\n1,1,5,300\n1,1,2,100\n2,1,4,50\n1,1,3,200\n")
    graph = load_csv(path)
    assert graph.num_edges == 2 and graph.ratings[0] == 5.0
    assert graph.report.dropped == {"duplicate (user, item) rows (kept the latest)": 2}
    assert graph.report.rows_read == 4


def test_duplicates_without_timestamps_keep_the_last_row(tmp_path):
    graph = load_csv(_write(tmp_path / "log.csv", "user,item,rating\n1,1,5\n1,1,2\n"))
    assert graph.ratings.tolist() == [2.0] and graph.report.rows_dropped == 1


def test_load_dataset_accepts_csv_prefix_and_reloads_an_edited_file(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item\n1,1\n")
    assert load_dataset(f"csv:{path}").num_edges == 1
    _write(path, "user,item\n1,1\n1,2\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    assert load_dataset(f"csv:{path}").num_edges == 2


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DatasetError, match=rf"{re.escape(str(missing))}: interactions file not found; pass csv:PATH"):
        load_dataset(f"csv:{missing}")


def test_csv_prefix_without_a_path_is_refused():
    with pytest.raises(DatasetError, match="csv: needs a path"):
        load_dataset("csv:")


@pytest.mark.parametrize("header", ["user,rating\n1,5\n", "item,rating\n1,5\n"])
def test_missing_required_column_lists_what_was_found(tmp_path, header):
    path = _write(tmp_path / "log.csv", header)
    missing = "item" if header.startswith("user") else "user"
    with pytest.raises(DatasetError, match=rf"log\.csv: missing required column '{missing}' \(found: .*rating\)"):
        load_csv(path)


@pytest.mark.parametrize(
    ("text", "message"), [("", "empty \\(0 bytes\\)"), ("\n\n", "is empty"), ("user,item\n", "no data rows")]
)
def test_empty_file_is_refused(tmp_path, text, message):
    with pytest.raises(DatasetError, match=rf"log\.csv: .*{message}"):
        load_csv(_write(tmp_path / "log.csv", text))


@pytest.mark.parametrize(("cell", "shown"), [("NaN", "'NaN'"), ("", "''"), ("good", "'good'")])
def test_nan_or_non_numeric_rating_names_row_and_column(tmp_path, cell, shown):
    path = _write(tmp_path / "log.csv", f"user,item,rating\n1,1,4\n1,2,{cell}\n")
    with pytest.raises(
        DatasetError, match=rf"log\.csv: row 3, column 'rating': {shown} is not a number \(1 such rows\)"
    ):
        load_csv(path)


def test_blank_id_names_row_and_column(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item\n1,1\n,2\n")
    with pytest.raises(DatasetError, match=r"log\.csv: row 3, column 'user' is empty"):
        load_csv(path)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["yesterday", "2020-01-01"], "row 2, column 'timestamp': 'yesterday' is neither unix seconds nor an ISO"),
        (["2020-01-01", "yesterday"], "row 3, column 'timestamp': 'yesterday' is not an ISO date/time like row 2"),
        (["100", "nan"], "row 3, column 'timestamp': 'nan' is not unix seconds like row 2 \\('100'\\)"),
        (["100", "2020-01-01"], "row 3, column 'timestamp': '2020-01-01' is not unix seconds like row 2"),
    ],
    ids=["first-cell-neither", "iso-column-with-a-word", "seconds-column-with-nan", "seconds-column-with-a-date"],
)
def test_unparseable_timestamp_names_row(tmp_path, cells, message):
    path = _write(tmp_path / "log.csv", "user,item,timestamp\n" + "".join(f"1,{i},{c}\n" for i, c in enumerate(cells)))
    with pytest.raises(DatasetError, match=rf"log\.csv: {message}"):
        load_csv(path)


def test_metadata_without_its_id_column_is_named(tmp_path):
    path = _write(tmp_path / "interactions.csv", "user,item\n1,1\n")
    _write(tmp_path / "items.csv", "movie,title\n1,Alpha\n")
    with pytest.raises(DatasetError, match=r"items\.csv: missing required column 'item_id'"):
        load_csv(path)


def test_editing_a_sibling_metadata_file_is_picked_up(tmp_path):
    path = _write(tmp_path / "interactions.csv", "user,item\n1,1\n")
    _write(tmp_path / "items.csv", "item_id,title\n1,Old\n")
    assert load_dataset(f"csv:{path}").item_title(0) == "Old"
    items = _write(tmp_path / "items.csv", "item_id,title\n1,New\n")
    os.utime(items, ns=(items.stat().st_atime_ns, items.stat().st_mtime_ns + 1_000_000_000))
    assert load_dataset(f"csv:{path}").item_title(0) == "New"


@pytest.mark.parametrize(("interactions", "items", "message"), BAD_CSV)
def test_bad_input_stops_the_load_naming_file_row_and_column(tmp_path, interactions, items, message):
    with pytest.raises(DatasetError) as caught:
        load_csv(write_bad_dataset(tmp_path, interactions, items))
    assert str(caught.value) == f"{tmp_path}/{message}"


@pytest.mark.parametrize(("interactions", "items", "message"), BAD_CSV)
def test_bad_input_makes_stats_print_one_error_line_and_exit_2(tmp_path, capsys, interactions, items, message):
    path = write_bad_dataset(tmp_path, interactions, items)
    assert main(["stats", "--dataset", f"csv:{path}"]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"error: {tmp_path}/{message}\n"
    assert captured.out == ""  # nothing half-printed before the error


@pytest.mark.parametrize(("interactions", "items", "message"), BAD_CSV)
def test_bad_input_stops_training_before_a_run_folder_exists(tmp_path, capsys, interactions, items, message):
    path = write_bad_dataset(tmp_path, interactions, items)
    runs = tmp_path / "runs"
    assert main(["train", "--dataset", f"csv:{path}", "--runs-dir", str(runs), "--epochs", "1", "--quiet"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}/{message}\n"
    assert not runs.exists()


def test_blank_rows_are_skipped_and_counted(tmp_path):
    graph = load_csv(_write(tmp_path / "log.csv", "user,item\n1,2\n\n , \n3,4\n"))
    assert graph.num_edges == 2
    assert graph.report.rows_read == 4 and graph.report.dropped == {"blank rows (skipped)": 2}


def test_rows_after_blank_rows_keep_their_own_row_number(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item,rating\n1,2,5\n\n\n3,4,high\n")
    with pytest.raises(DatasetError, match=r"log\.csv: row 5, column 'rating': 'high' is not a number"):
        load_csv(path)


def test_repeated_metadata_ids_keep_the_last_row_and_are_noted(tmp_path):
    path = _write(tmp_path / "interactions.csv", "user,item\n1,7\n")
    _write(tmp_path / "items.csv", "item_id,title\n7,Old\n\n7,New\n")
    graph = load_csv(path)
    assert graph.item_title(0) == "New"
    assert graph.report.notes == [
        "1 blank rows in items.csv skipped",
        "1 item metadata rows repeat an earlier item_id (kept the last)",
    ]


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        (["7", "07"], object),
        (["7", "+7"], object),
        (["3", "\u0663"], object),
        (["0", "-0"], object),
        (["7", "-7"], np.int64),
    ],
    ids=["leading-zero", "plus-sign", "arabic-indic-digit", "minus-zero", "two-integers"],
)
def test_ids_that_differ_as_text_stay_distinct_users(tmp_path, ids, kind):
    path = _write(tmp_path / "log.csv", "user,item\n" + "".join(f"{user},1\n" for user in ids))
    graph = load_csv(path)
    assert graph.num_users == 2
    assert (graph.users["user_id"].dtype == np.int64) == (kind is np.int64)


def test_values_at_the_edges_of_their_ranges_are_accepted(tmp_path):
    path = _write(
        tmp_path / "log.csv",
        "user,item,rating,timestamp\n"
        "9223372036854775807,1,3.4028234e38,-62135596800\n"
        "-9223372036854775808,2,-3.4028234e38,253402300799\n",
    )
    graph = load_csv(path)
    assert graph.users["user_id"].tolist() == [-9223372036854775808, 9223372036854775807]
    assert np.isfinite(graph.ratings).all()
    assert sorted(graph.timestamps.tolist()) == [-62135596800, 253402300799]


def test_iso_timestamps_of_years_1_and_9999_are_accepted(tmp_path):
    path = _write(tmp_path / "log.csv", "user,item,timestamp\n1,1,0001-01-01\n1,2,9999-12-31T23:59:59Z\n")
    assert load_csv(path).timestamps.tolist() == [-62135596800, 253402300799]


def test_quoted_commas_line_breaks_and_a_byte_order_mark_are_read(tmp_path):
    path = tmp_path / "interactions.csv"
    path.write_bytes(b"\xef\xbb\xbfuser,item\n1,7\n")
    _write(tmp_path / "items.csv", 'item_id,title\n7,"Alpha, the ""first""\nfilm"\n')
    assert load_csv(path).item_title(0) == 'Alpha, the "first"\nfilm'
