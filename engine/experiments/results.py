"""The runs a comparison reads, from an experiment or from run directories, checked to share one split, and the
comparison printed as text; what a validation figure next to a test figure means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.analysis.comparison import RunResult, compare, headline, training_progress
from engine.experiments.budgets import budget_lines, budget_problem, unequal_warning
from engine.experiments.runner import read_experiment, select_grid_points
from engine.experiments.spec import ExperimentSpec
from engine.runs.rundir import RunDir, RunInfo
from engine.runs.runstore import RunStore

# Config fields that define the split a run is tested on (the seed pairs runs within it)
SPLIT_FIELDS = ("dataset", "data_dir", "split", "test_ratio", "val_ratio", "min_rating", "k_core")


def runs_of_experiment(runs_dir: str | Path, name: str) -> tuple[list[RunInfo], list[str]]:
    """The finished runs of each model's validation-chosen grid point, and notes on members missing.

    Raises:
        ValueError: No such experiment, or none of its chosen members finished.
    """
    document = read_experiment(runs_dir, name)
    try:
        spec = ExperimentSpec(**document["spec"])
    except (KeyError, TypeError):
        raise ValueError(f"experiment {name!r} in {runs_dir} has a damaged experiment.json (no valid 'spec')") from None
    members = spec.members()
    store = RunStore(runs_dir)
    selected = select_grid_points(spec, members, store)
    runs, notes = [], []
    for member in members:
        chosen = selected.get(member.model, {}).get("grid_point", 0)
        if member.grid_point != chosen:
            continue
        run_id = f"{member.run_id}-refit" if spec.refit else member.run_id  # runner.refit_id
        info = RunDir(store.path(run_id)).read() if store.path(run_id).is_dir() else None
        if info is None or info.state != "finished":
            state = info.state if info is not None else "not started"
            notes.append(f"member {run_id} is missing ({state}); rerun the experiment command to finish it")
            continue
        runs.append(info)
    if len(spec.grid_points(spec.models[0])) > 1:
        for model, choice in selected.items():
            notes.append(
                f"{model}: grid point {choice['settings']} chosen on validation {choice['monitor']} "
                f"({choice['validation_mean']:.4f}, mean over seeds)"
            )
    if not runs:
        raise ValueError(f"experiment {name!r} has no finished member yet; run its experiment command first")
    return runs, notes


def runs_of_directories(run_dirs: Sequence[str | Path]) -> list[RunInfo]:
    """The runs in ``run_dirs``, each finished.

    Raises:
        ValueError: A folder that is missing or not a finished run.
    """
    runs = []
    for run_dir in run_dirs:
        if not Path(run_dir).is_dir():
            raise ValueError(f"run directory {run_dir} does not exist")
        info = RunDir(run_dir).read()
        if info.state != "finished":
            raise ValueError(f"run {info.run_id} is {info.state}, not finished: only finished runs have test results")
        runs.append(info)
    return runs


def check_one_split(runs: Sequence[RunInfo]) -> None:
    """``ValueError`` naming two runs that differ in a field of :data:`SPLIT_FIELDS`, or one model run twice on a
    seed."""
    first = runs[0]
    for run in runs[1:]:
        differing = [name for name in SPLIT_FIELDS if run.config.get(name) != first.config.get(name)]
        if differing:
            what = ", ".join(f"{name} {first.config.get(name)!r} vs {run.config.get(name)!r}" for name in differing)
            raise ValueError(
                f"runs {first.run_id} and {run.run_id} are on different datasets or splits ({what}); compare runs "
                "of one dataset and split"
            )
    _check_logged_edges(runs)
    seen: dict[tuple[Any, Any], str] = {}
    for run in runs:
        key = (run.config.get("model"), run.config.get("seed"))
        if key in seen:
            raise ValueError(
                f"runs {seen[key]} and {run.run_id} are both model {key[0]} with seed {key[1]}; pass one of them"
            )
        seen[key] = run.run_id


def _check_logged_edges(runs: Sequence[RunInfo]) -> None:
    """``ValueError`` when a run logged with engine.track (whose config alone does not define its split: it may be
    edges the user chose) is tested on other edges than a run it would be paired with (same seed)."""
    logged = [run for run in runs if RunDir(run.path).track_path.is_file()]
    for run in logged:
        ours = RunDir(run.path).read_split()
        for other in runs:
            if other is run or other.config.get("seed") != run.config.get("seed"):
                continue
            theirs = RunDir(other.path).read_split()
            same = (
                ours is not None
                and theirs is not None
                and all(
                    np.array_equal(ours[name], theirs[name])
                    for name in ("test_user", "test_item", "user_ids", "item_ids")
                )
            )
            if not same:
                raise ValueError(
                    f"runs {run.run_id} and {other.run_id} are not tested on the same edges ({run.run_id} was logged "
                    "with engine.track on a split of its own); compare runs logged on track.split_of(<that run>)"
                )


def validation_test_note(config: Mapping[str, Any]) -> str | None:
    """Why a run's validation figures and its test figures differ in scale (the slices hold different shares of each
    user's interactions), or ``None`` when they do not (leave-one-out, no validation slice).

    Example: ``"Validation and test figures are not on one scale: the test split holds 20% of each user's
    interactions and the validation slice 10%, so a user has 2.0 times as many held-out items to find in test; NDCG@K,
    Precision@K and HitRate@K rise with that, so a test NDCG above the validation one is expected, not a leak."``
    """
    split, test, val = config.get("split") or "random", config.get("test_ratio"), config.get("val_ratio")
    if split == "leave-one-out" or not isinstance(val, (int, float)) or val <= 0:
        return None
    if split == "fixed":
        held = (
            f"the test split is the dataset's own test set and the validation slice {val:.0%} of each user's "
            "training interactions, so the two hold different numbers of items per user"
        )
    elif isinstance(test, (int, float)):
        whose = "each user's interactions" if split == "random" else "the interactions (the latest, by time)"
        held = (
            f"the test split holds {test:.0%} of {whose} and the validation slice {val:.0%}, so a user has "
            f"{test / val:.1f} times as many held-out items to find in test"
        )
    else:
        return None
    return (
        f"Validation and test figures are not on one scale: {held}; NDCG@K, Precision@K and HitRate@K rise with the "
        "number of held-out items, so a test NDCG above the validation one is expected, not a leak. Compare "
        "validation with validation and test with test."
    )


def run_training(run: RunInfo) -> dict[str, Any]:
    """:func:`engine.analysis.comparison.training_progress` of ``run``'s curve of the metric that chose its epoch (on
    validation; on test for a test-selected run)."""
    summary = run.summary or {}
    refit_of = run.config.get("refit_of")
    if refit_of and summary.get("refit"):
        # A refit evaluates nothing while it trains: its length is the selected run's best epoch, so report that run.
        selected = RunDir(run.path.parent / refit_of)
        if selected.path.is_dir() and selected.path != run.path:
            progress = run_training(selected.read())
            return {**progress, "monitor": f"{progress['monitor']} of the run it refits"}
        return training_progress([], [], f"the run it refits ({refit_of}) is not here")
    selected_by = str(summary.get("selected_by") or "")
    if selected_by.startswith("validation "):
        key = selected_by.partition(" ")[2]
    else:
        monitor, ks = run.config.get("monitor", "ndcg"), run.config.get("ks") or [10]
        key = monitor if monitor == "mrr" else f"{monitor}@{max(ks)}"
    split = "validation" if run.protocol == "validation-selected" else "test"
    curve = [
        (record["epoch"], float(record[key]))
        for record in run.metrics
        if isinstance(record.get("epoch"), int) and isinstance(record.get(key), (int, float))
    ]
    epochs, values = [epoch for epoch, _ in curve], [value for _, value in curve]
    return training_progress(epochs, values, f"{split} {key}", bool(summary.get("stopped_early")))


def experiment_comparison(runs_dir: str | Path, name: str, baseline: str, k: int) -> dict[str, Any]:
    """What ``compare --experiment NAME`` prints: :func:`comparison` of the experiment's runs, with its notes and,
    for a tuned comparison, each model's tuning budget.

    Raises:
        ValueError: No such experiment, none of its members finished, or no run of ``baseline``.
    """
    runs, notes = runs_of_experiment(runs_dir, name)
    budgets = read_experiment(runs_dir, name)["spec"].get("tuned") or None
    return comparison(runs, baseline, k, notes, budgets)


def comparison(
    runs: Sequence[RunInfo],
    baseline: str,
    k: int,
    notes: Sequence[str] = (),
    budgets: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """:func:`engine.analysis.comparison.compare` of ``runs`` (checked to share a split), with the runs' dataset,
    split, protocol and whether each was still improving (:func:`run_training`) added; with ``budgets`` (model ->
    what its study spent, a tuned comparison's) those too, and, when they differ by more than 20%
    (:func:`engine.experiments.budgets.budget_problem`), a warning that opens the headline."""
    check_one_split(runs)
    results = [
        RunResult(
            run.run_id,
            str(run.config["model"]),
            int(run.config["seed"]),
            RunDir(run.path).read_per_user(),
            run_training(run),
        )
        for run in runs
    ]
    summary = compare(results, baseline, k)
    first = runs[0].config
    summary["dataset"] = first.get("dataset")
    summary["split"] = {name: first.get(name) for name in SPLIT_FIELDS if name != "dataset"}
    selected = [run.run_id for run in runs if run.protocol == "test-selected"]
    if selected:
        summary["notes"].append(
            f"{len(selected)} run(s) are test-selected (no validation slice: their epochs were chosen looking at the "
            f"test split): {', '.join(selected)}"
        )
    summary["notes"] = [*notes, *summary["notes"]]
    summary["headline"] = headline(summary, f"ndcg@{k}")
    if budgets:
        problem = budget_problem(budgets)
        summary["budgets"] = {model: dict(budget) for model, budget in budgets.items()}
        summary["budget_warning"] = unequal_warning(problem) if problem else None
        if problem:
            summary["headline"] = [summary["budget_warning"], *summary["headline"]]
    return summary


def render(summary: dict[str, Any]) -> str:
    """The comparison as plain text: seeds table, paired differences, activity breakdown, popularity, sentences."""
    baseline, k = summary["baseline"], summary["k"]
    split = summary["split"]
    lines = [
        f"dataset {summary['dataset']}, {split['split']} split (test {split['test_ratio']}, validation "
        f"{split['val_ratio']}), K = {k}, baseline {baseline}",
        "",
        "test metrics over seeds: mean ± std [95% CI, Student's t] (intervals clipped to [0, 1], the metrics' range)",
    ]
    if summary.get("budgets"):
        lines[1:1] = [
            "",
            "tuning budget per model (each at its Optuna study's best configuration; trials = finished + pruned):",
            *(f"  {line}" for line in budget_lines(summary["budgets"])),
        ]
        if summary.get("budget_warning"):
            lines[0:0] = [summary["budget_warning"], ""]  # first, where nobody reads past it
    models = summary["models"]
    rows = [
        [
            "metric",
            *(m + (" (baseline)" if m == baseline else "") + f", {len(models[m]['seeds'])} seed(s)" for m in models),
        ]
    ]
    for name in summary["metrics"]:
        cells = [name]
        for entry in models.values():
            figure = entry[name]
            if figure["std"] is None:
                cells.append(f"{figure['mean']:.4f} (1 seed: no CI)")
            else:
                low, high = figure["ci95"]
                cells.append(f"{figure['mean']:.4f} ± {figure['std']:.4f} [{low:.4f}, {high:.4f}]")
        rows.append(cells)
    lines += _table(rows)
    if summary["paired"]:
        lines += [
            "",
            f"paired per-user difference vs {baseline}: mean [95% bootstrap CI]; {summary['test']}",
        ]
        rows = [["model", "metric", "difference", "95% CI", "p", "p (Holm)", "users", "wins/losses/ties"]]
        for model, paired in summary["paired"].items():
            for name, figure in paired.items():
                low, high = figure["ci95"]
                rows.append(
                    [
                        model,
                        name,
                        f"{figure['mean_difference']:+.4f}",
                        f"[{low:+.4f}, {high:+.4f}]",
                        _p(figure["p_value"]),
                        _p(figure["p_value_holm"]),
                        str(figure["users"]),
                        f"{figure['wins']}/{figure['losses']}/{figure['ties']}",
                    ]
                )
        lines += _table(rows)
    if summary.get("members"):
        lines += [
            "",
            "training length per member: the epoch where the metric that chose its weights peaked, of its last "
            "evaluated epoch",
        ]
        rows = [["run", "model", "seed", "monitor", "best epoch", "last epoch", "still improving"]]
        for member in summary["members"]:
            if member.get("still_improving") is None:
                state = "unknown"
            elif member["best_is_last"]:
                state = "yes: best at its last epoch"
            else:
                state = "yes: still rising" if member["still_rising"] else "no"
            rows.append(
                [
                    member["run_id"],
                    member["model"],
                    str(member["seed"]),
                    str(member.get("monitor", "?")),
                    str(member.get("best_epoch", "?")),
                    str(member.get("last_epoch", "?")),
                    state,
                ]
            )
        lines += _table(rows)
    metric = f"ndcg@{k}"
    if summary["activity"]:
        others = list(summary["paired"])
        lines += ["", f"{metric} by user activity (quintiles of training degree; mean over seeds)"]
        header = ["segment", "train degree", "users", *summary["models"], *(f"{m} - {baseline}" for m in others)]
        rows = [header]
        for row in summary["activity"]:
            cells = [str(row["segment"]), f"{row['degree_min']}-{row['degree_max']}", f"{row['users']:.0f}"]
            cells += [f"{row['mean'].get(m, {}).get(metric, float('nan')):.4f}" for m in summary["models"]]
            cells += [f"{row['difference'].get(m, {}).get(metric, float('nan')):+.4f}" for m in others]
            rows.append(cells)
        lines += _table(rows)
    lines += [
        "",
        f"item popularity: long_tail_share@{k} is the share of each top-{k} outside the 20% most popular training "
        f"items; coverage@{k} the share of the catalogue in any top-{k} (both in the first table)",
        "",
        *summary["headline"],
    ]
    if summary["notes"]:
        lines += ["", "notes:", *(f"  {note}" for note in summary["notes"])]
    return "\n".join(lines)


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
