"""Runs-page tables and progress from RunInfo records: headline metrics, damage marks, best-per-column, ETA."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from dashboard.plots.progress import format_seconds, run_progress
from dashboard.plots.run_table import (
    TABLE_WIDTH,
    best_per_column,
    column_widths,
    comparison_frame,
    headline_key,
    highlight_best,
    legend_labels,
    metrics_by_cutoff,
    runs_frame,
    split_groups,
)
from engine.runs.rundir import RunInfo


def make_run(
    run_id: str, state: str = "finished", metrics=None, summary=None, damaged=None, config=None, **status
) -> RunInfo:
    return RunInfo(
        run_id=run_id,
        path=Path("/nonexistent") / run_id,
        config={"model": "mf", "dataset": "synthetic", "epochs": 4, **(config or {})},
        status={"state": state, "total_epochs": 4, "started_at": 1_700_000_000.0, **status},
        metrics=metrics or [],
        summary=summary,
        damaged=damaged or [],
    )


CURVE = [
    {"epoch": 1, "loss": 0.7, "seconds": 2.0, "ndcg@10": 0.1, "ndcg@20": 0.12, "recall@10": 0.2, "recall@20": 0.3},
    {"epoch": 2, "loss": 0.6, "seconds": 4.0, "ndcg@10": 0.3, "ndcg@20": 0.32, "recall@10": 0.25, "recall@20": 0.35},
    {"epoch": 3, "loss": 0.5, "seconds": 3.0, "ndcg@10": 0.2, "ndcg@20": 0.22, "recall@10": 0.4, "recall@20": 0.45},
]


def test_headline_key_takes_the_largest_cutoff_numerically() -> None:
    run = make_run("a", metrics=[{"epoch": 1, "ndcg@5": 0.1, "ndcg@100": 0.2, "ndcg@20": 0.3}])
    assert headline_key(run, "ndcg") == "ndcg@100"
    assert headline_key(make_run("b"), "ndcg") is None


def test_runs_frame_reports_best_values_epochs_duration_and_damage() -> None:
    runs = [
        make_run("good", metrics=CURVE, summary={"test": {"ndcg@20": 0.3}, "train_seconds": 9.0}, epoch=3),
        make_run(
            "torn",
            state="running",
            metrics=CURVE[:1],
            damaged=["metrics.jsonl line 2 is incomplete"],
            updated_at=1_700_000_005.0,
        ),
        make_run("empty", state="unknown", damaged=["status.json is missing"]),
    ]
    table = runs_frame(runs).set_index("run")
    assert table.loc["good", "best NDCG"] == pytest.approx(0.32)
    assert table.loc["good", "best Recall"] == pytest.approx(0.45)
    assert table.loc["good", "K"] == 20
    assert table.loc["good", "epochs"] == "3/4" and table.loc["good", "seconds"] == 9.0
    assert table.loc["torn", "status"] == "running (damaged)"
    assert table.loc["torn", "seconds"] == 5.0
    assert table.loc["empty", "status"] == "unknown (damaged)" and math.isnan(table.loc["empty", "best NDCG"])


def test_comparison_lists_every_run_and_highlights_the_best_per_metric() -> None:
    runs = [
        make_run("mf", summary={"test": {"recall@20": 0.2, "ndcg@20": 0.15, "coverage@20": 0.5}}),
        make_run("lightgcn", summary={"test": {"recall@20": 0.3, "ndcg@20": 0.1, "coverage@20": 0.4}}),
        make_run("unfinished", state="running"),
    ]
    frame = comparison_frame(runs)
    assert list(frame.index) == ["mf", "lightgcn", "unfinished"]
    assert list(frame.columns) == ["coverage@20", "ndcg@20", "recall@20"]
    assert frame.loc["unfinished"].isna().all()
    # coverage is not marked (issue 25: "best coverage" went to a near-random MF; a random ranker covers the most)
    assert best_per_column(frame) == {"ndcg@20": ["mf"], "recall@20": ["lightgcn"]}
    html = highlight_best(frame).to_html()
    bold_rule = re.search(r"([^}]*)\{\s*font-weight: bold", html).group(1)
    # shown one row per metric (coverage, ndcg, recall) and one column per run (mf, lightgcn, unfinished)
    assert set(re.findall(r"row(\d)_col(\d)", bold_rule)) == {("1", "0"), ("2", "1")}
    assert "–" in html  # the unfinished run's cells


def test_progress_uses_batches_and_mean_epoch_seconds_for_eta() -> None:
    run = make_run("r", state="running", metrics=CURVE[:2], epoch=2, batch=5, total_batches=10)
    progress = run_progress(run)
    assert progress.epoch == 2 and progress.total_epochs == 4
    assert progress.fraction == pytest.approx(2.5 / 4)
    assert progress.seconds_per_epoch == pytest.approx(3.0)
    assert progress.eta_seconds == pytest.approx(1.5 * 3.0)
    assert progress.label == "epoch 2/4 · ETA 4s"


@pytest.mark.parametrize(("state", "fraction", "eta"), [("finished", 1.0, None), ("stopped", 0.5, None)])
def test_progress_of_ended_runs_has_no_eta(state: str, fraction: float, eta) -> None:
    progress = run_progress(make_run("r", state=state, metrics=CURVE[:2], epoch=2))
    assert progress.fraction == pytest.approx(fraction) and progress.eta_seconds is eta


def test_progress_before_the_first_epoch() -> None:
    progress = run_progress(make_run("r", state="queued"))
    assert (progress.epoch, progress.fraction, progress.eta_seconds) == (0, 0.0, None)
    assert progress.label == "epoch 0/4"


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (59.4, "59s"), (187, "3m 07s"), (3720, "1h 02m")])
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


def test_best_per_column_ignores_all_nan_columns() -> None:
    frame = comparison_frame([make_run("a", summary={"test": {"mrr": np.nan}})])
    assert best_per_column(frame) == {}


def test_metrics_by_cutoff_pivots_metric_by_k_and_keeps_mrr_apart() -> None:
    table, flat = metrics_by_cutoff({"recall@20": 0.3, "recall@5": 0.1, "ndcg@20": 0.2, "mrr": 0.4, "epoch": 3})
    assert list(table.columns) == ["@5", "@20"] and list(table.index) == ["ndcg", "recall"]
    assert table.loc["recall", "@5"] == 0.1 and np.isnan(table.loc["ndcg", "@5"])
    assert flat == {"mrr": 0.4}


def test_runs_frame_says_which_split_chose_each_run() -> None:
    runs = [make_run("validated", protocol="validation-selected"), make_run("peeked", protocol="test-selected")]
    table = runs_frame(runs).set_index("run")
    assert table.loc["validated", "chosen on"] == "validation"
    assert table.loc["peeked", "chosen on"] == "test (test-selected)"


def test_legend_labels_are_short_and_distinct() -> None:
    long_a = make_run("lightgcn-synthetic-20261202-015800-ab12cd34", started_at=1_700_000_000.0)
    long_b = make_run("lightgcn-synthetic-20261202-015800-ffff0001", started_at=1_700_000_000.0)
    short = make_run("my-run")
    labels = legend_labels([long_a, long_b, short])
    assert labels["my-run"] == "my-run"
    assert len(set(labels.values())) == 3 and all(len(label) <= 24 for label in labels.values())
    assert labels[long_a.run_id].startswith("mf ") and labels[long_a.run_id].endswith("…cd34")


def test_runs_of_different_datasets_or_splits_are_never_marked_best_against_each_other() -> None:
    """Issue 25, point 7: a near-random MF on another dataset took "best" in a table of synthetic runs."""
    runs = [
        make_run("mf", summary={"test": {"ndcg@20": 0.10, "coverage@20": 0.3}}),
        make_run("lightgcn", summary={"test": {"ndcg@20": 0.20, "coverage@20": 0.2}}),
        make_run("movielens", summary={"test": {"ndcg@20": 0.50, "coverage@20": 0.9}},
                 config={"dataset": "movielens-latest-small"}),
        make_run("wider-test", summary={"test": {"ndcg@20": 0.40, "coverage@20": 0.9}}, config={"test_ratio": 0.3}),
        make_run("wider-test-2", summary={"test": {"ndcg@20": 0.30, "coverage@20": 0.9}}, config={"test_ratio": 0.3}),
    ]  # fmt: skip
    groups = split_groups(runs)
    assert groups == {
        "mf": "synthetic", "lightgcn": "synthetic", "movielens": "movielens-latest-small",
        "wider-test": "synthetic, test 0.3", "wider-test-2": "synthetic, test 0.3",
    }  # fmt: skip
    frame = comparison_frame(runs)
    assert best_per_column(frame, groups) == {"ndcg@20": ["lightgcn", "wider-test"]}  # movielens has no peer
    html = highlight_best(frame, groups=groups).to_html()
    bold_rule = re.search(r"([^}]*)\{\s*font-weight: bold", html).group(1)
    assert set(re.findall(r"row(\d)_col(\d)", bold_rule)) == {("1", "1"), ("1", "3")}  # row 1: ndcg@20
    assert best_per_column(frame) == {"ndcg@20": ["movielens"]}  # what one group across datasets would claim


def test_legend_names_the_dataset_when_runs_of_several_are_shown() -> None:
    one = [make_run("a"), make_run("b")]
    assert legend_labels(one) == {"a": "a", "b": "b"}
    several = [*one, make_run("c", config={"dataset": "movielens-latest-small"})]
    assert legend_labels(several) == {"a": "a · synthetic", "b": "b · synthetic", "c": "c · movielens-latest-small"}


def test_column_widths_fit_the_table_and_give_the_run_ids_the_rest() -> None:
    cells = {
        "run": ["run", "lightgcn-movielens-latest-small-20261207-163253-aa11bb22"],
        "model": ["model", "graphsage"],
        "status": ["status", "finished (damaged)"],
        "chosen on": ["chosen on", "test (test-selected)"],
        "best NDCG": ["NDCG", "0.1234"],
    }
    widths = column_widths(cells)
    assert sum(widths.values()) == TABLE_WIDTH and widths["run"] > widths["status"] > widths["model"]
    assert widths["chosen on"] >= 6 * len("test (test-selected)")
    crowded = column_widths({"run": ["run"], **{f"c{i}": ["x" * 30] for i in range(10)}})
    assert crowded["run"] == 160  # never squeezed below MIN_RUN_WIDTH


def test_a_logged_runs_own_test_metrics_read_as_reported_by_the_user():
    """Issue 21: a run logged with engine.track without a split has test metrics the engine never computed."""
    reported = make_run("own", config={"model": "track:own"}, summary={"test": {"ndcg@20": 0.3}, "test_source": "user"})
    evaluated = make_run(
        "ours", summary={"test": {"ndcg@20": 0.3}, "test_source": "engine", "protocol": "validation-selected"}
    )
    chosen = runs_frame([reported, evaluated]).set_index("run")["chosen on"]
    assert chosen["own"] == "metrics reported by the user" and chosen["ours"] == "validation"
