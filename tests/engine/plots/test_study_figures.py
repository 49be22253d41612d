"""Optuna's study figures in our theme, on a real in-memory study whose answer is known: the objective depends on the
learning rate alone, so fANOVA must rank it first."""

from __future__ import annotations

import math

import optuna
import plotly.io as pio
import pytest

from engine.plots import theme
from engine.plots.study_figures import FIGURES, study_figure
from tests.support.chart_colours import clashes, legend_colours

METRIC = "validation ndcg@20"


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_int("num_layers", 1, 4)  # no effect on the value
    for epoch in range(1, 4):
        trial.report(epoch * 0.01, epoch)
    return 0.5 - abs(math.log10(lr) + 2) * 0.1  # peaks at lr = 0.01


@pytest.fixture(scope="module")
def study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="figures", direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=16)
    return study


@pytest.mark.parametrize("kind", list(FIGURES))
def test_every_figure_is_optunas_in_our_theme_and_names_the_metric(study: optuna.Study, kind: str) -> None:
    figure = study_figure(study, kind, METRIC)
    assert figure.layout.template == theme.TEMPLATE  # ours, not plotly's nor Streamlit's placeholder colours
    assert figure.layout.title.text == FIGURES[kind][0] and len(figure.layout.title.text) <= 60  # fits a column
    assert figure.data, kind
    text = pio.to_json(figure, validate=True)  # a figure plotly.js can draw
    assert METRIC in text and "Objective Value" not in text  # the metric named where Optuna writes its own word


def test_history_draws_each_trial_and_the_best_so_far_in_distinct_palette_colours(study: optuna.Study) -> None:
    figure = study_figure(study, "history", METRIC)
    by_name = {trace.name: trace for trace in figure.data}
    assert len(by_name[METRIC].y) == 16
    best = list(by_name["best so far"].y)
    assert best == sorted(best) and best[-1] == pytest.approx(study.best_value)
    assert (figure.layout.xaxis.tick0, figure.layout.xaxis.dtick) == (0, 2)  # whole trial numbers, 8 of 16
    colours = legend_colours(figure)
    assert not clashes(colours), colours
    assert {colour for _, colour in colours} <= set(theme.PALETTE)


def test_importances_rank_the_parameter_that_matters_first(study: optuna.Study) -> None:
    figure = study_figure(study, "importances", METRIC)
    bars = figure.data[0]
    ranked = sorted(zip(bars.x, bars.y, strict=True), reverse=True)  # (importance, parameter), horizontal bars
    assert ranked[0][1] == "lr" and ranked[0][0] > 0.5
    assert study_figure(study, "importances", METRIC).data[0].x == bars.x  # seeded: the same bars every time


def test_slice_and_parallel_plots_show_every_searched_parameter(study: optuna.Study) -> None:
    slices = study_figure(study, "slice", METRIC)
    titles = {slices.layout[axis].title.text for axis in ("xaxis", "xaxis2")}
    assert titles == {"lr", "num_layers"}
    parallel = study_figure(study, "parallel", METRIC)
    assert [dimension.label for dimension in parallel.data[0].dimensions][1:] == ["lr", "num_layers"]


@pytest.mark.parametrize(("trials", "kind", "message"), [(0, "history", "needs 1"), (1, "importances", "needs 2")])
def test_a_study_without_enough_finished_trials_is_told_not_drawn_empty(trials: int, kind: str, message: str) -> None:
    study = optuna.create_study(study_name="young", direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    study.optimize(objective, n_trials=trials)
    with pytest.raises(ValueError, match=f"study 'young' has {trials} finished trial.*{message}"):
        study_figure(study, kind, METRIC)


def test_an_unknown_figure_is_named() -> None:
    with pytest.raises(ValueError, match="unknown study figure 'pie'; choose among history"):
        study_figure(optuna.create_study(), "pie")
