"""Train page: pick a model and its hyper-parameters, start a run in a subprocess, watch it live, stop it."""

from __future__ import annotations

import math

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.components import experiment_form, run_picker, sidebar, tune_form
from dashboard.components.markdown import plain
from dashboard.components.train_form import (
    FormField,
    build_config,
    help_text,
    label,
    model_fields,
    out_of_range,
    trainer_fields,
)
from dashboard.plots.progress import format_seconds, run_progress
from dashboard.plots.run_table import metrics_by_cutoff
from dashboard.state import keys, loaders
from engine.commands import resume_command
from engine.jobs.process import resume_training, start_training, stop_training
from engine.models import MODELS, model_class
from engine.plots import figures
from engine.runs.logs import log_tail
from engine.runs.names import ACTIVE_STATES, RUN_STATES, RunDirError
from engine.runs.runstore import RunNotFound

REFRESH_SECONDS = 1.0
PANEL_KEY = "train_live_panel"  # Streamlit gives the panel's container the class st-key-<key>
# After Start the form (taller with Advanced open) can hold the page scrolled below the live panel: bring it up.
SCROLL_TO_PANEL = (
    "<script>document.querySelector('.st-key-" + PANEL_KEY + "')"
    "?.scrollIntoView({behavior: 'smooth', block: 'start'});</script>"
)
BADGE_COLOURS = {"queued": "gray", "running": "blue", "finished": "green", "stopped": "orange"}
RESUMABLE = ("stopped", "interrupted", "failed")  # what `python -m engine train --resume` continues

st.title("Train")
runs_dir = sidebar.current_runs_dir()
if runs_dir is None:
    st.stop()
dataset, data_dir = sidebar.current_dataset()
store = loaders.run_store(str(runs_dir))
launches = loaders.launched_processes(str(runs_dir))


def field_widget(field: FormField, key: str, where: DeltaGenerator) -> object:
    """The input for one form field, drawn in ``where``; numbers are bounded by the field's min/max."""
    name, hint = label(field.name), help_text(field)
    if field.kind == "bool":
        return where.checkbox(name, value=bool(field.default), help=hint, key=key)
    if field.kind == "choice":
        return where.selectbox(name, field.choices, index=field.choices.index(field.default), help=hint, key=key)
    if field.kind == "int_list":
        return where.text_input(name, value=", ".join(map(str, field.default)), help=hint, key=key)
    if field.kind == "str":
        return where.text_input(name, value=str(field.default), help=hint, key=key)
    # No min/max on the widget: the browser would refuse an out-of-range value without telling the server, and
    # Start then did nothing and said nothing. out_of_range() names every such field when Start is pressed.
    if field.kind == "int":
        value = None if field.default is None else int(field.default)
        return where.number_input(name, value=value, step=1, help=hint + bounds(field), key=key)
    step = 10 ** math.floor(math.log10(abs(field.default))) if field.default else 0.5
    value = None if field.default is None else float(field.default)
    return where.number_input(name, value=value, step=step, format="%g", help=hint + bounds(field), key=key)


def bounds(field: FormField) -> str:
    """`` — from 1 to 10000`` for a bounded number field, to end its help with."""
    if field.min is not None and field.max is not None:
        return f" — from {field.min:g} to {field.max:g}"
    if field.min is not None:
        return f" — at least {field.min:g}"
    return f" — at most {field.max:g}" if field.max is not None else ""


def field_grid(fields: list[FormField], key_prefix: str) -> dict[str, object]:
    """Inputs two to a row (the form stays short enough to keep Start and the live panel in view); checkboxes get
    a row each, where their label is not cut short."""
    columns = st.columns(2)
    inputs = [f for f in fields if f.kind != "bool"]
    values = {f.name: field_widget(f, key_prefix + f.name, columns[i % 2]) for i, f in enumerate(inputs)}
    return values | {f.name: field_widget(f, key_prefix + f.name, st) for f in fields if f.kind == "bool"}


def start_form() -> None:
    """Model choice, its hyper-parameters and the trainer settings; Start launches the run."""
    model = st.selectbox("Model", list(MODELS), index=list(MODELS).index("lightgcn"), key=keys.TRAIN_MODEL)
    custom = st.text_input(
        "Custom model",
        key=keys.TRAIN_CUSTOM_MODEL,
        placeholder="package.module:ClassName",
        help="Your own Recommender subclass, trained with the engine's loader, trainer and evaluation instead of the "
        "model above; its package must be importable from the project folder or the PYTHONPATH the dashboard was "
        "started with. `python -m engine check-model package.module:ClassName` checks it against the model "
        "contract first.",
    ).strip()
    if custom:
        try:
            model_class(custom)
        except ValueError as error:
            st.error(plain(f"Custom model: {error}"), icon=":material/error:")
            return
        model = custom
    st.caption(f"Dataset **{plain(dataset or '(none)')}**, chosen in the sidebar.")
    cloned = st.session_state.get(keys.TRAIN_CLONED_FROM)
    if cloned:
        st.info(
            plain(f"Settings of run {cloned}, cloned from the Runs page: change one and start."),
            icon=":material/content_copy:",
        )
    with st.form("train_form", border=True):
        params = field_grid(model_fields(model), f"{keys.TRAIN_PARAM_PREFIX}{model}_")
        trainer = trainer_fields(model)
        prefix = f"{keys.TRAIN_FIELD_PREFIX}{model}_"
        settings = field_grid([f for f in trainer if not f.advanced], prefix)
        with st.expander("Advanced"):
            settings |= field_grid([f for f in trainer if f.advanced], prefix)
        submitted = st.form_submit_button(
            "Start training", type="primary", icon=":material/play_arrow:", key=keys.TRAIN_START
        )
    if not submitted:
        return
    if dataset is None:
        st.error("Pick a dataset in the sidebar first (a CSV dataset needs its path).")
        return
    problems = out_of_range([*model_fields(model), *trainer_fields(model)], params | settings)
    if problems:
        fields = "1 field is" if len(problems) == 1 else f"{len(problems)} fields are"
        st.error(plain(f"Not started: {fields} out of range. " + "; ".join(problems) + "."), icon=":material/block:")
        return
    try:
        config = build_config(dataset, data_dir, model, params, settings)
    except ValueError as error:
        st.error(plain(f"Not started: {error}"), icon=":material/block:")
        return
    try:
        started = start_training(config, runs_dir)
    except ValueError as error:
        st.error(plain(f"Not started: {error}"), icon=":material/block:")
        return
    launches[started.run_id] = started
    st.session_state.pop(keys.TRAIN_CLONED_FROM, None)  # the form's settings are this run's now
    st.session_state[keys.TRAIN_RUN_ID] = started.run_id
    st.session_state[keys.TRAIN_SCROLL] = True
    # In the run's panel, not a toast: a toast covered the run's title and followed the user to other pages.
    st.session_state[keys.TRAIN_NOTICE] = (started.run_id, f"Started run {started.run_id}.")


def followed_run_id(run_ids: list[str]) -> str | None:
    """The run the panel follows: the URL's ``?run=``, else this session's choice, else the newest run."""
    from_url = st.query_params.get("run")
    if from_url and keys.TRAIN_RUN_ID not in st.session_state:
        if from_url not in run_ids:
            st.warning(
                plain(f"The link names run {from_url!r}, which is not in the runs directory."),
                icon=":material/link_off:",
            )
        st.session_state[keys.TRAIN_RUN_ID] = from_url
    current = st.session_state.get(keys.TRAIN_RUN_ID)
    if current not in run_ids:
        current = run_ids[0] if run_ids else None
        st.session_state[keys.TRAIN_RUN_ID] = current
    return current


def starting(run_id: str) -> bool:
    """Whether this session launched ``run_id`` and its process is alive, its directory perhaps not made yet."""
    return run_id in launches and launches[run_id].process.poll() is None


def show_pending(run_id: str) -> None:
    """A launched run whose directory does not exist yet: starting, or failed before creating it."""
    started = launches[run_id]
    if starting(run_id):
        st.info(plain(f"Starting {run_id}…"), icon=":material/hourglass_top:")
        return
    st.error(
        plain(f"Run {run_id} exited with code {started.process.returncode} before it started."), icon=":material/error:"
    )
    st.code(log_tail(started.log_path) or "(no output)", language="text")


def show_notice(where: DeltaGenerator, run_id: str, ended: bool) -> None:
    """This session's last Start, Stop or Resume of ``run_id``, in its panel (a toast covered the run's title and
    followed the user to other pages); said for the last time once the run has ended."""
    notice_run, notice = st.session_state.get(keys.TRAIN_NOTICE) or (None, "")
    if notice_run != run_id:
        return
    where.info(plain(notice), icon=":material/info:")
    if ended:
        del st.session_state[keys.TRAIN_NOTICE]


def live_panel(run_id: str, polling: bool) -> None:
    """Status, progress with ETA, Stop, and the loss and metric curves of one run, re-read every refresh."""
    notice_slot = st.container()  # what Start, Stop or Resume did: at the top of the panel, never over its title
    try:
        run = store.get(run_id)
    except (RunNotFound, ValueError) as error:
        if polling and not starting(run_id):
            st.rerun()
        show_notice(notice_slot, run_id, ended=False)
        if run_id in launches:
            show_pending(run_id)
        else:
            st.error(plain(error), icon=":material/search_off:")
        return
    active = run.state in ACTIVE_STATES
    if polling and not active and not starting(run_id):  # a resumed run reads "stopped" until its process starts
        st.rerun()
    header, button = st.columns([4, 1], vertical_alignment="center")
    model_name, dataset_name = plain(run.config.get("model", "?")), plain(run.config.get("dataset", "?"))
    header.markdown(f"**{plain(run.run_id)}** · {model_name} on {dataset_name}")
    with header:
        # The badge label is Markdown that st.badge wraps itself, so only the run store's own states go in it.
        st.badge(run.state if run.state in RUN_STATES else "unknown", color=BADGE_COLOURS.get(run.state, "red"))
    if active and button.button("Stop", icon=":material/stop:", key=keys.TRAIN_STOP):
        st.session_state[keys.TRAIN_NOTICE] = (run_id, stop_training(run))
    show_notice(notice_slot, run_id, ended=not active and not starting(run_id))
    progress = run_progress(run)
    st.progress(progress.fraction, text=progress.label)
    run_picker.warn_if_damaged(run)
    if run.state in ("failed", "interrupted"):
        st.error(plain(run.status.get("error") or f"The training process died (pid {run.status.get('pid')})."))
        if run.status.get("traceback"):
            with st.expander("Traceback", expanded=True):
                st.code(run.status["traceback"], language="python")
        log = log_tail(run.files.log_path)
        if log:
            with st.expander("Process output"):
                st.code(log, language="text")
    if run.state == "stopped":
        reason = run.status.get("reason") or "stopped before its last epoch; no test metrics"
        st.warning(plain(f"{reason[0].upper()}{reason[1:]}."), icon=":material/stop_circle:")
    if run.state in RESUMABLE:
        resume_button(run)
    if not run.metrics:
        if active:
            st.info("Waiting for the first epoch to finish…", icon=":material/hourglass_top:")
        return
    last = run.metrics[-1]
    cells = st.columns(3)
    cells[0].metric("Loss", f"{last.get('loss', float('nan')):.4f}")
    if progress.seconds_per_epoch is not None:
        cells[1].metric("Seconds / epoch", f"{progress.seconds_per_epoch:.2f}")
    if isinstance(run.status.get("updated_at"), float) and isinstance(run.status.get("started_at"), float):
        cells[2].metric("Elapsed", format_seconds(run.status["updated_at"] - run.status["started_at"]))
    available = figures.metric_keys(run.metrics)
    chosen = st.multiselect(
        "Metric curves", available, default=figures.default_curves(run.metrics), key=keys.TRAIN_CURVES
    )
    left, right = st.columns(2)
    left.plotly_chart(figures.loss_curve(run.metrics), key="train_loss", theme=None)
    right.plotly_chart(figures.metric_curves(run.metrics, chosen), key="train_metrics", theme=None)
    test = (run.summary or {}).get("test")
    if test:
        table, flat = metrics_by_cutoff(test)
        extras = " · ".join(f"{name.upper()} {value:.4f}" for name, value in flat.items())
        st.markdown(f"**Final test metrics** {plain(extras)}")
        st.dataframe(table.style.format("{:.4f}", na_rep="–"), key="train_test_metrics")
    elif not active:
        evaluated = [record for record in run.metrics if figures.metric_keys([record])]
        if evaluated:
            table, flat = metrics_by_cutoff(evaluated[-1])
            extras = " · ".join(f"{name.upper()} {value:.4f}" for name, value in flat.items())
            st.markdown(
                f"**Last evaluated epoch ({evaluated[-1]['epoch']})**, on the "
                f"{'validation' if run.config.get('val_ratio') else 'test'} split during training: {plain(extras)}"
            )
            st.dataframe(table.style.format("{:.4f}", na_rep="–"), key="train_last_metrics")


def resume_button(run) -> None:
    """Resume: continue the run from its last checkpoint, as the CLI's ``--resume`` does (on the warm worker)."""
    command = " ".join(["python", *resume_command(run.path)[1:-1]])  # python -m engine train --resume <run dir>
    if starting(run.run_id):  # its process (this one resuming, or the stopped one) has not exited yet
        return
    left, right = st.columns([2, 5], vertical_alignment="center")
    right.caption(f"Resume continues from the last checkpoint, as {plain(command)} does in a shell.")
    if left.button("Resume", icon=":material/play_arrow:", key=keys.TRAIN_RESUME, type="primary"):
        try:
            launches[run.run_id] = resume_training(run)
        except RunDirError as error:
            st.error(plain(f"Not resumed: {error}"), icon=":material/block:")
            return
        st.session_state[keys.TRAIN_NOTICE] = (run.run_id, f"Resumed run {run.run_id} from its last checkpoint.")
        st.rerun()  # the whole page: the panel polls again


# The form's column wide enough for two number inputs a row with their − / + steppers at 1280×720 (Streamlit hides
# them on an input narrower than about 120 px, as each was with [1, 2] and a large gap).
form_column, panel_column = st.columns([2, 3], gap="medium")
panel_slot = panel_column.empty()  # first in the panel's column, so Start can clear it before the run starts
if st.session_state.get(keys.TRAIN_START):
    # While Start is handled (half a second) the previous run's curves stayed on screen: show the new run's state.
    panel_slot.info("Starting a new run…", icon=":material/hourglass_top:")
with form_column:
    start_form()
    with st.expander("Experiment: several models × seeds", icon=":material/science:"):
        experiment_form.show(runs_dir, dataset, data_dir)
    with st.expander("Tune: search this model's hyper-parameters", icon=":material/tune:"):
        tune_form.show(runs_dir, dataset, data_dir, st.session_state[keys.TRAIN_MODEL])
with panel_slot.container(key=PANEL_KEY):
    if st.session_state.pop(keys.TRAIN_SCROLL, False):
        st.html(SCROLL_TO_PANEL, unsafe_allow_javascript=True)  # a fixed script: no user text in it
    runs = store.list()
    active_ids = [run.run_id for run in runs if run.state in ACTIVE_STATES]
    listed = {run.run_id for run in runs}
    pending = [run_id for run_id in launches if run_id not in listed]
    run_ids = pending + active_ids + [run.run_id for run in runs if run.run_id not in active_ids]
    run_id = followed_run_id(run_ids)
    if run_id is None:
        st.info("No runs yet: choose a model and press **Start training**.", icon=":material/model_training:")
        st.stop()
    st.selectbox(
        "Follow run",
        run_ids,
        key=keys.TRAIN_RUN_ID,
        format_func=lambda name: f"{name}  (running)" if name in active_ids else name,
        help=f"{len(active_ids)} running now. Runs keep going when this tab closes.",
    )
    run_id = st.session_state[keys.TRAIN_RUN_ID]
    st.query_params["run"] = run_id
    polling = run_id in active_ids or starting(run_id)
    st.fragment(live_panel, run_every=REFRESH_SECONDS if polling else None)(run_id, polling)
