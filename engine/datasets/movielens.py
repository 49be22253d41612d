"""MovieLens 100K, 1M, 10M, 20M, 25M, 32M and latest-small: parsers for their file formats (GroupLens, Harper &
Konstan 2015).

Where the files come from is :mod:`engine.datasets.download`'s job (``--data-dir``, the per-user cache, or
GroupLens); this module turns a folder of release files into an :class:`InteractionGraph` with titles,
genres, years and, where the release has them, user demographics. Every malformed file raises a
:class:`DatasetError` that names the file, the row or column, and what to do. The ratings of the releases from 10M
up are read by :func:`~engine.datasets.numeric_ratings.read_numeric_ratings` (typed columns, no string per cell), and
only a file it cannot read plainly goes through the checked reader that names the bad row.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.datasets.csv_table import read_csv_table
from engine.datasets.download import locate_release
from engine.datasets.numeric_ratings import read_numeric_ratings
from engine.datasets.validation import DatasetError, id_column, numeric_column, require_columns, require_file
from engine.graph import InteractionGraph, LoadReport

_YEAR = re.compile(r"\((\d{4})\)\s*$")
_GENRES_100K = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_OCCUPATIONS_1M = (
    "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
    "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
    "unemployed", "writer",
)  # fmt: skip
_RATING_COLUMNS = ("user", "item", "rating", "timestamp")


@dataclass(frozen=True)
class MovieLensRelease:
    """One GroupLens release: where to get it and which files it must contain."""

    description: str
    archive: str  # name of the zip, e.g. "ml-100k"
    md5: str | None  # None: check against the ``.md5`` file GroupLens publishes beside the zip
    files: tuple[str, ...]
    parse: Callable[[Path, str], InteractionGraph]
    folder: str | None = None  # folder inside the zip when it is not named like the zip (ml-10m.zip: ml-10M100K)

    @property
    def url(self) -> str:
        return f"https://files.grouplens.org/datasets/movielens/{self.archive}.zip"

    @property
    def folder_name(self) -> str:
        return self.folder or self.archive


def load_movielens(name: str, data_dir: str | Path | None = None) -> InteractionGraph:
    """Load a MovieLens release by registry name from ``data_dir``, the cache, or a download."""
    if name not in MOVIELENS:
        raise DatasetError(f"unknown MovieLens release {name!r}; use one of {', '.join(MOVIELENS)}")
    release = MOVIELENS[name]
    folder = locate_release(name, release.folder_name, release.url, release.md5, release.files, data_dir)
    return release.parse(folder, name)


def _parse_100k(folder: Path, name: str) -> InteractionGraph:
    ratings_path = folder / "u.data"
    ratings = _read_headerless(ratings_path, "\t", _RATING_COLUMNS, "tab-separated")
    items = _read_headerless(folder / "u.item", "|", ("item_id", "title", "release_date"), "pipe-separated")
    flags = items.iloc[:, 5 : 5 + len(_GENRES_100K)]
    if flags.shape[1] != len(_GENRES_100K):
        raise DatasetError(
            f"{folder / 'u.item'}: expected 5 fields plus {len(_GENRES_100K)} genre flags per line "
            f"(found {items.shape[1]} fields); re-extract u.item from ml-100k.zip"
        )
    is_set = flags.to_numpy() == "1"  # (I, 19)
    genres = ["|".join(g for g, on in zip(_GENRES_100K, row, strict=True) if on) for row in is_set]
    item_table = pd.DataFrame(
        {
            "item_id": id_column(items["item_id"], "item_id", folder / "u.item", 1),
            "title": items["title"],
            "genres": genres,
            "year": _years(items["title"], items["release_date"].str[-4:]),
        }
    )
    users = _read_headerless(
        folder / "u.user", "|", ("user_id", "age", "gender", "occupation", "zip"), "pipe-separated"
    )
    user_table = pd.DataFrame(
        {
            "user_id": id_column(users["user_id"], "user_id", folder / "u.user", 1),
            "age": numeric_column(users["age"], "age", folder / "u.user", 1).astype(np.int64),
            "gender": users["gender"],
            "occupation": users["occupation"],
        }
    )
    return _graph(ratings, ratings_path, item_table, user_table, name)


def _parse_1m(folder: Path, name: str) -> InteractionGraph:
    ratings_path = folder / "ratings.dat"
    ratings = _read_headerless(ratings_path, "::", _RATING_COLUMNS, "'::'-separated")
    movies = _read_headerless(folder / "movies.dat", "::", ("item_id", "title", "genres"), "'::'-separated")
    item_table = pd.DataFrame(
        {
            "item_id": id_column(movies["item_id"], "item_id", folder / "movies.dat", 1),
            "title": movies["title"],
            "genres": movies["genres"],
            "year": _years(movies["title"]),
        }
    )
    users_path = folder / "users.dat"
    users = _read_headerless(users_path, "::", ("user_id", "gender", "age", "occupation", "zip"), "'::'-separated")
    occupation = numeric_column(users["occupation"], "occupation", users_path, 1).astype(np.int64)
    user_table = pd.DataFrame(
        {
            "user_id": id_column(users["user_id"], "user_id", users_path, 1),
            "age": numeric_column(users["age"], "age", users_path, 1).astype(np.int64),  # bucket: 1, 18, 25, ...
            "gender": users["gender"],
            "occupation": np.array(_OCCUPATIONS_1M, dtype=object)[np.clip(occupation, 0, len(_OCCUPATIONS_1M) - 1)],
        }
    )
    return _graph(ratings, ratings_path, item_table, user_table, name)


def _parse_latest_small(folder: Path, name: str) -> InteractionGraph:
    ratings_path = folder / "ratings.csv"
    hint = f"--data-dir must point at the unpacked {_folder_of(name)} folder"
    ratings_table = read_csv_table(ratings_path, "ratings file", hint, aliases={"userid": "user", "movieid": "item"})
    ratings = ratings_table.frame
    require_columns(ratings, _RATING_COLUMNS, ratings_path, "userId,movieId,rating,timestamp")
    item_table, notes = _movies_csv(folder / "movies.csv", hint)
    report = LoadReport(source=str(ratings_path), rows_read=ratings_table.rows, notes=notes)
    report.drop("blank rows (skipped)", ratings_table.blank_rows)
    return _graph(ratings, ratings_path, item_table, None, name, first_line=2, report=report)


def _parse_10m(folder: Path, name: str) -> InteractionGraph:
    ratings_path = folder / "ratings.dat"
    ratings = read_numeric_ratings(ratings_path, "::")
    if ratings is None:  # the checked reader names the line that is not plainly numeric
        ratings = _read_headerless(ratings_path, "::", _RATING_COLUMNS, "'::'-separated")
    movies_path = folder / "movies.dat"
    movies = _read_headerless(movies_path, "::", ("item_id", "title", "genres"), "'::'-separated", encoding="utf-8")
    item_table = pd.DataFrame(
        {
            "item_id": id_column(movies["item_id"], "item_id", movies_path, 1),
            "title": movies["title"],
            "genres": movies["genres"].replace("(no genres listed)", ""),
            "year": _years(movies["title"]),
        }
    )
    return _graph(ratings, ratings_path, item_table, None, name)


def _parse_csv_release(folder: Path, name: str) -> InteractionGraph:
    """20M, 25M and 32M: ``ratings.csv`` and ``movies.csv`` as in latest-small, the ratings read as numbers."""
    numeric = read_numeric_ratings(folder / "ratings.csv", ",", ("userid", "movieid", "rating", "timestamp"))
    if numeric is None:  # the checked reader names the row that is not plainly numeric
        return _parse_latest_small(folder, name)
    movies_path = folder / "movies.csv"
    item_table, notes = _movies_csv(movies_path, f"--data-dir must point at the unpacked {_folder_of(name)} folder")
    report = LoadReport(source=str(folder / "ratings.csv"), rows_read=len(numeric), notes=notes)
    return _graph(numeric, folder / "ratings.csv", item_table, None, name, first_line=2, report=report)


def _folder_of(name: str) -> str:
    """The release folder of a registry name, for messages (the name itself when it is not a release)."""
    return MOVIELENS[name].folder_name if name in MOVIELENS else name


def _movies_csv(movies_path: Path, hint: str) -> tuple[pd.DataFrame, list[str]]:
    """Items of a ``movies.csv`` (``movieId,title,genres``) and the load-report notes of its blank rows."""
    movies_table = read_csv_table(movies_path, "movies file", hint)
    movies = movies_table.frame
    require_columns(movies, ("movieid", "title", "genres"), movies_path, "movieId,title,genres")
    item_table = pd.DataFrame(
        {
            "item_id": id_column(movies["movieid"], "movieId", movies_path, 2),
            "title": movies["title"].str.strip(),
            "genres": movies["genres"].replace("(no genres listed)", ""),
            "year": _years(movies["title"]),
        }
    )
    return item_table, movies_table.blank_note(movies_path)


def _read_headerless(
    path: Path, sep: str, names: tuple[str, ...], style: str, encoding: str = "latin-1"
) -> pd.DataFrame:
    """Read a headerless MovieLens file as strings; a header line or too few fields raises with the fix.

    ``encoding`` is tried first and latin-1 (which decodes any bytes) after it: 100K and 1M are latin-1, 10M's
    titles UTF-8.
    """
    require_file(path, "MovieLens file", f"re-extract {path.name} from the release zip")
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if sep == "::":
        text = text.replace("::", "\t")  # the C parser needs a one-character separator
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep="\t" if sep == "::" else sep,
            header=None,
            dtype=str,
            quoting=3,
            keep_default_na=False,
        )
    except pd.errors.EmptyDataError as error:
        raise DatasetError(f"{path}: MovieLens file is empty; re-extract {path.name} from the release zip") from error
    except pd.errors.ParserError as error:
        raise DatasetError(f"{path}: cannot parse ({error}); the file must be {style} with no header") from error
    if frame.shape[1] < len(names):
        raise DatasetError(
            f"{path}: missing column {names[frame.shape[1]]!r}: expected {len(names)} {style} fields "
            f"{', '.join(names)} per line (found {frame.shape[1]}); re-extract {path.name} from the release zip"
        )
    first = str(frame.iat[0, 0]).strip()
    if not first.lstrip("+-").isdigit():
        raise DatasetError(
            f"{path}: row 1 looks like a header line ({first!r} is not an id); MovieLens {path.name} has no "
            "header, delete that line"
        )
    frame.columns = list(names) + [f"field_{k}" for k in range(len(names), frame.shape[1])]
    return frame


def _years(titles: pd.Series, fallback: pd.Series | None = None) -> pd.Series:
    """Release year from a trailing "(1995)" in the title, else from ``fallback``; missing stays <NA>."""
    year = titles.str.extract(_YEAR, expand=False)
    if fallback is not None:
        year = year.fillna(fallback)
    return pd.to_numeric(year, errors="coerce").astype("Int64")


def _graph(
    ratings: pd.DataFrame,
    path: Path,
    items: pd.DataFrame,
    users: pd.DataFrame | None,
    name: str,
    first_line: int = 1,
    report: LoadReport | None = None,
) -> InteractionGraph:
    if ratings.empty:
        raise DatasetError(f"{path}: has no rating rows; re-extract {path.name} from the release zip")
    if ratings["user"].dtype == np.int64:  # typed by read_numeric_ratings: every cell already checked
        interactions = ratings
    else:
        interactions = pd.DataFrame(
            {
                "user": id_column(ratings["user"], "user", path, first_line),
                "item": id_column(ratings["item"], "item", path, first_line),
                "rating": numeric_column(ratings["rating"], "rating", path, first_line).astype(np.float32),
                "timestamp": numeric_column(ratings["timestamp"], "timestamp", path, first_line).astype(np.int64),
            }
        )
    report = report or LoadReport(source=str(path), rows_read=len(interactions))
    return InteractionGraph.from_frame(interactions, users=users, items=items, name=name, report=report)


MOVIELENS: dict[str, MovieLensRelease] = {
    "movielens-100k": MovieLensRelease(
        "MovieLens 100K: 943 users, 1,682 movies, 100,000 ratings (1-5) with age, gender, occupation",
        "ml-100k",
        "0e33842e24a9c977be4e0107933c0723",
        ("u.data", "u.item", "u.user"),
        _parse_100k,
    ),
    "movielens-1m": MovieLensRelease(
        "MovieLens 1M: 6,040 users, 3,706 movies, 1,000,209 ratings (1-5) with age, gender, occupation",
        "ml-1m",
        "c4d9eecfca2ab87c1945afe126590906",
        ("ratings.dat", "movies.dat", "users.dat"),
        _parse_1m,
    ),
    "movielens-10m": MovieLensRelease(
        "MovieLens 10M: 69,878 users, 10,677 movies, 10,000,054 ratings (0.5-5), no demographics",
        "ml-10m",
        "ce571fd55effeba0271552578f2648bd",
        ("ratings.dat", "movies.dat"),
        _parse_10m,
        folder="ml-10M100K",
    ),
    "movielens-20m": MovieLensRelease(
        "MovieLens 20M: 138,493 users, 26,744 movies, 20,000,263 ratings (0.5-5), no demographics",
        "ml-20m",
        "cd245b17a1ae2cc31bb14903e1204af3",
        ("ratings.csv", "movies.csv"),
        _parse_csv_release,
    ),
    "movielens-25m": MovieLensRelease(
        "MovieLens 25M: 162,541 users, 59,047 movies, 25,000,095 ratings (0.5-5), no demographics",
        "ml-25m",
        "6b51fb2759a8657d3bfcbfc42b592ada",
        ("ratings.csv", "movies.csv"),
        _parse_csv_release,
    ),
    "movielens-32m": MovieLensRelease(
        "MovieLens 32M: 200,948 users, 84,432 movies, 32,000,204 ratings (0.5-5), no demographics",
        "ml-32m",
        None,
        ("ratings.csv", "movies.csv"),
        _parse_csv_release,
    ),
    "movielens-latest-small": MovieLensRelease(
        "MovieLens latest-small: ~600 users, ~9k movies, ~100k ratings (0.5-5), no demographics",
        "ml-latest-small",
        None,
        ("ratings.csv", "movies.csv"),
        _parse_latest_small,
    ),
}
