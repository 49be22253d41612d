"""Datasets addressed by name: ``synthetic``, the MovieLens releases, ``csv:PATH`` and ``lightgcn:DIR``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.datasets.csv_loader import load_csv
from engine.datasets.lightgcn import FILES as LIGHTGCN_FILES
from engine.datasets.lightgcn import load_lightgcn
from engine.datasets.movielens import MOVIELENS, load_movielens
from engine.datasets.validation import DatasetError
from engine.graph import InteractionGraph

SAMPLE_DATA = Path(__file__).resolve().parents[2] / "sample_data"
SYNTHETIC_INTERACTIONS = SAMPLE_DATA / "synthetic" / "interactions.csv"
CSV_PREFIX = "csv:"
LIGHTGCN_PREFIX = "lightgcn:"


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset the registry can load by name."""

    name: str
    description: str


_SYNTHETIC = DatasetInfo(
    "synthetic",
    "bundled offline sample: ~1k users x 1k items x 50k ratings with planted taste groups (sample_data/synthetic)",
)


def list_datasets() -> list[DatasetInfo]:
    """Every named dataset, the bundled synthetic sample first (``csv:PATH`` is accepted too)."""
    return [_SYNTHETIC] + [DatasetInfo(name, release.description) for name, release in MOVIELENS.items()]


def load_dataset(name: str, data_dir: str | Path | None = None) -> InteractionGraph:
    """Load a dataset by name.

    Loaded graphs are cached in memory per (name, folder, file modification time); treat them as read-only.

    Args:
        name (str): ``synthetic``, a MovieLens release (``movielens-100k``, ``-1m``, ``-10m``, ``-20m``, ``-25m``,
            ``-32m``, ``-latest-small``), ``csv:PATH``, or ``lightgcn:DIR`` (a LightGCN benchmark folder with
            ``train.txt`` and ``test.txt``, whose split the graph keeps in ``held_out``).
        data_dir (str | Path, optional): Folder holding the MovieLens files; without it the per-user cache is
            used and, when empty, the files are downloaded. Ignored by ``synthetic``, ``csv:`` and ``lightgcn:``, but
            it must be an existing folder whenever it is given. (default: ``None``)

    Raises:
        DatasetError: Unknown name (the message lists the known ones), missing folder, missing or malformed files.
    """
    name = str(name).strip()
    if data_dir is not None and not Path(data_dir).expanduser().is_dir():
        raise DatasetError(f"data folder {str(data_dir)!r} is not an existing folder; fix --data-dir or leave it out")
    if name == _SYNTHETIC.name:
        return _load_csv_cached(str(SYNTHETIC_INTERACTIONS), _csv_stamp(SYNTHETIC_INTERACTIONS), "synthetic")
    if name.startswith(CSV_PREFIX):
        path = Path(name[len(CSV_PREFIX) :]).expanduser()
        if not name[len(CSV_PREFIX) :]:
            raise DatasetError("csv: needs a path, e.g. csv:data/interactions.csv")
        return _load_csv_cached(str(path.resolve()), _csv_stamp(path), name)
    if name.startswith(LIGHTGCN_PREFIX):
        folder = Path(name[len(LIGHTGCN_PREFIX) :]).expanduser()
        if not name[len(LIGHTGCN_PREFIX) :]:
            raise DatasetError("lightgcn: needs a folder, e.g. lightgcn:LightGCN-PyTorch/data/gowalla")
        stamp = _stamp(folder, *(folder / file for file in LIGHTGCN_FILES))
        return _load_lightgcn_cached(str(folder.resolve()), stamp, name)
    if name in MOVIELENS:
        folder = None if data_dir is None else str(Path(data_dir).expanduser().resolve())
        return _load_movielens_cached(name, folder, _folder_stamp(Path(folder)) if folder else 0)
    known = ", ".join(info.name for info in list_datasets())
    raise DatasetError(
        f"unknown dataset {name!r}; known datasets: {known}, csv:PATH for your own CSV file, or lightgcn:DIR for a "
        "LightGCN benchmark folder"
    )


def _stamp(*paths: Path) -> int:
    """Newest modification time of ``paths``, keying the cache so an edited file is read again (0 if absent)."""
    times = [0]
    for path in paths:
        try:
            times.append(path.stat().st_mtime_ns)
        except OSError:
            continue
    return max(times)


def _csv_stamp(path: Path) -> int:
    return _stamp(path, path.with_name("items.csv"), path.with_name("users.csv"))


def _folder_stamp(folder: Path) -> int:
    """Newest modification time of the files in ``folder`` and its sub-folders (one level down)."""
    return _stamp(folder, *folder.glob("*"), *folder.glob("*/*"))


@lru_cache(maxsize=8)
def _load_csv_cached(path: str, stamp: int, name: str) -> InteractionGraph:
    return load_csv(path, name=name)


@lru_cache(maxsize=4)
def _load_lightgcn_cached(folder: str, stamp: int, name: str) -> InteractionGraph:
    return load_lightgcn(folder, name)


@lru_cache(maxsize=4)
def _load_movielens_cached(name: str, data_dir: str | None, stamp: int) -> InteractionGraph:
    return load_movielens(name, data_dir)
