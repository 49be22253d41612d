"""The Runs page's *Resume or clone a run*: Resume continues a stopped, interrupted or failed run (to more epochs if
asked) on the runs directory's worker, as the Train page's Resume does; Clone fills the Train form with a run's
settings (its model, hyper-parameters, trainer settings and dataset), so that a new run changes one of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.components import linked_paths
from dashboard.components.markdown import plain
from dashboard.components.sidebar import CSV_CHOICE
from dashboard.components.train_form import FormField, model_fields, trainer_fields
from dashboard.state import keys, loaders
from engine.commands import resume_command
from engine.jobs.process import resume_training
from engine.runs.names import RunDirError
from engine.runs.rundir import RunInfo

RESUMABLE = ("stopped", "interrupted", "failed")  # what `python -m engine train --resume` continues
TRAIN_PAGE = "views/train.py"


def _widget_value(field: FormField, value: Any) -> Any:
    """``value`` as the form's input for ``field`` holds it (a list of cut-offs is text, ``10, 20``)."""
    if value is None:
        return None
    if field.kind == "int_list":
        return ", ".join(str(int(v)) for v in (value if isinstance(value, list | tuple) else [value]))
    if field.kind == "choice":
        return str(value) if str(value) in field.choices else field.default
    if field.kind == "bool":
        return bool(value)
    if field.kind == "int":
        return int(value)
    if field.kind == "float":
        return float(value)
    return str(value)


def clone_values(config: Mapping[str, Any]) -> dict[str, Any]:
    """The Train form's session-state values that reproduce a run's ``config.json``: its model, then each
    hyper-parameter and trainer setting by widget key (a setting the run did not record keeps the form's default).

    Raises:
        ValueError: The run's model is not one this dashboard knows.
    """
    model = str(config.get("model"))
    fields = model_fields(model)  # raises for an unknown model, naming those it knows
    params = config.get("params") or {}
    values: dict[str, Any] = {keys.TRAIN_MODEL: model}
    for field in fields:
        if field.name in params:
            values[f"{keys.TRAIN_PARAM_PREFIX}{model}_{field.name}"] = _widget_value(field, params[field.name])
    for field in trainer_fields(model):
        if field.name in config:
            values[f"{keys.TRAIN_FIELD_PREFIX}{model}_{field.name}"] = _widget_value(field, config[field.name])
    return values


def fill_form(run: RunInfo) -> None:
    """Clone's ``on_click``: put ``run``'s settings in the Train form's and the sidebar's dataset inputs (a callback,
    because the sidebar's inputs are drawn before the button and cannot change later in the same run)."""
    values = clone_values(run.config)
    dataset, data_dir = str(run.config.get("dataset", "")), run.config.get("data_dir") or ""
    names = [info.name for info in loaders.dataset_infos()]
    if dataset.startswith("csv:"):
        values |= {keys.DATASET_PICK: CSV_CHOICE, keys.CSV_PATH: dataset.removeprefix("csv:")}
    elif dataset in names:
        values[keys.DATASET_PICK] = dataset
    values[keys.DATA_DIR] = str(data_dir)
    for key, value in values.items():
        st.session_state[key] = value
    for key in (keys.CSV_PATH, keys.DATA_DIR):  # the URL names the paths in use, or the sidebar would ask about it
        if key in values:
            linked_paths.follow_field(key)
    st.session_state[keys.TRAIN_CLONED_FROM] = run.run_id


def resume(run: RunInfo, epochs: int, launches: dict) -> None:
    """Resume ``run`` to ``epochs`` in all, then follow it on the Train page."""
    try:
        launches[run.run_id] = resume_training(run, epochs=epochs)
    except RunDirError as error:
        st.error(plain(f"Not resumed: {error}"), icon=":material/block:")
        return
    st.session_state[keys.TRAIN_RUN_ID] = run.run_id
    st.session_state[keys.TRAIN_NOTICE] = (run.run_id, f"Resumed run {run.run_id} to {epochs} epochs.")
    st.switch_page(TRAIN_PAGE)


def show(runs: list[RunInfo], runs_dir: str) -> None:
    """The expander: pick a run; Resume (for a run that can continue) with its total epochs; Clone into the form."""
    by_id = {run.run_id: run for run in runs}
    with st.expander("Resume or clone a run", icon=":material/replay:"):
        run = by_id[st.selectbox("Run", list(by_id), key=keys.RUNS_ACTION_PICK)]
        done = max((int(record.get("epoch", 0)) for record in run.metrics), default=0)
        planned = int(run.config.get("epochs") or done or 1)
        left, right = st.columns(2, vertical_alignment="bottom")
        if run.state in RESUMABLE:
            epochs = int(
                left.number_input(
                    "Train to epoch",
                    min_value=max(done, 1),
                    max_value=100_000,
                    value=max(planned, done, 1),
                    key=f"{keys.RUNS_RESUME_EPOCHS}_{run.run_id}",
                    help=f"its total epochs: it planned {planned} and has {done}; more continues it past its plan",
                )
            )
            if right.button("Resume", icon=":material/play_arrow:", key="runs_resume", type="primary"):
                resume(run, epochs, loaders.launched_processes(runs_dir))
            command = " ".join(["python", *resume_command(run.path, epochs=epochs)[1:-1]])
            st.caption(f"Continues from its last checkpoint, as {plain(command)} does in a shell.")
        else:
            left.caption(
                plain(f"Run {run.run_id} is {run.state}: only a stopped, interrupted or failed run can be resumed.")
            )
        clone_column = right if run.state not in RESUMABLE else st
        try:
            clone_values(run.config)
        except ValueError as error:
            clone_column.caption(plain(f"Cannot be cloned: {error}."))
            return
        if clone_column.button(
            "Clone into the Train form",
            icon=":material/content_copy:",
            key="runs_clone",
            on_click=fill_form,
            args=(run,),
            help="opens the Train page with this run's model, settings and dataset filled in",
        ):
            st.switch_page(TRAIN_PAGE)
