"""End to end in Chromium: the Neighborhood page replays PyG loader batches a run logged, a leaking one flagged with
its fix and a clean one not, with a screenshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.loader.reopen import open_run_graph
from tests.browser.test_explore import drawn_nodes, fill_sidebar, graph_frame, no_exception
from tests.support.browser_flows import choose
from tests.support.pyg_batches import log_loader_batches
from tests.support.sample_runs import train_sample_run


@pytest.fixture(scope="module")
def pyg_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GraphSAGE run (1 epoch on the sample data) holding a leaking, a clean and a node batch of PyG's loaders."""
    runs_dir = tmp_path_factory.mktemp("pyg-browser-runs")
    run_dir = train_sample_run(runs_dir, "browser-pyg", "graphsage", 1)
    log_loader_batches(run_dir, open_run_graph(run_dir).train)  # sampled from the graph the page draws on
    return runs_dir


def test_a_leaking_pyg_batch_is_flagged_and_a_clean_one_is_not(page, open_page, wait_for_app, screenshot, pyg_runs_dir):
    fill_sidebar(page, wait_for_app, "Runs directory", str(pyg_runs_dir))
    open_page("Neighborhood")
    no_exception(page)
    expect(page.get_by_role("heading", name="Replay a logged PyG batch")).to_be_visible()
    leak = page.get_by_text("Leakage: 6 of the batch's 6 positive supervision edges", exact=False)
    expect(leak).to_be_visible()
    expect(page.get_by_text("RandomLinkSplit(disjoint_train_ratio=0.3)", exact=False)).to_be_visible()
    expect(page.get_by_text("--pyg-batch 0", exact=False)).to_be_visible()
    frames = page.locator("[data-testid='stIFrame']")
    assert drawn_nodes(graph_frame(page, frames.count() - 1)) > 1  # what the batch fed its seed
    leak.scroll_into_view_if_needed()
    page.wait_for_timeout(2500)
    screenshot(page, "neighborhood-pyg-leaking-batch")

    choose(page, wait_for_app, "PyG batch (3 logged by run browser-pyg)", "epoch 1, batch 1")  # typed, then Enter
    no_exception(page)
    expect(page.get_by_text("No leakage: none of the batch's 6", exact=False)).to_be_visible()
    expect(leak).to_have_count(0)
