"""Tuning budgets of a tuned comparison: what each model's study spent, and whether the models got the same.

A comparison of tuned models is fair only when every model was searched with the same budget (Rendle et al. 2020;
Dacrema et al. 2019): a model given three times the trials of its baseline wins by search, not by design. A budget is
measured two ways, the trials a study ran (finished and pruned) and the CPU-minutes they took, and a study is given
one of the two: ``tune --trials N`` fixes the trials (an MF trial then costs a fraction of a LightGCN trial's CPU),
``tune --timeout S`` the time (MF then runs many more trials). So budgets are equal when the models agree within
:data:`BUDGET_TOLERANCE` on either measure, and unequal when they differ by more than that on both; a comparison always
states both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BUDGET_TOLERANCE = 0.2  # the larger budget may exceed the smaller by at most this share
MEASURES = (("trials", "trials"), ("cpu_minutes", "CPU-minutes"))  # (budget field, how a sentence names it)


def budget_problem(budgets: Mapping[str, Mapping[str, Any]], tolerance: float = BUDGET_TOLERANCE) -> str | None:
    """Why the budgets of ``budgets`` (model -> ``{"trials": n, "cpu_minutes": m, ...}``) are unequal, or ``None``
    when the models agree within ``tolerance`` on trials or on CPU-minutes (a measure is compared only when every
    model has it).

    Example: ``"lightgcn got 30 trials and mf 10 (3.0x); lightgcn got 9 CPU-minutes and mf 1 (9.0x); more than 20%
    apart on both"``.

    Raises:
        ValueError: ``tolerance`` negative, or a budget figure that is negative or not a number.
    """
    if tolerance < 0:
        raise ValueError(f"the budget tolerance must not be negative (got {tolerance})")
    problems = []
    for field, name in MEASURES:
        values = {model: budget.get(field) for model, budget in budgets.items()}
        if len(values) < 2 or any(value is None for value in values.values()):
            continue
        for model, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{model}'s budget has {field} {value!r}; it must be a number, at least 0")
        largest = max(values, key=lambda model: values[model])
        smallest = min(values, key=lambda model: values[model])
        high, low = values[largest], values[smallest]
        if high <= low * (1 + tolerance):
            return None  # equal on this measure: the budget the studies were given
        ratio = f"{high / low:.1f}x" if low > 0 else "the other none"
        problems.append(f"{largest} got {_figure(high)} {name} and {smallest} {_figure(low)} ({ratio})")
    if not problems:
        return None
    return "; ".join(problems) + f"; more than {tolerance:.0%} apart" + (" on both" if len(problems) > 1 else "")


def budget_lines(budgets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per model: its study and what the study spent, e.g. ``"mf: study mf-ml, 20 trials (6 pruned, 0
    failed), 14.2 CPU-minutes, best validation ndcg@20 0.3120 (trial 17)"``."""
    lines = []
    for model, budget in budgets.items():
        counts = ", ".join(
            f"{budget[state]} {state}" for state in ("pruned", "failed") if isinstance(budget.get(state), int)
        )
        line = f"{model}: study {budget.get('study', '?')}, {budget.get('trials', '?')} trials"
        line += f" ({counts})" if counts else ""
        if isinstance(budget.get("cpu_minutes"), int | float):
            minutes = budget["cpu_minutes"]
            line += f", {minutes:.2f} CPU-minutes" if minutes < 1 else f", {minutes:.1f} CPU-minutes"
        if isinstance(budget.get("best_value"), int | float):
            line += f", best {budget.get('metric', 'value')} {budget['best_value']:.4f}"
            line += f" (trial {budget['best_trial']})" if budget.get("best_trial") is not None else ""
        lines.append(line)
    return lines


def unequal_warning(problem: str) -> str:
    """The loud sentence a comparison of models tuned with unequal budgets opens with."""
    return (
        f"WARNING: unequal tuning budgets: {problem}. The better-searched model may win by search alone; give "
        "every study the same trials and time before reading this comparison as a verdict on the models."
    )


def _figure(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"
