"""AppTest of the Runs page's experiment comparison over a really trained experiment, and its pure builders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dashboard.state import keys
from engine.experiments import ExperimentSpec, run_experiment
from engine.plots.comparison import activity_bars, forest_plot, seeds_frame
from tests.dashboard.shown import shown

PAGE = "views/runs.py"


@pytest.fixture(scope="module")
def experiment_dir(tmp_path_factory) -> Path:
    runs_dir = tmp_path_factory.mktemp("experiment-runs")
    spec = ExperimentSpec("pair", "synthetic", ["mf", "lightgcn"], [0, 1], epochs=1, base={"ks": [10], "dim": 16})
    run_experiment(spec, runs_dir, progress=False)
    return runs_dir


def test_runs_page_shows_the_experiment_comparison(app_at, frame_with, experiment_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=experiment_dir)
    assert not at.exception
    assert at.selectbox(key=keys.RUNS_EXPERIMENT).value == "pair"
    at.selectbox(key=keys.RUNS_BASELINE).set_value("mf").run()
    assert not at.exception
    members = frame_with(at, "grid point")
    assert sorted(members["run"]) == sorted(f"pair-{m}-g0-s{s}" for m in ("mf", "lightgcn") for s in (0, 1))
    assert set(members["status"]) == {"finished"}
    seeds = frame_with(at, "seeds")  # the first frame with that column: the table over seeds
    assert set(seeds.index) == {"mf (baseline)", "lightgcn"} and list(seeds["seeds"]) == [2, 2]
    assert all(" ± " in cell and "[" in cell for cell in seeds["ndcg@10"])
    text = " ".join(shown(markdown.value) for markdown in at.markdown)
    assert "lightgcn beats mf on ndcg@10" in text or "lightgcn is not distinguishable from mf on ndcg@10" in text
    assert "2 seeds" in text
    # issue 25, point 8: one epoch each, so every member's best epoch is its last
    assert "mf was still improving at its last epoch" in text and "training length, not the model" in text
    captions = " ".join(shown(caption.value) for caption in at.caption)
    assert "clipped to [0, 1]" in captions and "mf has 2 seeds: too few to tell" in captions
    forest = next(json.loads(chart.proto.spec) for chart in at.get("plotly_chart") if "Paired" in chart.proto.spec)
    assert forest["data"][0]["y"] == ["lightgcn"]
    assert len(frame_with(at, "training degree")) == 5
    bars = next(
        json.loads(chart.proto.spec) for chart in at.get("plotly_chart") if "by user activity" in chart.proto.spec
    )
    assert [trace["name"] for trace in bars["data"]] == ["lightgcn"] and len(bars["data"][0]["x"]) == 5


def test_the_train_pages_link_selects_its_experiment(app_at, tmp_path: Path) -> None:
    """``?experiment=NAME`` (the link the Train page shows when an experiment ends) selects that experiment; the URL
    then follows the choice."""
    for name in ("first", "second"):
        run_experiment(ExperimentSpec(name, "synthetic", ["mf"], [0], epochs=1, base={"dim": 8}), tmp_path, False)
    at = app_at(PAGE, runs_dir=tmp_path, query={"experiment": "second"})
    assert not at.exception
    assert at.selectbox(key=keys.RUNS_EXPERIMENT).value == "second"
    at.selectbox(key=keys.RUNS_EXPERIMENT).set_value("first").run()
    assert not at.exception and at.query_params["experiment"] == "first"


def test_runs_page_without_experiments_shows_no_experiment_section(app_at) -> None:
    at = app_at(PAGE)
    assert not at.exception
    assert all(box.key != keys.RUNS_EXPERIMENT for box in at.selectbox)


SUMMARY = {
    "baseline": "mf",
    "metrics": ["ndcg@10"],
    "models": {
        "mf": {"seeds": [0], "ndcg@10": {"mean": 0.1, "std": None, "ci95": None}},
        "gnn": {"seeds": [0, 1], "ndcg@10": {"mean": 0.2, "std": 0.01, "ci95": [0.15, 0.25]}},
    },
    "paired": {"gnn": {"ndcg@10": {"mean_difference": 0.1, "ci95": [0.07, 0.12]}}},
    "activity": [
        {"degree_min": 1, "degree_max": 4, "difference": {"gnn": {"ndcg@10": 0.3}}},
        {"degree_min": 5, "degree_max": 9, "difference": {"gnn": {"ndcg@10": -0.1}}},
    ],
}


def test_forest_plot_draws_the_interval_around_the_difference() -> None:
    trace = forest_plot(SUMMARY, "ndcg@10").data[0]
    assert list(trace.x) == [0.1] and list(trace.y) == ["gnn"]
    assert trace.error_x.array[0] == pytest.approx(0.02) and trace.error_x.arrayminus[0] == pytest.approx(0.03)


def test_seeds_table_marks_the_baseline_and_a_single_seed() -> None:
    frame = seeds_frame(SUMMARY)
    assert frame.loc["mf (baseline)", "ndcg@10"] == "0.1000 (1 seed: no CI)"
    assert frame.loc["gnn", "ndcg@10"] == "0.2000 ± 0.0100 [0.1500, 0.2500]"


def test_activity_bars_are_the_gaps_per_segment() -> None:
    (trace,) = activity_bars(SUMMARY, "ndcg@10").data
    assert trace.name == "gnn" and list(trace.x) == ["1-4", "5-9"] and list(trace.y) == [0.3, -0.1]
