"""Figure builders: the right traces, axes and values from small known inputs."""

from __future__ import annotations

import numpy as np
import pytest

from engine.plots import figures


def test_degree_distribution_counts_nodes_per_degree_and_leaves_out_zero() -> None:
    figure = figures.degree_distribution(np.array([1, 1, 2, 5, 0]), np.array([3, 3, 3]))
    users, items = figure.data
    assert (users.name, items.name) == ("users", "items")
    assert list(users.x) == [1, 2, 5] and list(users.y) == [2, 1, 1]
    assert list(items.x) == [3] and list(items.y) == [3]
    assert figure.layout.xaxis.type == "log" and figure.layout.yaxis.type == "log"


def test_long_tail_is_sorted_and_annotates_the_head_share() -> None:
    degree = np.array([1, 10, 0, 2, 7, 100, 3, 1, 1, 5])
    figure = figures.popularity_long_tail(degree, head_share=0.2)
    curve = figure.data[0]
    assert list(curve.x) == list(range(1, 11))
    assert curve.y[0] == 100 and curve.y[1] == 10 and np.isnan(curve.y[-1])
    assert np.all(np.diff(curve.y[~np.isnan(curve.y)]) <= 0)
    # top 2 of 10 items hold 110 of 130 interactions
    assert "85% of interactions" in figure.layout.annotations[0].text
    assert figure.layout.yaxis.type == "log"


def test_long_tail_of_a_large_catalogue_is_drawn_through_a_bounded_number_of_ranks() -> None:
    degree = np.random.default_rng(0).zipf(1.5, 50_000) % 10_000  # (I,), some items without interactions
    figure = figures.popularity_long_tail(degree, head_share=0.2)
    curve = figure.data[0]
    ranks, values = np.asarray(curve.x), np.asarray(curve.y, dtype=float)
    assert len(ranks) <= figures.MAX_CURVE_POINTS < len(degree)
    assert ranks[0] == 1 and ranks[-1] == len(degree) and np.all(np.diff(ranks) > 0)
    ranked = np.sort(degree)[::-1]
    drawn = ranked[ranks - 1].astype(float)
    assert np.array_equal(values[~np.isnan(values)], drawn[drawn > 0]) and np.isnan(values[drawn == 0]).all()
    head = ranked[:10_000].sum() / ranked.sum()  # the annotation counts every item, not the drawn ranks
    assert f"{head:.0%} of interactions" in figure.layout.annotations[0].text


@pytest.mark.parametrize("degree", [np.array([], dtype=np.int64), np.zeros(4, dtype=np.int64)])
def test_long_tail_of_empty_or_interactionless_catalogue_draws_without_error(degree: np.ndarray) -> None:
    figure = figures.popularity_long_tail(degree)
    assert len(figure.data) == 1


METRICS = [
    {"epoch": 1, "loss": 0.69, "seconds": 1.0},
    {"epoch": 2, "loss": 0.5, "seconds": 1.2, "recall@10": 0.1, "recall@20": 0.2, "ndcg@20": 0.15, "mrr": 0.3},
    {"epoch": 3, "loss": 0.4, "seconds": 1.1, "recall@10": 0.12, "recall@20": 0.25, "ndcg@20": 0.17, "mrr": 0.31},
]


def test_metric_keys_are_metrics_only_sorted_by_name_then_k() -> None:
    records = [*METRICS, {"epoch": 4, "loss": 0.3, "recall@5": 0.05, "users": 900, "note": "text", "hit@3": True}]
    records.append({"epoch": 5, "recall@<b>x</b>": 0.1, "ndcg@": 0.2})
    assert figures.metric_keys(records) == ["mrr", "ndcg@20", "recall@5", "recall@10", "recall@20"]


def test_loss_and_metric_curves_follow_the_records() -> None:
    loss = figures.loss_curve(METRICS)
    assert list(loss.data[0].x) == [1, 2, 3] and list(loss.data[0].y) == [0.69, 0.5, 0.4]
    metrics = figures.metric_curves(METRICS)
    by_name = {trace.name: trace for trace in metrics.data}
    assert set(by_name) == {"ndcg@20", "recall@10", "recall@20"}  # recall and NDCG by default
    assert list(by_name["recall@20"].x) == [2, 3] and list(by_name["recall@20"].y) == [0.2, 0.25]
    assert [trace.name for trace in figures.metric_curves(METRICS, ["mrr"]).data] == ["mrr"]
    assert metrics.layout.xaxis.dtick == 1 and metrics.layout.xaxis.tickformat == "d"


def test_overlay_draws_one_line_per_run_and_skips_missing_values() -> None:
    other = [{"epoch": 1, "loss": 0.7, "ndcg@20": 0.05}, {"epoch": 2, "loss": 0.6, "ndcg@20": float("nan")}]
    figure = figures.overlay_curves({"a": METRICS, "b": other}, "ndcg@20")
    assert [trace.name for trace in figure.data] == ["a", "b"]
    assert list(figure.data[0].y) == [0.15, 0.17]
    assert list(figure.data[1].x) == [1]
    assert figure.layout.showlegend is True  # even for one run, so the run is named
    assert figure.layout.yaxis.title.text == "ndcg@20"


@pytest.mark.parametrize(
    ("split", "title", "axis"),
    [
        ("val", "Metrics on the validation split", "validation metric"),
        ("test", "Metrics on the test split (test-selected run)", "test metric"),
    ],
)
def test_metric_curves_name_the_split_they_come_from(split, title, axis) -> None:
    figure = figures.metric_curves([{**record, "split": split} for record in METRICS])
    assert figure.layout.title.text == title and figure.layout.yaxis.title.text == axis


def test_overlay_gives_each_run_its_own_hue_and_each_loss_kind_its_own_axis() -> None:
    runs = {"mf-run": METRICS, "pinsage-run": METRICS, "lightgcn-run": METRICS}
    kinds = {"mf-run": "BPR", "pinsage-run": "max-margin", "lightgcn-run": "BPR"}
    figure = figures.overlay_curves(runs, "loss", labels={"mf-run": "mf 01:02:03"}, loss_kinds=kinds)
    assert [trace.name for trace in figure.data] == ["mf 01:02:03", "pinsage-run", "lightgcn-run"]
    assert len({trace.line.color for trace in figure.data}) == 3
    assert [trace.yaxis for trace in figure.data] == ["y", "y2", "y"]
    assert (figure.layout.yaxis.title.text, figure.layout.yaxis2.title.text) == ("BPR loss", "max-margin loss")
    assert "mf-run" in figure.data[0].hovertemplate  # the full id on hover
    one_axis = figures.overlay_curves(runs, "ndcg@20", loss_kinds=kinds)
    assert {trace.yaxis for trace in one_axis.data} == {"y"} and one_axis.layout.yaxis.title.text == "ndcg@20"
