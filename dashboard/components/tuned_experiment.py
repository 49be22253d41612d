"""The Tune page's *Start an experiment with the best configurations*: pick one study per model, see their budgets,
and start ``python -m engine experiment --tuned …`` in the background; its progress and the way to its comparison
are the Train page's experiment section's."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.components import experiment_form
from dashboard.components.markdown import plain
from dashboard.state import keys
from engine.experiments.budgets import BUDGET_TOLERANCE, budget_problem
from engine.experiments.tuned import study_budget, tuned_spec
from engine.tuning import StudyInfo


def default_studies(studies: Sequence[StudyInfo], current: str) -> list[str]:
    """One study per model on ``current``'s dataset and metric, ``current`` first, then the first of each other
    model's by name."""
    by_name = {info.name: info for info in studies}
    chosen = [current] if current in by_name else []
    first = by_name.get(current)
    models = {first.model} if first else set()
    for info in studies:
        same = first is None or (info.dataset, info.metric) == (first.dataset, first.metric)
        if same and info.model not in models:
            chosen.append(info.name)
            models.add(info.model)
    return chosen


def show(runs_dir: Path, studies: Sequence[StudyInfo], current: str) -> None:
    st.subheader("Start an experiment with the best configurations")
    ready = [info for info in studies if info.best_trial is not None and info.error is None]
    if not ready:
        st.info("No study has a finished trial yet.", icon=":material/hourglass_top:")
        return
    names = [info.name for info in ready]
    if keys.TUNED_STUDIES not in st.session_state:
        st.session_state[keys.TUNED_STUDIES] = default_studies(ready, current)
    st.session_state[keys.TUNED_STUDIES] = [name for name in st.session_state[keys.TUNED_STUDIES] if name in names]
    st.caption(
        "Each model runs its study's best configuration over the seeds, on the studies' dataset and split; the "
        f"comparison states each model's budget. Budgets more than {BUDGET_TOLERANCE:.0%} apart in both trials and "
        "CPU-minutes are refused unless you allow them, and then the comparison opens with a warning."
    )
    with st.form("tuned_experiment_form", border=False):
        name = st.text_input("Experiment name", key=keys.TUNED_NAME, placeholder="e.g. tuned-mf-vs-lightgcn")
        chosen = st.multiselect(
            "Studies", names, key=keys.TUNED_STUDIES, help="one per model, all on one dataset, split and metric"
        )
        seeds = st.text_input("Seeds", value="0,1,2", key=keys.TUNED_SEEDS, help="comma-separated, e.g. 0,1,2")
        unequal = st.checkbox(
            f"Run even if the budgets differ by more than {BUDGET_TOLERANCE:.0%}", key=keys.TUNED_UNEQUAL
        )
        refit = st.checkbox(
            "Refit on train + validation",
            key=keys.TUNED_REFIT,
            help="retrain each member on train + validation for its best epoch and compare those refits (test read "
            "once); what a paper that trained on its whole training split is held against",
        )
        submitted = st.form_submit_button(
            "Start an experiment with the best configurations", icon=":material/science:", type="primary"
        )
    _budgets([info for info in ready if info.name in chosen])
    if submitted:
        _start(runs_dir, name, chosen, seeds, unequal, refit)
    experiment_form.show_progress(runs_dir)


def _budgets(chosen: Sequence[StudyInfo]) -> None:
    """The chosen studies' budgets side by side, and whether they differ."""
    if not chosen:
        return
    budgets = {str(info.model): study_budget(info) for info in chosen}
    frame = pd.DataFrame(
        [
            {"model": model, "study": b["study"], "trials": b["trials"], "pruned": b["pruned"],
             "CPU-minutes": b["cpu_minutes"], "best": b["best_value"]}
            for model, b in budgets.items()
        ]
    )  # fmt: skip
    st.dataframe(frame, hide_index=True, key="tuned_budgets", column_config={"best": st.column_config.NumberColumn(
        f"best validation {chosen[0].metric}", format="%.4f")})  # fmt: skip
    problem = budget_problem(budgets) if len({info.model for info in chosen}) == len(chosen) else None
    if problem:
        st.warning(plain(f"Unequal tuning budgets: {problem}."), icon=":material/balance:")


def _start(runs_dir: Path, name: str, chosen: list[str], seeds: str, unequal: bool, refit: bool) -> None:
    if not name.strip():
        st.error(
            plain(
                "Not started: give the experiment a name (letters, digits, '.', '_' or '-'), e.g. tuned-mf-vs-lightgcn"
            ),
            icon=":material/block:",
        )
        return
    if not chosen:
        st.error(
            plain("Not started: pick the studies whose best configurations to compare, one per model"),
            icon=":material/block:",
        )
        return
    seeds = seeds.replace(" ", "")
    experiment_form.launch(
        runs_dir, name, lambda: tuned_spec(runs_dir, name.strip(), chosen, seeds, unequal, refit=refit)
    )
