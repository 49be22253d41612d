"""The Neighborhood page replays PyG loader batches a run logged: hops, a drawing, and the leakage check."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.state import keys
from engine.analysis.pyg_batches import load_pyg_batches
from engine.analysis.pyg_leakage import seed_neighborhood
from engine.datasets import load_dataset
from engine.loader.reopen import open_run_graph
from engine.plots.graph_view import replay_view
from tests.dashboard.shown import shown
from tests.support.pyg_batches import log_loader_batches
from tests.support.run_files import fake_run
from tests.support.sample_runs import train_sample_run

NEIGHBORHOOD = "views/neighborhood.py"


@pytest.fixture(scope="module")
def pyg_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GraphSAGE run (1 epoch on the sample data) into which three PyG loader batches were logged."""
    runs_dir = tmp_path_factory.mktemp("pyg-runs")
    run_dir = train_sample_run(runs_dir, "graphsage-pyg", "graphsage", 1)
    log_loader_batches(run_dir, open_run_graph(run_dir).train)  # sampled from the graph the page draws on
    return runs_dir


def texts(at, kind: str) -> list[str]:
    return [shown(element.value) for element in at.get(kind)]


def test_a_leaking_batch_is_flagged_with_its_fix_and_drawn(app_at, pyg_runs):
    at = app_at(NEIGHBORHOOD, runs_dir=pyg_runs)
    assert not at.exception, at.exception
    assert "Replay a logged PyG batch" in texts(at, "subheader")
    assert at.selectbox(key=keys.NEIGHBORHOOD_PYG_BATCH).value == (1, 0)
    errors = texts(at, "error")
    assert any(
        "Leakage: 6 of the batch's 6 positive supervision edges" in e and "disjoint_train_ratio" in e for e in errors
    )
    assert any("python -m engine replay" in c and "--pyg-batch 0" in c for c in texts(at, "caption"))
    (batch,) = [b for b in load_pyg_batches(pyg_runs / "graphsage-pyg", 1) if b.index == 0]
    seed = at.selectbox(key=keys.NEIGHBORHOOD_PYG_SEED).value
    graph = open_run_graph(pyg_runs / "graphsage-pyg").train
    expected = replay_view(graph, seed_neighborhood(batch, seed, graph.num_users)).num_nodes
    assert f'data-nodes="{expected}"' in at.get("iframe")[-1].proto.srcdoc


def test_a_clean_batch_and_a_node_batch(app_at, pyg_runs):
    at = app_at(NEIGHBORHOOD, runs_dir=pyg_runs)
    at.selectbox(key=keys.NEIGHBORHOOD_PYG_BATCH).set_value((1, 1)).run()
    assert not at.exception and not any("Leakage" in e for e in texts(at, "error"))
    assert any("No leakage: none of the batch's 6" in s for s in texts(at, "success"))
    at.selectbox(key=keys.NEIGHBORHOOD_PYG_BATCH).set_value((1, 2)).run()
    assert any("Node batch" in i for i in texts(at, "info"))
    hops = [f.value for f in at.dataframe if "edges sampled" in f.value.columns][0]
    assert hops["asked (num_neighbors × expanded)"].tolist() == ["4", "8"]


@pytest.mark.parametrize("model", ["track:my-pyg-model", "imported"])
def test_batches_of_a_run_the_engine_did_not_train(app_at, pyg_runs, tmp_path, model):
    """A run logged from the user's own loop (model track:<name>) or imported from projector files is no training
    graph to sample, yet its PyG batches are offered, drawn on the whole dataset."""
    import shutil

    runs_dir = tmp_path / "runs"
    shutil.copytree(pyg_runs, runs_dir)
    external = fake_run(runs_dir, "zz-external", model=model)  # newest: listed first
    log_loader_batches(external.path, load_dataset("synthetic"))
    at = app_at(NEIGHBORHOOD, runs_dir=runs_dir)
    assert not at.exception, at.exception
    assert at.selectbox(key=keys.NEIGHBORHOOD_RUN).value == "graphsage-pyg"  # the external run has no training graph
    assert at.selectbox(key=keys.NEIGHBORHOOD_PYG_RUN).value == "graphsage-pyg"  # the page's run first
    at.selectbox(key=keys.NEIGHBORHOOD_PYG_RUN).set_value("zz-external").run()
    assert not at.exception
    assert any("the whole dataset 'synthetic'" in c for c in texts(at, "caption"))
    assert any("Leakage: 6 of the batch's 6" in e for e in texts(at, "error"))
