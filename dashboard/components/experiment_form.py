"""The Train page's experiment form: several models x seeds (x grid points) started as one ``python -m engine
experiment`` process, its progress read from the experiment's folder, and the way to its comparison on the Runs page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from dashboard.components.markdown import plain
from dashboard.plots.progress import run_progress
from dashboard.state import keys, loaders
from engine.experiments import member_states
from engine.experiments.spec import ExperimentSpec
from engine.jobs.process import ExperimentLaunch, start_experiment
from engine.models import MODELS
from engine.runs.logs import log_tail
from engine.runs.runstore import RunStore

REFRESH_SECONDS = 1.0
DEFAULT_MODELS = ["mf", "lightgcn"]
RUNS_PAGE = "views/runs.py"


def spec_of_form(
    name: str, dataset: str, data_dir: str | None, models: list[str], seeds: str, epochs: int | None, grid: str
):
    """The :class:`ExperimentSpec` the form describes, built as ``python -m engine experiment`` builds it from the
    same flags (so the dashboard's experiment and the command's are the same one, and resume each other).

    Raises:
        ValueError: No name, no model, seeds that are not whole numbers, or a bad grid line.
    """
    if not name.strip():
        raise ValueError("give the experiment a name (letters, digits, '.', '_' or '-'), e.g. mf-vs-lightgcn")
    if not models:
        raise ValueError("pick at least one model")
    if not seeds.strip():
        raise ValueError("give at least one seed, e.g. 0,1,2")
    return ExperimentSpec.from_options(
        name=name.strip(),
        dataset=dataset,
        models=",".join(models),
        seeds=seeds.replace(" ", ""),
        grid=[line.strip() for line in grid.splitlines() if line.strip()],
        epochs=epochs,
        data_dir=data_dir,
    )


def show(runs_dir: Path, dataset: str | None, data_dir: str | None) -> None:
    """The form, then the progress of the experiment this session started last."""
    _form(runs_dir, dataset, data_dir)
    show_progress(runs_dir)


def show_progress(runs_dir: Path) -> None:
    """The progress of the experiment this session started last (here or on the Tune page), polled while it runs."""
    launches = loaders.launched_experiments(str(runs_dir))
    name = st.session_state.get(keys.TRAIN_EXPERIMENT)
    if name in launches:
        polling = launches[name].process.poll() is None
        st.fragment(_progress, run_every=REFRESH_SECONDS if polling else None)(runs_dir, launches[name], polling)


def _form(runs_dir: Path, dataset: str | None, data_dir: str | None) -> None:
    st.caption(
        plain(
            f"Every model x seed on {dataset or '(no dataset)'}, validation-selected, one run after another; "
            "the Runs page compares them against a baseline."
        )
    )
    with st.form("experiment_form", border=False):
        name = st.text_input("Experiment name", key=keys.EXPERIMENT_NAME, placeholder="e.g. mf-vs-lightgcn")
        models = st.multiselect("Models", list(MODELS), default=DEFAULT_MODELS, key=keys.EXPERIMENT_MODELS)
        left, right = st.columns(2)
        seeds = left.text_input("Seeds", value="0,1,2", key=keys.EXPERIMENT_SEEDS, help="comma-separated, e.g. 0,1,2")
        epochs = right.number_input(
            "Epochs", min_value=1, value=None, step=1, key=keys.EXPERIMENT_EPOCHS, placeholder="each model's own"
        )
        grid = st.text_area(
            "Grid (optional)",
            key=keys.EXPERIMENT_GRID,
            placeholder="one MODEL.PARAM=V1,V2 a line, e.g.\nmf.lr=0.01,0.001\nlightgcn.lr=0.01,0.001",
            help="Values to try; every model needs as many grid points. Each model's point is chosen on validation.",
            height=90,
        )
        submitted = st.form_submit_button("Start experiment", icon=":material/science:")
    if not submitted:
        return
    if dataset is None:
        st.error("Pick a dataset in the sidebar first (a CSV dataset needs its path).")
        return
    epochs = None if epochs is None else int(epochs)
    launch(runs_dir, name, lambda: spec_of_form(name, dataset, data_dir, models, seeds, epochs, grid))


def launch(runs_dir: Path, name: str, make_spec: Callable[[], ExperimentSpec]) -> None:
    """Start the experiment ``make_spec()`` describes through the worker and follow it on this page; a bad form, or
    an experiment of that name already running from this page, is shown as an error and starts nothing."""
    launches = loaders.launched_experiments(str(runs_dir))
    try:
        if name.strip() in launches and launches[name.strip()].process.poll() is None:
            raise ValueError(f"experiment {name.strip()!r} is already running from this page")
        launched = start_experiment(make_spec(), runs_dir)
    except ValueError as error:
        st.error(plain(f"Not started: {error}"), icon=":material/block:")
        return
    launches[launched.name] = launched
    st.session_state[keys.TRAIN_EXPERIMENT] = launched.name
    st.toast(plain(f"Started experiment {launched.name}"), icon=":material/science:")


def _progress(runs_dir: Path, launch: ExperimentLaunch, polling: bool) -> None:
    """Members finished / total, the member in progress, and, once done, the way to the comparison."""
    alive = launch.process.poll() is None
    if polling and not alive:
        st.rerun()  # the whole page, so that this fragment stops refreshing
    try:
        states = member_states(runs_dir, launch.name)
    except ValueError:
        if alive:
            st.info(plain(f"Starting experiment {launch.name}…"), icon=":material/hourglass_top:")
        else:
            failed(f"Experiment {launch.name}", launch, "resumes it")
        return
    done = sum(state == "finished" for state in states.values())
    now = next((run_id for run_id, state in states.items() if state in ("queued", "running")), None)
    label = f"{done}/{len(states)} runs finished"
    if now is not None:
        label += f" · now {now}, {run_progress(RunStore(runs_dir).get(now)).label}"
    st.markdown(f"**Experiment {plain(launch.name)}**")
    st.progress(done / len(states) if states else 0.0, text=plain(label))
    if alive:
        return
    if launch.process.returncode == 0 and done == len(states):
        st.success(plain(f"Experiment {launch.name} finished: {done} runs."), icon=":material/check_circle:")
    else:
        failed(f"Experiment {launch.name}", launch, "resumes it")
    st.page_link(
        RUNS_PAGE,
        label="Compare on the Runs page",
        help=plain(f"The Runs page's Experiments section, showing {launch.name}"),
        icon=":material/stacked_line_chart:",
        query_params={"experiment": launch.name},
    )


def failed(what: str, launch, again: str) -> None:
    """``what`` (``Experiment x``, ``Study y``) exited with an error: its code, what starting it again does, and its
    log's tail."""
    st.error(
        plain(
            f"{what} exited with code {launch.process.returncode}; starting it again with the same settings {again}."
        ),
        icon=":material/error:",
    )
    st.code(log_tail(launch.log_path) or "(no output)", language="text")
