"""The Train page's study form: an Optuna study of the chosen model (trials, minutes or both), started as ``python -m
engine tune`` on the dashboard's worker, its progress and optimisation history read from the study's storage, and the
way to the Tune page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.components import experiment_form
from dashboard.components.markdown import plain
from dashboard.plots.study_table import progress_text
from dashboard.state import keys, loaders
from engine.jobs.process import TuneLaunch, start_tuning
from engine.plots.study_figures import study_figure
from engine.tuning import describe, load_study

REFRESH_SECONDS = 1.0
TUNE_PAGE = "views/tune.py"
DEFAULT_TRIALS = 20
TRIALS_UNDER_TIME = 10_000  # the trials asked when only minutes are given: the time ends the study


def budget(trials: int | None, minutes: float | None) -> tuple[int, float | None]:
    """``(trials, timeout seconds)`` the form's fields ask for: trials alone, minutes alone (the trials then have no
    limit), both (whichever comes first), or neither (:data:`DEFAULT_TRIALS` trials).

    Raises:
        ValueError: A number that is not positive.
    """
    if trials is not None and trials < 1:
        raise ValueError(f"trials must be at least 1 (got {trials})")
    if minutes is not None and not minutes > 0:
        raise ValueError(f"minutes must be more than 0 (got {minutes:g})")
    if trials is None:
        trials = DEFAULT_TRIALS if minutes is None else TRIALS_UNDER_TIME
    return int(trials), (None if minutes is None else minutes * 60)


def show(runs_dir: Path, dataset: str | None, data_dir: str | None, model: str) -> None:
    """The form, then the progress of the study this session started last."""
    launches = loaders.launched_studies(str(runs_dir))
    _form(runs_dir, dataset, data_dir, model, launches)
    name = st.session_state.get(keys.TRAIN_STUDY)
    if name in launches:
        polling = launches[name].process.poll() is None
        st.fragment(_progress, run_every=REFRESH_SECONDS if polling else None)(runs_dir, launches[name], polling)


def _form(runs_dir: Path, dataset: str | None, data_dir: str | None, model: str, launches: dict) -> None:
    st.caption(
        plain(
            f"Search {model}'s hyper-parameters on {dataset or '(no dataset)'} with Optuna (TPE, median pruning on "
            "the validation metric): each trial is a run; the study stops at the trials or the minutes, whichever "
            "comes first. Starting a study again with the same settings continues it."
        )
    )
    with st.form("tune_form", border=False):
        name = st.text_input("Study name", key=keys.TUNE_NAME, placeholder=f"e.g. {model}-{dataset or 'data'}")
        trials_column, minutes_column, epochs_column = st.columns(3)
        trials = trials_column.number_input(
            "Trials",
            value=None,
            step=1,
            key=keys.TUNE_TRIALS,
            placeholder=str(DEFAULT_TRIALS),
            help=f"finished or pruned trials the study must hold; {DEFAULT_TRIALS} when neither trials nor minutes "
            "are given, no limit when only minutes are",
        )
        minutes = minutes_column.number_input(
            "Minutes",
            value=None,
            step=1.0,
            key=keys.TUNE_MINUTES,
            placeholder="no limit",
            help="no trial starts after this many minutes",
        )
        epochs = epochs_column.number_input(
            "Epochs per trial", value=None, step=1, key=keys.TUNE_EPOCHS, placeholder=f"{model}'s own",
            help="the most epochs a trial trains; pruning and early stopping may end it sooner",
        )  # fmt: skip
        submitted = st.form_submit_button("Start study", icon=":material/tune:")
    if not submitted:
        return
    if dataset is None:
        st.error("Pick a dataset in the sidebar first (a CSV dataset needs its path).")
        return
    name = name.strip()
    try:
        if not name:
            raise ValueError(f"give the study a name (letters, digits, '.', '_' or '-'), e.g. {model}-{dataset}")
        if name in launches and launches[name].process.poll() is None:
            raise ValueError(f"study {name!r} is already running from this page")
        if epochs is not None and epochs < 1:
            raise ValueError(f"epochs per trial must be at least 1 (got {epochs})")
        count, timeout = budget(None if trials is None else int(trials), minutes)
        launched = start_tuning(
            name, dataset, model, runs_dir, data_dir, count, timeout, None if epochs is None else int(epochs)
        )
    except ValueError as error:
        st.error(plain(f"Not started: {error}"), icon=":material/block:")
        return
    launches[launched.name] = launched
    st.session_state[keys.TRAIN_STUDY] = launched.name
    st.session_state[keys.TRAIN_STUDY_TRIALS] = None if count == TRIALS_UNDER_TIME else count
    st.toast(plain(f"Started study {launched.name}"), icon=":material/tune:")


def _progress(runs_dir: Path, launch: TuneLaunch, polling: bool) -> None:
    """Trials by state, the optimisation history once a trial has finished, and the way to the Tune page."""
    alive = launch.process.poll() is None
    if polling and not alive:
        st.rerun()  # the whole page, so that this fragment stops refreshing
    try:
        study = load_study(runs_dir, launch.name)
    except ValueError:
        if alive:
            st.info(plain(f"Starting study {launch.name}…"), icon=":material/hourglass_top:")
        else:
            experiment_form.failed(f"Study {launch.name}", launch, "continues it")
        return
    info = describe(launch.name, study)
    target = st.session_state.get(keys.TRAIN_STUDY_TRIALS)
    st.markdown(f"**Study {plain(launch.name)}**")
    fraction = min(info.trials / target, 1.0) if target else 0.0
    st.progress(fraction, text=plain(progress_text(info, target)))
    if info.done:
        metric = f"validation {info.metric}"
        st.plotly_chart(study_figure(study, "history", metric), key="train_study_history", theme=None)
    if not alive:
        if launch.process.returncode == 0:
            text = f"Study {launch.name} finished: {progress_text(info)}"
            if info.done:
                text += f"; best validation {info.metric} {info.best_value:.4f} (trial {info.best_trial})"
            st.success(plain(text + "."), icon=":material/check_circle:")
        else:
            experiment_form.failed(f"Study {launch.name}", launch, "continues it")
    st.page_link(
        TUNE_PAGE,
        label="Open in the Tune view",
        help=plain(f"The Tune page, showing study {launch.name}: its figures, best configuration and runs"),
        icon=":material/tune:",
        query_params={"study": launch.name},
    )
