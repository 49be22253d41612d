"""The sidebar every page shares: the runs directory and the current dataset.

The runs directory comes from, in order: what the user typed in the sidebar, ``--runs-dir`` after ``--`` on the
``streamlit run`` command line, the ``GNN_EXPLORER_RUNS_DIR`` environment variable, and finally ``runs/``. The
dataset likewise starts from ``--dataset`` / ``--data-dir`` and then follows the sidebar's picker. A path the URL
names instead is used only once the user confirms it (:mod:`dashboard.components.linked_paths`).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from dashboard.components import linked_paths
from dashboard.components.markdown import plain
from dashboard.state import keys, loaders
from engine import InteractionGraph
from engine.jobs.client import ensure_worker

RUNS_DIR_ENV = "GNN_EXPLORER_RUNS_DIR"
DEFAULT_RUNS_DIR = "runs"
DEFAULT_DATASET = "synthetic"
CSV_CHOICE = "CSV file…"


class RunsDirError(ValueError):
    """A runs directory that cannot be created, read or written."""


@dataclass(frozen=True)
class LaunchOptions:
    """What the dashboard was started with (``streamlit run dashboard/app.py -- --runs-dir DIR ...``)."""

    runs_dir: str  # folder holding one sub-folder per run
    dataset: str  # registry name or csv:PATH shown first
    data_dir: str | None  # folder holding MovieLens files, if given


def launch_options(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> LaunchOptions:
    """Read the script arguments and environment; unknown arguments are ignored (Streamlit may add its own).

    Args:
        argv (Sequence[str], optional): Script arguments. (default: ``sys.argv[1:]``)
        environ (Mapping[str, str], optional): Environment. (default: ``os.environ``)
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--runs-dir")
    parser.add_argument("--dataset")
    parser.add_argument("--data-dir")
    known, _ = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    environ = os.environ if environ is None else environ
    return LaunchOptions(
        runs_dir=known.runs_dir or environ.get(RUNS_DIR_ENV) or DEFAULT_RUNS_DIR,
        dataset=known.dataset or DEFAULT_DATASET,
        data_dir=known.data_dir or None,
    )


def prepare_runs_dir(path: str | Path) -> Path:
    """Create the runs directory when missing and check that it can be listed and written.

    Args:
        path (str | Path): The folder; relative paths are taken from the current working directory.

    Raises:
        RunsDirError: The folder is a file, cannot be created, or lacks read/write permission.
    """
    if problem := linked_paths.nul_problem("runs directory", str(path)):
        raise RunsDirError(f"{problem}: pick another path")
    runs_dir = Path(path).expanduser().resolve()
    if runs_dir.exists() and not runs_dir.is_dir():
        raise RunsDirError(f"runs directory {str(runs_dir)!r} is a file, not a folder: pick another path")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunsDirError(
            f"runs directory {str(runs_dir)!r} cannot be created ({error.strerror}): pick a folder you can write to"
        ) from error
    if not os.access(runs_dir, os.R_OK | os.W_OK | os.X_OK):
        raise RunsDirError(
            f"runs directory {str(runs_dir)!r} is not readable and writable by this user: fix its permissions "
            "or pick another folder"
        )
    return runs_dir


def dataset_from_choice(choice: str, csv_path: str) -> str | None:
    """The dataset name a sidebar choice stands for, or ``None`` while a CSV path is empty or refused."""
    if choice != CSV_CHOICE:
        return choice
    csv_path = csv_path.strip()
    return f"csv:{csv_path}" if csv_path and csv_refusal(csv_path) is None else None


def csv_refusal(csv_path: str) -> str | None:
    """Why the sidebar will not read ``csv_path`` (it holds a NUL, or is not named ``*.csv``), or ``None``.

    A file that is not a CSV is never opened, so no message can quote a line of it (``/etc/passwd``).
    """
    if problem := linked_paths.nul_problem("interactions CSV", csv_path):
        return problem
    if Path(csv_path.strip()).suffix.lower() != ".csv":
        return (
            f"{csv_path.strip()!r} is not named .csv, so it was not read: the Interactions CSV field takes a "
            f"comma-separated file named *.csv (columns user,item[,rating][,timestamp])"
        )
    return None


def _initialise(options: LaunchOptions, names: list[str]) -> None:
    """Start values from the launch options; only the dataset pick may come from the URL (paths wait, see
    :mod:`dashboard.components.linked_paths`)."""
    st.session_state.setdefault(keys.RUNS_DIR, options.runs_dir)
    st.session_state.setdefault(keys.DATA_DIR, options.data_dir or "")
    if keys.DATASET_PICK not in st.session_state and keys.DATASET_PICK not in st.query_params:
        if options.dataset.startswith("csv:"):
            st.session_state[keys.DATASET_PICK] = CSV_CHOICE
            st.session_state[keys.CSV_PATH] = options.dataset.removeprefix("csv:")
        else:
            st.session_state[keys.DATASET_PICK] = options.dataset if options.dataset in names else names[0]
    st.session_state.setdefault(keys.CSV_PATH, "")


def render() -> bool:
    """Draw the sidebar and leave the resolved runs directory, dataset and data directory in session state.

    Returns:
        bool: Whether the page may run: ``False`` while the URL names a path the user has not confirmed (the main
        area then says so, and nothing is read or created at that path).
    """
    names = [info.name for info in loaders.dataset_infos()]
    descriptions = {info.name: info.description for info in loaders.dataset_infos()}
    _initialise(launch_options(), names)
    in_use = {
        keys.RUNS_DIR: st.session_state[keys.RUNS_DIR].strip() or launch_options().runs_dir,
        keys.DATA_DIR: st.session_state[keys.DATA_DIR],
    }
    if st.session_state.get(keys.DATASET_PICK, st.query_params.get(keys.DATASET_PICK)) == CSV_CHOICE:
        in_use[keys.CSV_PATH] = st.session_state[keys.CSV_PATH]
    asked = linked_paths.requested(in_use)
    with st.sidebar:
        if asked:
            linked_paths.ask(asked)
        st.subheader("Dataset")
        st.selectbox(
            "Dataset",
            [*names, CSV_CHOICE],
            key=keys.DATASET_PICK,
            help="The dataset the Data, Train and Neighborhood pages use.",
            bind="query-params",
        )
        pick = st.session_state[keys.DATASET_PICK]
        if pick == CSV_CHOICE:
            st.text_input(
                "Interactions CSV",
                key=keys.CSV_PATH,
                on_change=linked_paths.follow_field,
                args=(keys.CSV_PATH,),
                placeholder="path/to/interactions.csv",
                help="Columns user,item[,rating][,timestamp]; optional items.csv / users.csv beside it.",
            )
            typed_csv = st.session_state[keys.CSV_PATH].strip()
            if typed_csv and (refusal := csv_refusal(typed_csv)):
                st.error(plain(refusal), icon=":material/block:")
        else:
            st.query_params.pop(keys.CSV_PATH, None)  # the field is gone, and its value with it
            if pick in descriptions:
                st.caption(descriptions[pick])
        st.text_input(
            "MovieLens data folder",
            key=keys.DATA_DIR,
            on_change=linked_paths.follow_field,
            args=(keys.DATA_DIR,),
            placeholder="e.g. ../shared/data/ml-latest-small",
            help="Folder holding the MovieLens files; when empty they are read from the user cache or downloaded.",
        )
        st.session_state[keys.DATASET] = dataset_from_choice(pick, st.session_state[keys.CSV_PATH])
        st.subheader("Runs")
        st.text_input(
            "Runs directory",
            key=keys.RUNS_DIR,
            on_change=linked_paths.follow_field,
            args=(keys.RUNS_DIR,),
            help=f"Default {DEFAULT_RUNS_DIR}/ or ${RUNS_DIR_ENV}.",
        )
        typed = st.session_state[keys.RUNS_DIR].strip()
        try:
            runs_dir = prepare_runs_dir(typed or launch_options().runs_dir)
        except RunsDirError as error:
            st.error(plain(error), icon=":material/folder_off:")
        else:
            # The warm worker that starts runs and computes UMAP maps for this runs directory (a file read when
            # it is already running; GNN_EXPLORER_WORKER=off starts none).
            ensure_worker(runs_dir)
            if not typed:
                st.caption(f"Empty: using the default {plain(runs_dir)}")
            elif str(runs_dir) != typed:
                st.caption(plain(runs_dir))
    if asked:
        linked_paths.explain_wait(asked)
    return not asked


def current_runs_dir() -> Path | None:
    """The usable runs directory, or ``None`` after showing why it is unusable."""
    try:
        return prepare_runs_dir((st.session_state.get(keys.RUNS_DIR) or "").strip() or launch_options().runs_dir)
    except RunsDirError as error:
        st.error(plain(f"{error}. Change it in the sidebar."), icon=":material/folder_off:")
        return None


def current_dataset() -> tuple[str | None, str | None]:
    """The sidebar's dataset name (``None`` while a CSV path is empty) and MovieLens data folder."""
    return st.session_state.get(keys.DATASET), st.session_state.get(keys.DATA_DIR) or None


def current_graph() -> tuple[str, str | None, InteractionGraph]:
    """The sidebar's dataset name, data folder and loaded graph; stops the page with a message when there is none."""
    name, data_dir = current_dataset()
    if name is None:
        typed = str(st.session_state.get(keys.CSV_PATH) or "").strip()
        if typed and (refusal := csv_refusal(typed)):
            st.error(plain(f"{refusal}. Change it in the sidebar."), icon=":material/block:")
        else:
            st.info("Type the path of an interactions CSV in the sidebar.", icon=":material/upload_file:")
        st.stop()
    try:
        return name, data_dir, loaders.graph(name, data_dir)
    except (ValueError, FileNotFoundError, OSError) as error:
        st.error(plain(f"Cannot load dataset {name!r}: {for_the_sidebar(str(error))}"), icon=":material/error:")
        st.stop()


FOLDER_FIELD = "the sidebar's MovieLens data folder"


def for_the_sidebar(message: str) -> str:
    """An engine message telling a command-line user to pass ``--data-dir``, pointing at the sidebar field instead."""
    message = re.sub(r"pass --data-dir (\S+)", rf"type \1 into {FOLDER_FIELD}", message)
    message = re.sub(r" \(or load_dataset\([^)]*\)\)", "", message)
    message = message.replace("fix --data-dir or leave it out", f"fix {FOLDER_FIELD} or leave it empty")
    return message.replace("--data-dir", FOLDER_FIELD)
