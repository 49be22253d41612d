"""Does model A really beat model B? Statistics of a comparison over seeds and over users (pure: arrays in, dicts out).

The protocol a careful reviewer asks for (Dacrema et al. 2019, "Are we really making much progress?"; Rendle et al.
2020, "Neural Collaborative Filtering vs. Matrix Factorization Revisited"):

- per model, the **mean, standard deviation and 95% confidence interval over seeds** of each test metric (Student's
  t, since there are only a few seeds, clipped to the metric's range [0, 1] and said so; one seed gives no interval,
  two are flagged as too few to tell);
- against a baseline, the **mean paired per-user difference** — each user's metric under the model minus the same
  user's under the baseline, on the same split, averaged over the seeds both ran — with a **95% bootstrap
  interval** (percentile, users resampled) and the **Wilcoxon signed-rank p-value** (``scipy.stats.wilcoxon``),
  **Holm-corrected** across the models compared with the baseline;
- a **breakdown by user activity** (quintiles of training degree) and by **item popularity**: the share of each
  top-K list in the long tail (items outside the 20% most popular in training) and catalogue coverage;
- per member, **whether it was still improving** when training ended (its best validation epoch is its last
  evaluated one, or its curve was still rising over its last evaluations): then a gap may reflect training length,
  not the model, and the headline says so.

Inputs are the arrays a run keeps in ``per_user.npz`` (``engine.training.evaluation.per_user_arrays``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from engine.analysis.statistics import BOOTSTRAP_RESAMPLES, CONFIDENCE, bootstrap_mean_ci, holm, wilcoxon_p_value

HEAD_SHARE = 0.2  # the most popular 20% of items are the head; the rest is the long tail
ACTIVITY_SEGMENTS = 5  # quintiles of training degree
PAIRED_TEST = "Wilcoxon signed-rank (scipy.stats.wilcoxon), Holm-corrected across the models compared"
METRIC_RANGE = (0.0, 1.0)  # every figure compared (recall, ndcg, ..., coverage) is a share or a mean of shares
FEW_SEEDS = 2  # at this many seeds the t interval (1 degree of freedom) is too wide to tell seeds apart
RISING_WINDOW_SHARE = 0.25  # the last quarter of a run's evaluations is where a flattened curve stops rising
RISING_TOLERANCE = 0.01  # relative gain over the earlier best above which that last quarter is "still rising"


@dataclass
class RunResult:
    """One finished run as a comparison sees it.

    Attributes:
        run_id (str): The run's id, named in every refusal.
        model (str): Its model (the comparison's group).
        seed (int): Its seed; runs of one seed share a split and are paired user by user.
        arrays (Mapping[str, np.ndarray]): Its ``per_user.npz``: ``users``, the metrics, ``top_items``,
            ``train_degree``, ``item_degree``, ``num_items``.
        training (Mapping, optional): :func:`training_progress` of its evaluation curve; ``None`` when unknown.
            (default: ``None``)
    """

    run_id: str
    model: str
    seed: int
    arrays: Mapping[str, np.ndarray]
    training: Mapping | None = None


def training_progress(
    epochs: Sequence[int], values: Sequence[float], monitor: str, stopped_early: bool = False
) -> dict:
    """Was a run still improving when its training ended? Read from its curve of the metric that chose its epoch.

    A run counts as still improving when its best value is at its last evaluated epoch, or when it did not stop
    early and the best of its last quarter of evaluations beats the best before them by more than 1% (the curve
    had not flattened). Either way a comparison with it may reflect how long it trained, not the model.

    Args:
        epochs (Sequence[int]): The evaluated epochs, ascending, ``(n,)``.
        values (Sequence[float]): The monitored metric at each, ``(n,)`` (higher is better).
        monitor (str): Its name, e.g. ``"validation ndcg@10"``, for the sentences.
        stopped_early (bool): Early stopping ended the run: its curve had stopped improving. (default: ``False``)

    Returns:
        ``{"monitor", "best_epoch", "last_epoch", "evaluations", "best_is_last", "still_rising",
        "still_improving"}``; with no evaluation the epochs are ``None`` and nothing is flagged.
    """
    if len(epochs) != len(values):
        raise ValueError(f"{len(epochs)} epochs but {len(values)} values of {monitor}")
    progress: dict = {"monitor": monitor, "best_epoch": None, "last_epoch": None, "evaluations": len(values)}
    if not len(values):
        return {**progress, "best_is_last": False, "still_rising": False, "still_improving": False}
    values = np.asarray(values, dtype=np.float64)
    best = int(np.argmax(values))  # the first of equal bests, as the trainer keeps it
    window = max(1, math.ceil(RISING_WINDOW_SHARE * len(values)))
    earlier, last = values[:-window], values[-window:]
    rising = bool(
        not stopped_early and len(earlier) and last.max() > earlier.max() + RISING_TOLERANCE * abs(earlier.max())
    )
    best_is_last = best == len(values) - 1
    return {
        **progress,
        "best_epoch": int(epochs[best]),
        "last_epoch": int(epochs[-1]),
        "best_is_last": best_is_last,
        "still_rising": rising,
        "still_improving": best_is_last or rising,
    }


def seed_summary(
    values: Sequence[float], confidence: float = CONFIDENCE, bounds: tuple[float, float] | None = None
) -> dict:
    """Mean, sample standard deviation and the t confidence interval of one figure over seeds.

    Args:
        values (Sequence[float]): The figure of each seed, ``(n,)``.
        confidence (float): Coverage of the interval. (default: ``0.95``)
        bounds (tuple[float, float], optional): The figure's range: an interval reaching past it is clipped to it
            (a recall cannot be negative) and ``note`` says so. (default: ``None``, no clipping)

    Returns:
        ``{"mean", "std", "ci95", "seeds", "note"}``; with one seed ``std`` and ``ci95`` are ``None`` and ``note``
        says why; with two, ``note`` says they are too few to tell the spread.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    if n == 0:
        raise ValueError("no values to summarise: every model needs at least one finished run")
    mean = float(values.mean())
    if n == 1:
        return {"mean": mean, "std": None, "ci95": None, "seeds": 1, "note": "1 seed: no spread over seeds to show"}
    std = float(values.std(ddof=1))
    quantile = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    half = quantile * std / math.sqrt(n)
    low, high = mean - half, mean + half
    notes = []
    if n <= FEW_SEEDS:
        notes.append(f"{n} seeds: too few to tell (the t interval spans ±{quantile:.1f} standard errors)")
    if bounds is not None and (low < bounds[0] or high > bounds[1]):
        notes.append(f"t interval [{low:.4f}, {high:.4f}] clipped to the range [{bounds[0]:g}, {bounds[1]:g}]")
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return {"mean": mean, "std": std, "ci95": [low, high], "seeds": n, "note": "; ".join(notes) or None}


def activity_segments(train_degree: np.ndarray, segments: int = ACTIVITY_SEGMENTS) -> np.ndarray:
    """Segment (0 = least active) of every user: equal-size groups by training degree, ties broken by position.

    Args:
        train_degree (np.ndarray): Training interactions of each evaluated user, ``(n,)``.
        segments (int): How many groups. (default: 5, quintiles)

    Returns:
        ``(n,)`` int64 in ``[0, segments)``.
    """
    train_degree = np.asarray(train_degree)
    rank = np.empty(len(train_degree), dtype=np.int64)
    rank[np.argsort(train_degree, kind="stable")] = np.arange(len(train_degree))
    return rank * segments // max(len(train_degree), 1)


def head_items(item_degree: np.ndarray, head_share: float = HEAD_SHARE) -> np.ndarray:
    """Boolean mask ``(I,)`` of the head: the ``ceil(head_share * I)`` items with most training interactions
    (ties to the lower id)."""
    item_degree = np.asarray(item_degree)
    count = math.ceil(head_share * len(item_degree))
    head = np.zeros(len(item_degree), dtype=bool)
    head[np.lexsort((np.arange(len(item_degree)), -item_degree))[:count]] = True
    return head


def long_tail_share(top_items: np.ndarray, item_degree: np.ndarray, k: int, head_share: float = HEAD_SHARE):
    """Share of each user's top-``k`` list outside the head, ``(n,)``; empty slots (``-1``) are not counted."""
    listed = np.asarray(top_items)[:, :k]
    filled = listed >= 0
    tail = ~head_items(item_degree, head_share)[np.where(filled, listed, 0)] & filled
    return tail.sum(axis=1) / np.maximum(filled.sum(axis=1), 1)


def coverage(top_items: np.ndarray, k: int, num_items: int) -> float:
    """Share of the catalogue in at least one top-``k`` list."""
    listed = np.asarray(top_items)[:, :k]
    return len(np.unique(listed[listed >= 0])) / num_items


def compare(
    results: Sequence[RunResult],
    baseline: str,
    k: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict:
    """The whole comparison of several models' runs against ``baseline`` at cut-off ``k``.

    Runs of one seed must have been tested on the same users (same split); check the configs before calling.

    Returns:
        ``{"baseline", "k", "metrics", "test", "models": {model: {"seeds", "runs", <metric>: seed_summary}},
        "paired": {model: {<metric>: {"mean_difference", "ci95", "p_value", "p_value_holm", "users", "seeds",
        "wins", "losses", "ties"}}}, "activity": [segment rows], "members": [{"run_id", "model", "seed",
        **training_progress}], "notes"}``. Intervals over seeds are clipped to [0, 1], the metrics' range.

    Raises:
        ValueError: The baseline has no runs, a run lacks the metric at ``k``, or two runs of one seed were tested
            on different users.
    """
    by_model: dict[str, dict[int, RunResult]] = {}
    for result in results:
        by_model.setdefault(result.model, {})[result.seed] = result
    if baseline not in by_model:
        raise ValueError(f"baseline {baseline!r} has no runs here; the models are: {', '.join(sorted(by_model))}")
    metrics = [f"recall@{k}", f"ndcg@{k}", f"precision@{k}", f"hit@{k}", "mrr"]
    for result in results:
        missing = [name for name in metrics if name not in result.arrays]
        if missing:
            raise ValueError(
                f"run {result.run_id} has no per-user {', '.join(missing)}; its K are too small for --k {k}"
            )
    _check_same_users(by_model)

    summary: dict = {
        "baseline": baseline,
        "k": k,
        "metrics": metrics,
        "test": PAIRED_TEST,
        "confidence": CONFIDENCE,
        "models": {},
        "paired": {},
        "activity": [],
        "members": [],
        "notes": [],
    }
    popularity = [f"long_tail_share@{k}", f"coverage@{k}"]
    for model, runs in sorted(by_model.items()):
        seeds = sorted(runs)
        entry: dict = {"seeds": seeds, "runs": [runs[seed].run_id for seed in seeds]}
        for name in metrics:
            entry[name] = seed_summary([runs[seed].arrays[name].mean() for seed in seeds], bounds=METRIC_RANGE)
        entry[popularity[0]] = seed_summary(
            [long_tail_share(runs[s].arrays["top_items"], runs[s].arrays["item_degree"], k).mean() for s in seeds],
            bounds=METRIC_RANGE,
        )
        entry[popularity[1]] = seed_summary(
            [coverage(runs[s].arrays["top_items"], k, int(runs[s].arrays["num_items"])) for s in seeds],
            bounds=METRIC_RANGE,
        )
        summary["models"][model] = entry
        for seed in seeds:
            progress = dict(runs[seed].training or {"best_is_last": None, "still_improving": None})
            summary["members"].append({"run_id": runs[seed].run_id, "model": model, "seed": seed, **progress})
        if len(seeds) == 1:
            summary["notes"].append(f"{model} has 1 seed: no interval over seeds (run --seeds 0,1,2 for one)")
        elif len(seeds) <= FEW_SEEDS:
            summary["notes"].append(
                f"{model} has {len(seeds)} seeds: too few to tell how much its test metrics vary from seed to seed "
                f"(a 95% Student's t interval over {len(seeds)} values spans "
                f"±{stats.t.ppf(0.5 + CONFIDENCE / 2, len(seeds) - 1):.1f} standard errors); run 3 or more seeds "
                "(--seeds 0,1,2,3,4) for an interval that can tell models apart"
            )
        clipped = [name for name in metrics + popularity if "clipped" in (entry[name]["note"] or "")]
        if clipped:
            summary["notes"].append(
                f"{model}: the 95% interval over seeds of {', '.join(clipped)} reached outside [0, 1], the range "
                "these metrics can take, and is clipped to it"
            )
    summary["metrics"] = metrics + popularity

    others = [model for model in sorted(by_model) if model != baseline]
    raw_p: dict[str, dict[str, float]] = {name: {} for name in metrics}
    for model in others:
        seeds = sorted(set(by_model[model]) & set(by_model[baseline]))
        if not seeds:
            summary["notes"].append(
                f"{model} shares no seed with {baseline} (seeds {sorted(by_model[model])} vs "
                f"{sorted(by_model[baseline])}): no paired comparison"
            )
            continue
        pairs = [(by_model[model][seed], by_model[baseline][seed]) for seed in seeds]
        paired = {}
        for name in metrics:
            differences = _per_user_differences(pairs, name)
            raw_p[name][model] = wilcoxon_p_value(differences)
            paired[name] = {
                "mean_difference": float(differences.mean()),
                "ci95": bootstrap_mean_ci(differences, resamples),
                "p_value": raw_p[name][model],
                "users": len(differences),
                "seeds": len(seeds),
                "wins": int((differences > 0).sum()),
                "losses": int((differences < 0).sum()),
                "ties": int((differences == 0).sum()),
            }
        summary["paired"][model] = paired
    for name in metrics:
        for model, adjusted in holm(raw_p[name]).items():
            summary["paired"][model][name]["p_value_holm"] = adjusted
    summary["activity"] = _activity_rows(by_model, baseline, others, metrics)
    return summary


def _check_same_users(by_model: Mapping[str, Mapping[int, RunResult]]) -> None:
    first: dict[int, RunResult] = {}
    for runs in by_model.values():
        for seed, result in runs.items():
            reference = first.setdefault(seed, result)
            if not np.array_equal(reference.arrays["users"], result.arrays["users"]):
                raise ValueError(
                    f"runs {reference.run_id} and {result.run_id} (seed {seed}) were tested on different users: "
                    "they are not on the same split, so they cannot be paired"
                )


def _per_user_differences(pairs: Sequence[tuple[RunResult, RunResult]], name: str) -> np.ndarray:
    """Each user's metric under the model minus under the baseline, averaged over the seeds where the user is tested
    in every seed (splits of different seeds test mostly the same users)."""
    common = pairs[0][0].arrays["users"]
    for model_run, _ in pairs[1:]:
        common = np.intersect1d(common, model_run.arrays["users"])
    total = np.zeros(len(common))
    for model_run, base_run in pairs:
        rows = np.searchsorted(model_run.arrays["users"], common)
        total += model_run.arrays[name][rows] - base_run.arrays[name][rows]
    return total / len(pairs)


def _activity_rows(
    by_model: Mapping[str, Mapping[int, RunResult]], baseline: str, others: Sequence[str], metrics: Sequence[str]
) -> list[dict]:
    """Per quintile of training degree: the degree range, users, each model's mean and the mean paired difference
    against the baseline of every metric, averaged over the baseline's seeds."""
    base_runs = by_model[baseline]
    rows = []
    for segment in range(ACTIVITY_SEGMENTS):
        row: dict = {"segment": segment + 1, "degree_min": None, "degree_max": None, "users": 0, "mean": {}}
        row["difference"] = {model: {} for model in others}
        users, low, high = [], [], []
        means: dict[str, dict[str, list[float]]] = {}
        differences: dict[str, dict[str, list[float]]] = {model: {} for model in others}
        for seed, base in base_runs.items():
            members = activity_segments(base.arrays["train_degree"]) == segment
            if not members.any():
                continue
            degree = base.arrays["train_degree"][members]
            users.append(int(members.sum()))
            low.append(int(degree.min()))
            high.append(int(degree.max()))
            for model, runs in by_model.items():
                if seed in runs:
                    for name in metrics:
                        means.setdefault(model, {}).setdefault(name, []).append(runs[seed].arrays[name][members].mean())
            for model in others:
                if seed in by_model[model]:
                    for name in metrics:
                        gap = by_model[model][seed].arrays[name][members] - base.arrays[name][members]
                        differences[model].setdefault(name, []).append(float(gap.mean()))
        if not users:
            continue
        row.update(degree_min=min(low), degree_max=max(high), users=float(np.mean(users)))
        row["mean"] = {
            model: {name: float(np.mean(v)) for name, v in values.items()} for model, values in means.items()
        }
        row["difference"] = {
            model: {name: float(np.mean(v)) for name, v in values.items()} for model, values in differences.items()
        }
        rows.append(row)
    return rows


def still_improving(summary: Mapping, model: str, seeds: Sequence[int] | None = None) -> str | None:
    """The caveat for ``model`` when one of its members (of ``seeds``) was still improving when training ended, e.g.
    ``"mf was still improving at its last epoch (seed 0: best validation ndcg@10 at its last evaluated epoch, 3 of
    3): the comparison may reflect training length, not the model."``; ``None`` when none was."""
    details = []
    for member in summary.get("members", []):
        if member["model"] != model or not member.get("still_improving") or (seeds and member["seed"] not in seeds):
            continue
        if member["best_is_last"]:
            where = f"at its last evaluated epoch, {member['best_epoch']} of {member['last_epoch']}"
        else:
            where = f"at epoch {member['best_epoch']} of {member['last_epoch']}, still rising over its last quarter"
        details.append(f"seed {member['seed']}: best {member['monitor']} {where}")
    if not details:
        return None
    return (
        f"{model} was still improving at its last epoch ({'; '.join(details)}): the comparison may reflect training "
        "length, not the model."
    )


def headline(summary: Mapping, metric: str) -> list[str]:
    """One plain sentence per model against the baseline on ``metric``, e.g. ``"lightgcn beats mf on ndcg@10 by
    0.031 [0.024, 0.038] (paired per-user difference, 95% bootstrap interval), Holm-corrected Wilcoxon p < 0.001,
    3 seeds; the gain is largest for users with 3-7 training interactions."``, followed by
    :func:`still_improving`'s caveat for either side when a member paired in it was still improving."""
    sentences = []
    baseline = summary["baseline"]
    for model, paired in summary["paired"].items():
        figure = paired[metric]
        difference, (low, high) = figure["mean_difference"], figure["ci95"]
        p_value = figure["p_value_holm"]
        p_text = "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"
        significant = p_value < 1 - summary["confidence"] and (low > 0 or high < 0)
        if significant:
            verb = "beats" if difference > 0 else "loses to"
        else:
            verb = "is not distinguishable from"
        seeds = f"{figure['seeds']} seed{'s' if figure['seeds'] != 1 else ''}"
        sentence = (
            f"{model} {verb} {baseline} on {metric}: {difference:+.4f} [{low:+.4f}, {high:+.4f}] "
            f"(mean paired per-user difference, 95% bootstrap interval), Holm-corrected Wilcoxon {p_text}, {seeds}"
        )
        gaps = [(row["difference"].get(model, {}).get(metric), row) for row in summary["activity"]]
        gaps = [(gap, row) for gap, row in gaps if gap is not None]
        if significant and gaps:
            gap, row = max(gaps, key=lambda pair: pair[0] * np.sign(difference))
            what = "gain" if difference > 0 else "loss"
            sentence += (
                f"; the {what} is largest for users with {row['degree_min']}-{row['degree_max']} training "
                f"interactions ({gap:+.4f})"
            )
        paired_seeds = [member["seed"] for member in summary.get("members", []) if member["model"] == model]
        caveats = [still_improving(summary, side, paired_seeds) for side in (model, baseline)]
        sentences.append(" ".join([sentence + ".", *(caveat for caveat in caveats if caveat)]))
    return sentences
