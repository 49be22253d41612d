"""MovieLens 10M, 20M, 25M and 32M on fixture files in each release's own format, through the fast numeric reader
and, for a file it cannot read plainly, the checked reader's messages."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import MOVIELENS, DatasetError, load_dataset, load_movielens
from engine.datasets.numeric_ratings import read_numeric_ratings

# 10M: '::'-separated, no header, half-star ratings, UTF-8 titles, no users.dat.
RATINGS_10M = "1::122::5::838985046\n1::185::4.5::838983525\n2::122::0.5::868245777\n3::292::3::868244562\n"
MOVIES_10M = (
    "122::Boomerang (1992)::Comedy|Romance\n185::Net, The (1995)::Action|Crime|Thriller\n"
    "292::Outbreak (1995)::Action|Drama|Sci-Fi|Thriller\n8606::Pull My Daisy (1958)::(no genres listed)\n"
    "5000::Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)::Comedy|Romance\n"
)
# 20M, 25M and 32M: headed CSV files as in latest-small.
RATINGS_CSV = "userId,movieId,rating,timestamp\n1,2,3.5,1112486027\n1,29,3.5,1112484676\n2,2,4.0,974820889\n"
MOVIES_CSV = (
    "movieId,title,genres\n2,Jumanji (1995),Adventure|Children|Fantasy\n"
    '29,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Adventure|Drama|Fantasy|Mystery|Sci-Fi\n'
    "131262,Innocence (2014),(no genres listed)\n"
)
CSV_RELEASES = {"movielens-20m": "ml-20m", "movielens-25m": "ml-25m", "movielens-32m": "ml-32m"}


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_10m_parses_double_colon_half_star_ratings_and_utf8_titles(tmp_path):
    folder = _write(tmp_path / "ml-10M100K", {"ratings.dat": RATINGS_10M, "movies.dat": MOVIES_10M})
    graph = load_movielens("movielens-10m", folder)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (3, 3, 4)
    assert graph.ratings.dtype == np.float32 and sorted(graph.ratings.tolist()) == [0.5, 3.0, 4.5, 5.0]
    assert graph.timestamps.dtype == np.int64 and graph.timestamps.min() == 838983525
    items = graph.items.set_index("item_id")
    assert items.loc[185, "title"] == "Net, The (1995)" and items.loc[185, "year"] == 1995
    assert items.loc[292, "genres"] == "Action|Drama|Sci-Fi|Thriller"
    assert "2 items in the metadata have no interactions (left out)" in graph.report.notes
    assert graph.node_id("user:3") == 2 and graph.node_id("item:292") == 3 + 2


def test_10m_keeps_utf8_titles_of_rated_movies(tmp_path):
    ratings = RATINGS_10M + "3::5000::4::868244999\n"
    folder = _write(tmp_path / "ml-10M100K", {"ratings.dat": ratings, "movies.dat": MOVIES_10M})
    graph = load_movielens("movielens-10m", folder)
    assert graph.item_title(graph.node_id("item:5000") - graph.num_users).startswith("Amélie")


def test_10m_release_folder_is_found_under_its_parent(tmp_path):
    _write(tmp_path / "ml-10M100K", {"ratings.dat": RATINGS_10M, "movies.dat": MOVIES_10M})
    assert load_dataset("movielens-10m", data_dir=tmp_path).num_edges == 4
    assert MOVIELENS["movielens-10m"].url.endswith("/ml-10m.zip")


@pytest.mark.parametrize(("name", "archive"), CSV_RELEASES.items())
def test_csv_releases_parse_ratings_and_movies(tmp_path, name, archive):
    folder = _write(tmp_path / archive, {"ratings.csv": RATINGS_CSV, "movies.csv": MOVIES_CSV})
    graph = load_movielens(name, folder)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (2, 2, 3)
    assert graph.ratings.tolist() == [3.5, 3.5, 4.0] and graph.name == name
    items = graph.items.set_index("item_id")
    assert items.loc[29, "title"].startswith("City of Lost Children, The") and items.loc[29, "year"] == 1995
    assert MOVIELENS[name].url == f"https://files.grouplens.org/datasets/movielens/{archive}.zip"


def test_csv_release_duplicates_keep_the_latest_as_in_latest_small(tmp_path):
    ratings = RATINGS_CSV + "1,2,1.0,1112489999\n"
    folder = _write(tmp_path / "ml-20m", {"ratings.csv": ratings, "movies.csv": MOVIES_CSV})
    graph = load_movielens("movielens-20m", folder)
    assert graph.num_edges == 3 and graph.ratings[0] == 1.0
    assert graph.report.dropped == {"duplicate (user, item) rows (kept the latest)": 1}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("3,2,NaN,964982703", r"row 5, column 'rating': 'NaN' is not a number"),
        ("3,2,four,964982703", r"row 5, column 'rating': 'four' is not a number"),
        ("3,,4,964982703", r"row 5, column 'item' is empty"),
        ("3,2,4", r"row 5, column 4 \('timestamp'\).* has 3 fields but the header"),
    ],
)
def test_bad_row_of_a_csv_release_is_named_by_the_checked_reader(tmp_path, line, message):
    folder = _write(tmp_path / "ml-25m", {"ratings.csv": RATINGS_CSV + line + "\n", "movies.csv": MOVIES_CSV})
    with pytest.raises(DatasetError, match=r"ratings\.csv: " + message):
        load_movielens("movielens-25m", folder)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("4::122::x::868244562", r"row 5, column 'rating': 'x' is not a number"),
        ("4::122::3", r"row 5, column 'timestamp': '' is not a number"),
    ],
)
def test_bad_line_of_10m_ratings_is_named_by_the_checked_reader(tmp_path, line, message):
    folder = _write(tmp_path / "ml-10M100K", {"ratings.dat": RATINGS_10M + line + "\n", "movies.dat": MOVIES_10M})
    with pytest.raises(DatasetError, match=r"ratings\.dat: " + message):
        load_movielens("movielens-10m", folder)


def test_header_line_in_10m_ratings_is_refused(tmp_path):
    ratings = "UserID::MovieID::Rating::Timestamp\n" + RATINGS_10M
    folder = _write(tmp_path / "ml-10M100K", {"ratings.dat": ratings, "movies.dat": MOVIES_10M})
    with pytest.raises(DatasetError, match=r"ratings\.dat: row 1 looks like a header line"):
        load_movielens("movielens-10m", folder)


def test_missing_movies_file_names_it_and_the_release_folder(tmp_path):
    folder = _write(tmp_path / "ml-32m", {"ratings.csv": RATINGS_CSV})
    with pytest.raises(DatasetError, match=r"movies\.csv not found for movielens-32m; --data-dir .* ml-32m folder"):
        load_movielens("movielens-32m", folder)


def test_numeric_reader_hands_anything_unusual_to_the_checked_reader(tmp_path):
    path = tmp_path / "ratings.csv"
    header = ("userid", "movieid", "rating", "timestamp")
    path.write_text(RATINGS_CSV)
    frame = read_numeric_ratings(path, ",", header)
    assert frame is not None and frame["user"].tolist() == [1, 1, 2] and frame["rating"].dtype == np.float32
    for text in (
        "user,item,rating,timestamp\n1,2,3,4\n",  # another header: the checked reader maps its aliases
        RATINGS_CSV + "1,2,inf,5\n",
        RATINGS_CSV + "1,2,1e39,5\n",  # beyond float32
        RATINGS_CSV + "1,2,3,4,5\n",
        RATINGS_CSV + "1,2,3,\n",
        "userId,movieId,rating,timestamp\n",
    ):
        path.write_text(text)
        assert read_numeric_ratings(path, ",", header) is None, text


def test_checksums_are_pinned_or_read_from_the_published_md5_file():
    for name in ("movielens-10m", "movielens-20m", "movielens-25m"):
        assert re.fullmatch(r"[0-9a-f]{32}", MOVIELENS[name].md5)
    assert MOVIELENS["movielens-32m"].md5 is None  # checked against ml-32m.zip.md5 at download time


def test_numeric_reader_of_double_colon_files_refuses_a_single_colon(tmp_path):
    path = tmp_path / "ratings.dat"
    path.write_text(RATINGS_10M)
    frame = read_numeric_ratings(path, "::")
    assert frame is not None and frame["item"].tolist() == [122, 185, 122, 292]
    assert frame["rating"].tolist() == [5.0, 4.5, 0.5, 3.0]
    for line in ("4:122::3::868244562", "4::122::3::8682:44562", "4::122::3::868244562::", "4::::122::3"):
        path.write_text(RATINGS_10M + line + "\n")
        assert read_numeric_ratings(path, "::") is None, line
