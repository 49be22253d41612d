"""The statistics of a comparison against hand-checked small cases and scipy, and the per-segment breakdown on a
tiny case whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from engine.analysis.comparison import (
    RunResult,
    activity_segments,
    compare,
    coverage,
    head_items,
    headline,
    long_tail_share,
    seed_summary,
    training_progress,
)
from engine.analysis.statistics import bootstrap_mean_ci, holm, wilcoxon_p_value


def test_seed_summary_is_the_t_interval_checked_by_hand():
    summary = seed_summary([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2 dof) * std 1 / sqrt(3)
    assert summary["mean"] == 2.0 and summary["std"] == pytest.approx(1.0) and summary["seeds"] == 3
    assert summary["ci95"] == pytest.approx([2.0 - half, 2.0 + half])
    low, high = stats.t.interval(0.95, 2, loc=2.0, scale=stats.sem([1.0, 2.0, 3.0]))
    assert summary["ci95"] == pytest.approx([low, high])


def test_one_seed_has_no_interval_and_says_why():
    summary = seed_summary([0.25])
    assert summary["mean"] == 0.25 and summary["std"] is None and summary["ci95"] is None
    assert summary["note"] == "1 seed: no spread over seeds to show"


def test_bootstrap_interval_of_a_constant_is_that_constant_and_matches_scipy_otherwise():
    assert bootstrap_mean_ci(np.full(20, 0.1), resamples=500) == pytest.approx([0.1, 0.1])
    values = np.random.default_rng(0).normal(0.05, 0.2, 300)
    ours = bootstrap_mean_ci(values, resamples=4000)
    reference = stats.bootstrap((values,), np.mean, n_resamples=4000, method="percentile", random_state=1)
    standard_error = values.std(ddof=1) / math.sqrt(len(values))
    assert ours[0] < values.mean() < ours[1]
    assert ours == pytest.approx(
        [reference.confidence_interval.low, reference.confidence_interval.high], abs=0.15 * standard_error
    )
    assert ours == pytest.approx(
        [values.mean() - 1.96 * standard_error, values.mean() + 1.96 * standard_error], abs=0.2 * standard_error
    )


def test_wilcoxon_p_value_by_hand_and_against_scipy():
    # all five differences positive: the exact two-sided p is 2 / 2**5
    assert wilcoxon_p_value(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == pytest.approx(2 / 32)
    differences = np.random.default_rng(1).normal(0.1, 1.0, 200)
    assert wilcoxon_p_value(differences) == pytest.approx(stats.wilcoxon(differences).pvalue)
    assert wilcoxon_p_value(np.zeros(10)) == 1.0


def test_holm_adjustment_by_hand():
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    # sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> kept monotone: 0.03, 0.06, 0.06
    assert adjusted == pytest.approx({"a": 0.03, "c": 0.06, "b": 0.06})
    assert holm({"a": 0.6, "b": 0.7}) == {"a": 1.0, "b": 1.0}
    assert holm({}) == {}


def test_activity_quintiles_and_long_tail_share_on_known_cases():
    assert activity_segments(np.arange(10, 0, -1)).tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    item_degree = np.array([5, 4, 3, 2, 1])
    assert head_items(item_degree).tolist() == [True, False, False, False, False]  # ceil(0.2 * 5) = 1 item
    top = np.array([[0, 1], [2, 3], [0, -1]])
    assert long_tail_share(top, item_degree, k=2).tolist() == [0.5, 1.0, 0.0]
    assert coverage(top, k=2, num_items=5) == 4 / 5 and coverage(top, k=1, num_items=5) == 2 / 5


def _arrays(values: np.ndarray, degree: np.ndarray) -> dict:
    users = np.arange(len(values))
    top = np.stack([users % 4, (users + 1) % 4], axis=1)
    metrics = {f"{name}@2": values for name in ("recall", "ndcg", "precision", "hit")}
    return {
        "users": users, **metrics, "mrr": values, "top_items": top, "train_degree": degree,
        "item_degree": np.array([9, 1, 1, 1]), "num_items": np.array(4),
    }  # fmt: skip


def test_a_gain_only_for_sparse_users_shows_in_their_quintile_alone():
    """Ten users of training degree 1..10; the model adds 0.5 for the two sparsest, nothing for anyone else."""
    degree = np.arange(1, 11)
    base_values = np.linspace(0.1, 0.4, 10)
    gain = np.where(degree <= 2, 0.5, 0.0)
    results = []
    for seed in (0, 1):
        results.append(RunResult(f"mf-{seed}", "mf", seed, _arrays(base_values, degree)))
        results.append(RunResult(f"gnn-{seed}", "gnn", seed, _arrays(base_values + gain, degree)))
    summary = compare(results, baseline="mf", k=2, resamples=500)
    paired = summary["paired"]["gnn"]["ndcg@2"]
    assert paired["mean_difference"] == pytest.approx(0.1) and paired["users"] == 10 and paired["seeds"] == 2
    assert (paired["wins"], paired["losses"], paired["ties"]) == (2, 0, 8)
    assert (
        paired["p_value"] == pytest.approx(stats.wilcoxon(gain).pvalue) and paired["p_value_holm"] == paired["p_value"]
    )
    rows = summary["activity"]
    assert [(row["degree_min"], row["degree_max"]) for row in rows] == [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10)]
    assert [row["difference"]["gnn"]["ndcg@2"] for row in rows] == pytest.approx([0.5, 0, 0, 0, 0])
    assert rows[0]["mean"]["mf"]["ndcg@2"] == pytest.approx(base_values[:2].mean())
    gnn = summary["models"]["gnn"]
    assert gnn["ndcg@2"]["mean"] == pytest.approx((base_values + gain).mean()) and gnn["ndcg@2"]["std"] == 0.0
    assert gnn["long_tail_share@2"]["mean"] == pytest.approx(0.75)  # item 0 is the head, in half the lists
    assert gnn["coverage@2"]["mean"] == 1.0
    assert summary["test"].startswith("Wilcoxon signed-rank") and "Holm" in summary["test"]


def test_headline_names_the_gain_and_its_segment():
    degree = np.arange(1, 41)
    base = np.random.default_rng(0).uniform(0, 0.5, 40)
    gain = np.where(degree <= 8, 0.3, 0.01)
    results = [
        RunResult("mf-0", "mf", 0, _arrays(base, degree)),
        RunResult("gnn-0", "gnn", 0, _arrays(base + gain, degree)),
    ]
    (sentence,) = headline(compare(results, "mf", 2, resamples=500), "ndcg@2")
    assert sentence.startswith("gnn beats mf on ndcg@2: +0.0680 [")
    assert "Holm-corrected Wilcoxon p < 0.001, 1 seed" in sentence
    assert sentence.endswith("largest for users with 1-8 training interactions (+0.3000).")
    flat = [RunResult("mf-0", "mf", 0, _arrays(base, degree)), RunResult("gnn-0", "gnn", 0, _arrays(base, degree))]
    assert "is not distinguishable from mf" in headline(compare(flat, "mf", 2, resamples=100), "ndcg@2")[0]


def test_bad_comparisons_are_refused_naming_the_runs():
    degree = np.arange(1, 6)
    mf = RunResult("mf-0", "mf", 0, _arrays(np.ones(5) / 2, degree))
    other = _arrays(np.ones(6) / 2, np.arange(1, 7))
    with pytest.raises(ValueError, match="runs mf-0 and gnn-0 \\(seed 0\\) were tested on different users"):
        compare([mf, RunResult("gnn-0", "gnn", 0, other)], "mf", 2)
    with pytest.raises(ValueError, match="baseline 'lightgcn' has no runs here; the models are: mf"):
        compare([mf], "lightgcn", 2)
    with pytest.raises(ValueError, match="run mf-0 has no per-user recall@10"):
        compare([mf], "mf", 10)
    single = compare([mf, RunResult("gnn-0", "gnn", 0, _arrays(np.ones(5) / 2, degree))], "mf", 2, resamples=100)
    assert "mf has 1 seed: no interval over seeds" in " ".join(single["notes"])
    assert single["models"]["mf"]["ndcg@2"]["ci95"] is None


def test_an_interval_over_two_seeds_stays_in_the_metrics_range_and_says_two_are_too_few():
    """Issue 25, point 9: two seeds of a small recall gave the Student-t interval [-0.0045, 0.0391]."""
    summary = seed_summary([0.0, 0.0346], bounds=(0.0, 1.0))
    low, high = stats.t.interval(0.95, 1, loc=0.0173, scale=stats.sem([0.0, 0.0346]))
    assert low < 0 and summary["ci95"] == pytest.approx([0.0, high])
    assert "2 seeds: too few to tell" in summary["note"] and "clipped to the range [0, 1]" in summary["note"]
    assert seed_summary([0.30, 0.31, 0.32], bounds=(0.0, 1.0))["note"] is None  # inside the range, 3 seeds: nothing

    degree = np.arange(1, 11)
    results = [
        RunResult(f"{model}-{seed}", model, seed, _arrays(np.full(10, value), degree))
        for model, values in {"mf": (0.0, 0.0346), "gnn": (0.3, 0.31)}.items()
        for seed, value in enumerate(values)
    ]
    summary = compare(results, "mf", 2, resamples=100)
    assert all(entry[name]["ci95"][0] >= 0 and entry[name]["ci95"][1] <= 1
               for entry in summary["models"].values() for name in summary["metrics"])  # fmt: skip
    notes = " ".join(summary["notes"])
    assert "mf has 2 seeds: too few to tell how much its test metrics vary from seed to seed" in notes
    assert "mf: the 95% interval over seeds of recall@2, ndcg@2" in notes and "is clipped to it" in notes


@pytest.mark.parametrize(
    ("values", "stopped_early", "best_is_last", "still_rising"),
    [
        ([0.01, 0.02, 0.023], False, True, True),  # best at the last epoch: still improving
        ([0.1], False, True, False),  # one evaluation is its own last
        ([0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.49], False, False, True),  # peaked in the last quarter, rising to it
        ([0.1, 0.3, 0.35, 0.36, 0.36, 0.358, 0.359, 0.357], False, False, False),  # flat for its last quarter
        ([0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.49], True, False, False),  # early stopping saw it stop improving
    ],
)
def test_training_progress_flags_a_curve_that_was_still_improving(values, stopped_early, best_is_last, still_rising):
    progress = training_progress(list(range(1, len(values) + 1)), values, "validation ndcg@10", stopped_early)
    assert (progress["best_is_last"], progress["still_rising"]) == (best_is_last, still_rising)
    assert progress["still_improving"] == (best_is_last or still_rising)
    assert progress["best_epoch"] == int(np.argmax(values)) + 1 and progress["last_epoch"] == len(values)


def test_the_headline_says_when_a_side_was_still_improving():
    """Issue 25, point 8: 'lightgcn beats mf, p < 0.001' over an MF trained 3 epochs says MF was still improving."""
    degree = np.arange(1, 41)
    base = np.random.default_rng(0).uniform(0, 0.5, 40)
    undertrained = training_progress([1, 2, 3], [0.01, 0.02, 0.023], "validation ndcg@2")
    flat = [0.1, 0.3, 0.35, 0.36, 0.36, 0.358, 0.359, 0.357]
    converged = training_progress(list(range(1, 9)), flat, "validation ndcg@2")
    results = [
        RunResult("mf-0", "mf", 0, _arrays(base, degree), undertrained),
        RunResult("gnn-0", "gnn", 0, _arrays(base + 0.2, degree), converged),
    ]
    summary = compare(results, "mf", 2, resamples=200)
    (sentence,) = headline(summary, "ndcg@2")
    assert sentence.startswith("gnn beats mf on ndcg@2")
    assert sentence.endswith(
        "mf was still improving at its last epoch (seed 0: best validation ndcg@2 at its last evaluated epoch, 3 of "
        "3): the comparison may reflect training length, not the model."
    )
    assert "gnn was still improving" not in sentence
    members = {member["run_id"]: member for member in summary["members"]}
    assert members["mf-0"]["best_is_last"] is True and members["gnn-0"]["best_is_last"] is False
    assert members["mf-0"]["best_epoch"] == 3 and members["gnn-0"]["still_improving"] is False
