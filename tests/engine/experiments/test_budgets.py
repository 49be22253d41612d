"""The budget-equality check of a tuned comparison: the models agree within 20% on trials or on CPU-minutes (the
budget a study was given), or the check names what each got on both."""

from __future__ import annotations

import pytest

from engine.experiments.budgets import budget_lines, budget_problem, unequal_warning


def budgets(**models: tuple[float, float]) -> dict[str, dict[str, float]]:
    return {model: {"trials": trials, "cpu_minutes": minutes} for model, (trials, minutes) in models.items()}


@pytest.mark.parametrize(
    "given",
    [
        budgets(mf=(20, 10.0), lightgcn=(20, 10.0)),
        budgets(mf=(20, 10.0), lightgcn=(24, 12.0)),  # 20% more: the edge is allowed
        budgets(mf=(10, 5.0), lightgcn=(11, 5.9), graphsage=(12, 6.0)),
        budgets(mf=(20, 1.5), lightgcn=(20, 14.0)),  # the same trials (tune --trials 20): MF's are cheaper
        budgets(mf=(90, 10.0), lightgcn=(12, 10.5)),  # the same time (tune --timeout): MF runs more trials
        budgets(mf=(0, 0.0), lightgcn=(0, 0.0)),
        budgets(mf=(20, 10.0)),  # one model: nothing to compare
    ],
)
def test_budgets_within_twenty_percent_on_trials_or_time_are_equal(given: dict) -> None:
    assert budget_problem(given) is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (budgets(mf=(10, 5.0), lightgcn=(30, 15.0)), "lightgcn got 30 trials and mf 10 (3.0x)"),
        (budgets(mf=(20, 5.0), lightgcn=(25, 6.5)), "lightgcn got 25 trials and mf 20 (1.2x); lightgcn got 6.5 CPU"),
        (budgets(mf=(0, 0.0), lightgcn=(3, 1.0)), "lightgcn got 3 trials and mf 0 (the other none)"),
        (budgets(mf=(10, 5.0), lightgcn=(12, 5.5), pinsage=(30, 20.0)), "pinsage got 30 trials and mf 10"),
    ],
)
def test_budgets_more_than_twenty_percent_apart_on_both_are_named(given: dict, message: str) -> None:
    problem = budget_problem(given)
    assert problem is not None and message in problem and problem.endswith("more than 20% apart on both")


def test_both_measures_are_named() -> None:
    assert budget_problem(budgets(mf=(10, 5.0), lightgcn=(20, 10.0))) == (
        "lightgcn got 20 trials and mf 10 (2.0x); lightgcn got 10 CPU-minutes and mf 5 (2.0x); "
        "more than 20% apart on both"
    )


def test_the_tolerance_can_be_tightened() -> None:
    given = budgets(mf=(20, 10.0), lightgcn=(22, 11.0))
    assert budget_problem(given) is None
    assert "lightgcn got 22 trials" in budget_problem(given, tolerance=0.05)


def test_a_measure_a_study_lacks_is_not_compared() -> None:
    assert budget_problem({"mf": {"trials": 10}, "lightgcn": {"trials": 11, "cpu_minutes": 90.0}}) is None
    only_trials = budget_problem({"mf": {"trials": 10}, "lightgcn": {"trials": 30, "cpu_minutes": 90.0}})
    assert only_trials == "lightgcn got 30 trials and mf 10 (3.0x); more than 20% apart"


@pytest.mark.parametrize("bad", [-1, "ten", True])
def test_a_bad_budget_figure_is_refused_naming_it(bad: object) -> None:
    with pytest.raises(ValueError, match=f"lightgcn's budget has trials {bad!r}"):
        budget_problem({"mf": {"trials": 10}, "lightgcn": {"trials": bad}})
    with pytest.raises(ValueError, match="must not be negative"):
        budget_problem({}, tolerance=-0.1)


def test_lines_state_each_models_study_and_spend_and_the_warning_is_loud() -> None:
    given = {
        "mf": {"study": "mf-ml", "trials": 20, "pruned": 6, "failed": 0, "cpu_minutes": 14.24,
               "metric": "ndcg@20", "best_value": 0.31204, "best_trial": 17},
    }  # fmt: skip
    assert budget_lines(given) == [
        "mf: study mf-ml, 20 trials (6 pruned, 0 failed), 14.2 CPU-minutes, best ndcg@20 0.3120 (trial 17)"
    ]
    assert unequal_warning("x").startswith("WARNING: unequal tuning budgets: x.")
