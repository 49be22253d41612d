"""An Optuna study's figures, Optuna's own (``optuna.visualization``), in our theme (pure: no Streamlit).

Optuna draws the optimisation history, the parameter importances (fANOVA), parallel coordinates, slice plots and the
trials' validation curves; we only restyle them: our template (:func:`engine.plots.theme.themed`), our palette for the
traces Optuna leaves to plotly's, short titles that say what is plotted (a narrow column shows them whole), the
metric's name where Optuna writes "Objective Value" (the value axis, a colour bar), whole trial numbers. A figure a
study cannot have yet (no finished trial; importances before two) is a ``ValueError`` saying why, never an empty
chart.
"""

from __future__ import annotations

import math

import optuna
import plotly.graph_objects as go
from optuna import visualization
from optuna.importance import FanovaImportanceEvaluator
from optuna.trial import TrialState

from engine.plots.figures import LAYOUT
from engine.plots.theme import PALETTE, themed

# kind -> (title, completed trials it needs); short enough for a narrow column (the metric names the value axis)
FIGURES: dict[str, tuple[str, int]] = {
    "history": ("Optimisation history: finished trials, best so far", 1),
    "importances": ("Parameter importances (fANOVA)", 2),
    "parallel": ("Parallel coordinates: each trial's parameters", 1),
    "slice": ("Slice plots: the metric against each parameter", 1),
    "curves": ("Validation curves of every trial (pruned ones stop early)", 1),
}
MAX_TRIAL_TICKS = 10  # trial numbers on the history's x axis: whole numbers, at most about this many
IMPORTANCE_SEED = 0  # fANOVA fits a random forest: seeded, the same study gives the same bars


def completed_trials(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def study_figure(study: optuna.Study, kind: str, metric: str = "objective") -> go.Figure:
    """Optuna's ``kind`` figure of ``study`` (a key of :data:`FIGURES`) in our theme, its value axis named ``metric``.

    Raises:
        ValueError: An unknown ``kind``, or a study without the finished trials the figure needs.
    """
    if kind not in FIGURES:
        raise ValueError(f"unknown study figure {kind!r}; choose among {', '.join(FIGURES)}")
    title, needed = FIGURES[kind]
    done = completed_trials(study)
    if done < needed:
        raise ValueError(
            f"study {study.study_name!r} has {done} finished trial(s); its {kind} figure needs {needed}: wait for more"
        )
    if kind == "history":
        figure = visualization.plot_optimization_history(study, target_name=metric)
        figure.data = [trace for trace in figure.data if trace.x is not None and len(trace.x)]  # no empty "Infeasible"
        for trace in figure.data:
            if trace.name == "Best Value":
                trace.update(name="best so far", line={"color": PALETTE[1], "width": 2})
            elif trace.name == "Objective Value":
                trace.update(name=metric, marker={"color": PALETTE[0], "size": 8})
        trials = len(study.get_trials(deepcopy=False))
        figure.update_xaxes(title_text="trial", tick0=0, dtick=max(1, math.ceil(trials / MAX_TRIAL_TICKS)))
    elif kind == "importances":
        finished = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        params = {name for trial in finished for name in trial.params}
        if not params:
            raise ValueError(f"study {study.study_name!r} searches no parameter: there is nothing to rank")
        try:
            figure = visualization.plot_param_importances(
                study, evaluator=FanovaImportanceEvaluator(seed=IMPORTANCE_SEED), target_name=metric
            )
        except (RuntimeError, ValueError) as error:  # e.g. no parameter took two values in the finished trials
            why = f"the parameter importances of study {study.study_name!r} cannot be computed: {error}"
            raise ValueError(why) from None
        figure.update_traces(marker_color=PALETTE[0])
        figure.update_xaxes(title_text=f"importance for {metric} (shares summing to 1)")
        figure.update_yaxes(title_text="")
    elif kind == "parallel":
        figure = visualization.plot_parallel_coordinate(study, target_name=metric)
    elif kind == "slice":
        figure = visualization.plot_slice(study, target_name=metric)
    else:
        figure = visualization.plot_intermediate_values(study)
        figure.update_xaxes(title_text="epoch")
        figure.update_yaxes(title_text=f"validation {metric}")
        figure.update_layout(showlegend=False)  # one entry per trial: the hover names each
    figure.update_layout(title_text=title, height=LAYOUT["height"] + 60)
    return themed(figure)
