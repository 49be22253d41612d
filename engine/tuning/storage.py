"""Where a study lives: by default a journal file in the runs directory (Optuna's ``JournalFileBackend``, nothing
to start), or a database URL that several ``tune`` processes on several machines share (Optuna's RDB storage).

``<runs dir>/studies/<name>.journal`` holds a study of the default storage. A study kept in a database leaves
``<runs dir>/studies/<name>.storage.json`` with its URL, password removed (libpq reads it from ``PGPASSWORD`` or
``~/.pgpass``), so the dashboard and :func:`load_study` find it by name.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import optuna
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from engine.runs.names import RUN_ID_PATTERN

STUDIES = "studies"  # folder of the runs directory holding the studies' journals and storage pointers
JOURNAL_SUFFIX, POINTER_SUFFIX = ".journal", ".storage.json"
CONNECT_TIMEOUT_S = 10  # how long a database storage may take to answer before `tune` gives up
# A database study's running trial records a heartbeat this often; one silent for GRACE_S (its process killed, its
# machine gone) is marked failed by the next `tune` process of the study (Optuna's fail_stale_trials).
HEARTBEAT_S = 30
GRACE_S = 300


def check_study_name(name: str) -> str:
    """``name`` when it can name a study (and its files and runs): letters, digits, ``.``, ``_``, ``-``.

    Raises:
        ValueError: Naming the bad name and the allowed characters.
    """
    if not isinstance(name, str) or not RUN_ID_PATTERN.fullmatch(name) or len(name) > 80:
        raise ValueError(
            f"study name {name!r} must be 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def journal_path(runs_dir: str | Path, name: str) -> Path:
    """The journal file of study ``name`` in the default storage."""
    return Path(runs_dir) / STUDIES / f"{check_study_name(name)}{JOURNAL_SUFFIX}"


def database_url(url: str) -> str:
    """``url`` as SQLAlchemy needs it: ``postgresql://`` and ``postgres://`` use the psycopg 3 driver
    (``postgresql+psycopg://``); other URLs (``sqlite:///…``, ``postgresql+psycopg://…``) are kept.

    Raises:
        ValueError: A URL SQLAlchemy cannot parse, or one that is not a database URL.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url.removeprefix(prefix)
    try:
        make_url(url)
    except ArgumentError:
        raise ValueError(
            f"--storage {shown_url(url)!r} is not a database URL; use postgresql://USER@HOST:PORT/DB or "
            "sqlite:///PATH (or leave it out for a journal file in the runs directory)"
        ) from None
    return url


def shown_url(url: str) -> str:
    """``url`` with its password replaced by ``***``, for messages and listings."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def open_storage(runs_dir: str | Path, name: str, url: str | None = None, create: bool = False) -> BaseStorage:
    """The storage of study ``name``: ``url``'s database, else the one its pointer file names, else its journal.

    Args:
        runs_dir (str | Path): The runs directory.
        name (str): The study.
        url (str, optional): A database URL (``postgresql://…``, ``sqlite:///…``). (default: ``None``)
        create (bool): Create the journal file (and the ``studies`` folder) when missing. (default: ``False``)

    Raises:
        ValueError: A bad name or URL, a database that cannot be reached (naming it), or, without ``create``, no
            such study.
    """
    check_study_name(name)
    folder = Path(runs_dir) / STUDIES
    pointer = folder / f"{name}{POINTER_SUFFIX}"
    if url is None and pointer.is_file():
        url = json.loads(pointer.read_text(encoding="utf-8"))["storage"]
    if url is not None:
        storage = _database(database_url(url))
        if create:
            folder.mkdir(parents=True, exist_ok=True)
            pointer.write_text(json.dumps({"storage": _without_password(url)}) + "\n", encoding="utf-8")
        return storage
    path = journal_path(runs_dir, name)
    if not path.is_file():
        if not create:
            raise ValueError(f"no study {name!r} in {folder}; start one with `python -m engine tune --name {name} …`")
        folder.mkdir(parents=True, exist_ok=True)
    return JournalStorage(JournalFileBackend(str(path)))


def _database(url: str) -> RDBStorage:
    from sqlalchemy.exc import SQLAlchemyError

    connect = {"connect_timeout": CONNECT_TIMEOUT_S} if url.startswith("postgresql") else {}
    for attempt in range(1, 4):
        try:
            with warnings.catch_warnings():  # heartbeats are "experimental" in Optuna since 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(
                    url,
                    engine_kwargs={"connect_args": connect},
                    skip_compatibility_check=False,
                    heartbeat_interval=HEARTBEAT_S,
                    grace_period=GRACE_S,
                )
        except (SQLAlchemyError, ImportError, OSError) as error:
            reason = " ".join(str(getattr(error, "orig", None) or error).split()).split(" (Background")[0]
            # Two processes meeting a new database both create Optuna's tables; the slower one finds them made.
            if ("already exists" in reason or "duplicate key" in reason) and attempt < 3:
                time.sleep(attempt)
                continue
            raise ValueError(f"cannot reach storage {shown_url(url)}: {reason[:300]}") from None
    raise AssertionError("the loop above returns or raises")


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url(url)).set(password=None).render_as_string(hide_password=False)


def study_storage(runs_dir: str | Path, name: str) -> BaseStorage:
    """The storage that holds the existing study ``name`` of ``runs_dir`` (journal file or database).

    Raises:
        ValueError: No such study, or its database cannot be reached.
    """
    return open_storage(runs_dir, name)


def load_study(runs_dir: str | Path, name: str) -> optuna.Study:
    """The existing study ``name`` of ``runs_dir``, read with Optuna's default sampler (for listing and plots).

    Raises:
        ValueError: No such study, or its storage cannot be read.
    """
    storage = open_storage(runs_dir, name)
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        raise ValueError(f"the storage of study {name!r} holds no study of that name") from None


def study_names(runs_dir: str | Path) -> list[str]:
    """The studies ``runs_dir`` knows, by name, sorted: journals and database pointers."""
    folder = Path(runs_dir) / STUDIES
    if not folder.is_dir():
        return []
    names = set()
    for path in folder.iterdir():
        for suffix in (JOURNAL_SUFFIX, POINTER_SUFFIX):
            if path.name.endswith(suffix) and RUN_ID_PATTERN.fullmatch(path.name.removesuffix(suffix)):
                names.add(path.name.removesuffix(suffix))
    return sorted(names)


def storage_label(runs_dir: str | Path, name: str) -> str:
    """Where study ``name`` of ``runs_dir`` lives, for listings: its database URL (password hidden) or journal file."""
    pointer = Path(runs_dir) / STUDIES / f"{name}{POINTER_SUFFIX}"
    try:
        return shown_url(database_url(json.loads(pointer.read_text(encoding="utf-8"))["storage"]))
    except (OSError, ValueError, KeyError, TypeError):
        return str(journal_path(runs_dir, name))


def read_meta(study: optuna.Study) -> dict[str, Any]:
    """The settings a study was started with (dataset, model, split, metric, space, …), from its user attrs."""
    return dict(study.user_attrs.get("meta") or {})
