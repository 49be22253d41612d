"""MovieLens loaders on fixture files in each release format, downloads, bad input, and the real latest-small."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import DatasetError, load_dataset, load_movielens
from engine.datasets.download import locate_release

SHARED_LATEST_SMALL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ml-latest-small"

U_DATA = "1\t10\t4\t881250949\n1\t20\t3\t881250950\n2\t10\t5\t881250951\n3\t30\t1\t881250952\n"
U_ITEM = (
    "10|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    "20|GoldenEye (1995)|01-Jan-1995||http://x|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n"
    "30|Café Noir|01-Jan-1997||http://x|0|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
)
U_USER = "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n"
RATINGS_DAT = "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"
MOVIES_DAT = "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation\n"
USERS_DAT = "1::F::1::10::48067\n2::M::56::16::70072\n"
RATINGS_CSV = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,1445714835\n"
MOVIES_CSV = (
    "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,Grumpier Old Men (1995),Comedy|Romance\n"
    '5,"Father of the Bride Part II (1995)",(no genres listed)\n'
)


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("latin-1"))
    return folder


@pytest.fixture
def ml100k(tmp_path: Path) -> Path:
    return _write(tmp_path / "ml-100k", {"u.data": U_DATA, "u.item": U_ITEM, "u.user": U_USER})


@pytest.fixture
def ml1m(tmp_path: Path) -> Path:
    return _write(tmp_path / "ml-1m", {"ratings.dat": RATINGS_DAT, "movies.dat": MOVIES_DAT, "users.dat": USERS_DAT})


@pytest.fixture
def latest_small(tmp_path: Path) -> Path:
    return _write(tmp_path / "ml-latest-small", {"ratings.csv": RATINGS_CSV, "movies.csv": MOVIES_CSV})


def test_100k_parses_ratings_titles_genres_years_and_demographics(ml100k):
    graph = load_movielens("movielens-100k", ml100k)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (3, 3, 4)
    assert graph.node_id("item:20") == 3 + 1
    items = graph.items.set_index("item_id")
    assert items.loc[10, "genres"] == "Animation|Children's|Comedy"
    assert items.loc[20, "genres"] == "Action|Adventure|Thriller"
    assert items.loc[30, "title"] == "Café Noir" and items.loc[30, "year"] == 1997  # year from the release date
    assert items.loc[10, "year"] == 1995
    users = graph.users.set_index("user_id")
    assert users.loc[2, "age"] == 53 and users.loc[2, "gender"] == "F" and users.loc[3, "occupation"] == "writer"
    assert graph.ratings.tolist() == [4.0, 3.0, 5.0, 1.0] and graph.timestamps[0] == 881250949


def test_1m_parses_double_colon_files_and_maps_occupation_codes(ml1m):
    graph = load_movielens("movielens-1m", ml1m)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (2, 2, 3)
    items = graph.items.set_index("item_id")
    assert items.loc[1193, "title"] == "One Flew Over the Cuckoo's Nest (1975)" and items.loc[1193, "year"] == 1975
    users = graph.users.set_index("user_id")
    assert users.loc[1, "occupation"] == "K-12 student" and users.loc[2, "occupation"] == "self-employed"
    assert users.loc[2, "age"] == 56 and users.loc[1, "gender"] == "F"


def test_latest_small_parses_quoted_titles_and_no_genres(latest_small):
    graph = load_movielens("movielens-latest-small", latest_small)
    assert (graph.num_users, graph.num_items, graph.num_edges) == (2, 2, 3)
    assert graph.ratings.tolist() == [4.0, 4.5, 2.5]
    assert "1 items in the metadata have no interactions (left out)" in graph.report.notes
    assert graph.item_title(0) == "Toy Story (1995)"
    assert graph.items["year"].tolist() == [1995, 1995]


def test_data_dir_may_be_the_parent_of_the_release_folder(ml100k):
    graph = load_dataset("movielens-100k", data_dir=ml100k.parent)
    assert graph.num_edges == 4 and graph.name == "movielens-100k"


def test_duplicate_ratings_keep_the_latest_and_are_reported(tmp_path):
    folder = _write(
        tmp_path / "ml-100k", {"u.data": U_DATA + "1\t10\t2\t881250999\n", "u.item": U_ITEM, "u.user": U_USER}
    )
    graph = load_movielens("movielens-100k", folder)
    assert graph.num_edges == 4
    assert graph.ratings[0] == 2.0  # user 1, item 10: the later rating
    assert graph.report.dropped == {"duplicate (user, item) rows (kept the latest)": 1}


def test_missing_file_names_it_and_the_flag(tmp_path):
    folder = _write(tmp_path / "ml-100k", {"u.data": U_DATA, "u.user": U_USER})
    with pytest.raises(DatasetError, match=r"u\.item not found for movielens-100k; --data-dir must point at"):
        load_movielens("movielens-100k", folder)


def test_missing_column_in_latest_small_names_file_and_column(tmp_path):
    folder = _write(
        tmp_path / "ml-latest-small", {"ratings.csv": "userId,movieId,timestamp\n1,1,5\n", "movies.csv": MOVIES_CSV}
    )
    with pytest.raises(DatasetError, match=r"ratings\.csv: missing required column 'rating'"):
        load_movielens("movielens-latest-small", folder)


def test_missing_field_in_headerless_file_names_the_column(tmp_path):
    folder = _write(tmp_path / "ml-100k", {"u.data": "1\t10\t4\n", "u.item": U_ITEM, "u.user": U_USER})
    with pytest.raises(DatasetError, match=r"u\.data: missing column 'timestamp'"):
        load_movielens("movielens-100k", folder)


@pytest.mark.parametrize("name", ["u.data", "u.item", "u.user"])
def test_empty_file_is_named(tmp_path, name):
    files = {"u.data": U_DATA, "u.item": U_ITEM, "u.user": U_USER, name: ""}
    with pytest.raises(DatasetError, match=rf"{re.escape(name)}: .*empty"):
        load_movielens("movielens-100k", _write(tmp_path / "ml-100k", files))


def test_header_only_latest_small_ratings_is_refused(tmp_path):
    folder = _write(
        tmp_path / "ml-latest-small", {"ratings.csv": "userId,movieId,rating,timestamp\n", "movies.csv": MOVIES_CSV}
    )
    with pytest.raises(DatasetError, match=r"ratings\.csv: has no rating rows"):
        load_movielens("movielens-latest-small", folder)


@pytest.mark.parametrize(("cell", "shown"), [("NaN", "'NaN'"), ("four", "'four'"), ("", "''")])
def test_bad_rating_names_row_and_column(tmp_path, cell, shown):
    ratings = RATINGS_CSV + f"3,1,{cell},964982703\n"
    folder = _write(tmp_path / "ml-latest-small", {"ratings.csv": ratings, "movies.csv": MOVIES_CSV})
    with pytest.raises(DatasetError, match=rf"ratings\.csv: row 5, column 'rating': {shown} is not a number"):
        load_movielens("movielens-latest-small", folder)


def test_bad_rating_in_headerless_file_counts_lines_from_one(tmp_path):
    folder = _write(
        tmp_path / "ml-1m",
        {"ratings.dat": RATINGS_DAT + "2::661::x::978298413\n", "movies.dat": MOVIES_DAT, "users.dat": USERS_DAT},
    )
    with pytest.raises(DatasetError, match=r"ratings\.dat: row 4, column 'rating': 'x' is not a number"):
        load_movielens("movielens-1m", folder)


@pytest.mark.parametrize(
    ("release", "name", "header"),
    [
        ("movielens-100k", "u.data", "user_id\titem_id\trating\ttimestamp\n"),
        ("movielens-1m", "ratings.dat", "UserID::MovieID::Rating::Timestamp\n"),
    ],
)
def test_header_line_in_headerless_file_is_refused(ml100k, ml1m, release, name, header):
    folder = ml100k if release == "movielens-100k" else ml1m
    path = folder / name
    path.write_text(header + path.read_text(encoding="latin-1"), encoding="latin-1")
    with pytest.raises(DatasetError, match=rf"{re.escape(name)}: row 1 looks like a header line .*delete that line"):
        load_movielens(release, folder)


def _zip_release(tmp_path: Path, folder: Path) -> tuple[str, str]:
    archive = tmp_path / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for file in folder.iterdir():
            bundle.write(file, f"{folder.name}/{file.name}")
    return archive.as_uri(), hashlib.md5(archive.read_bytes()).hexdigest()


def test_download_checks_the_checksum_unpacks_into_the_cache_and_reuses_it(tmp_path, ml100k, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url, md5 = _zip_release(tmp_path, ml100k)
    files = ("u.data", "u.item", "u.user")
    folder = locate_release("movielens-100k", "ml-100k", url, md5, files, None)
    assert folder == tmp_path / "cache" / "gnn-recsys-explorer" / "ml-100k"
    assert (folder / "u.data").read_text() == U_DATA
    assert not list(folder.parent.glob("*.zip"))  # the partial download is removed
    assert locate_release("movielens-100k", "ml-100k", "http://127.0.0.1:9/never", md5, files, None) == folder


def test_download_with_wrong_checksum_is_refused_and_leaves_nothing(tmp_path, ml100k, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url, _ = _zip_release(tmp_path, ml100k)
    with pytest.raises(DatasetError, match=r"checksum mismatch .*expected 0{32}.*--data-dir"):
        locate_release("movielens-100k", "ml-100k", url, "0" * 32, ("u.data",), None)
    assert not (tmp_path / "cache" / "gnn-recsys-explorer" / "ml-100k").exists()


def test_latest_release_is_checked_against_the_published_md5_file(tmp_path, latest_small, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    url, md5 = _zip_release(tmp_path, latest_small)
    Path(url.removeprefix("file://") + ".md5").write_text(f"MD5 (ml-latest-small.zip) = {md5}\n")
    folder = locate_release("movielens-latest-small", "ml-latest-small", url, None, ("ratings.csv",), None)
    assert (folder / "ratings.csv").is_file()


def test_offline_error_says_which_url_to_fetch_and_which_flag_to_pass(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("engine.datasets.download.urllib.request.urlopen", offline)
    expected = r"cannot download movielens-1m from https://files\.grouplens\.org/datasets/movielens/ml-1m\.zip"
    with pytest.raises(DatasetError, match=expected + r".*--data-dir /path/to/ml-1m"):
        load_dataset("movielens-1m")


@pytest.mark.skipif(not SHARED_LATEST_SMALL.is_dir(), reason="../shared/data/ml-latest-small is not present")
def test_real_latest_small_loads_with_its_documented_counts():
    """GroupLens's README states the counts; both published versions of ml-latest-small are recognised."""
    graph = load_dataset("movielens-latest-small", data_dir=SHARED_LATEST_SMALL)
    readme = (SHARED_LATEST_SMALL / "README.txt").read_text(encoding="utf-8")
    ratings = int(re.search(r"contains ([\d,]+) ratings", readme).group(1).replace(",", ""))
    users = int(re.search(r"created by ([\d,]+) users", readme).group(1).replace(",", ""))
    assert (graph.num_users, graph.num_edges) == (users, ratings)
    documented = {(610, 9724, 100836), (671, 9066, 100004)}  # 2018 release; 2016 release
    assert (graph.num_users, graph.num_items, graph.num_edges) in documented
    assert graph.report.rows_dropped == 0
    assert np.isin(graph.ratings, np.arange(0.5, 5.01, 0.5)).all()
    assert graph.items["genres"].str.contains("Comedy").any() and graph.items["year"].notna().mean() > 0.99
