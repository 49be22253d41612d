"""End to end in Chromium: the Neighborhood page on a run's training graph, a PinSage run's stored neighborhood and a
replayed training batch, with screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_explore import assert_fits_frame, drawn_nodes, fill_sidebar, graph_frame, no_exception
from tests.support.sample_runs import train_sample_run


@pytest.fixture(scope="module")
def sampled_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PinSage and then a GraphSAGE run, 1 epoch each on the sample data, trained by the training CLI."""
    runs_dir = tmp_path_factory.mktemp("neighborhood-browser-runs")
    train_sample_run(runs_dir, "browser-pinsage", "pinsage", epochs=1)
    train_sample_run(runs_dir, "browser-graphsage", "graphsage", epochs=1)
    return runs_dir


def test_a_runs_training_graph_stored_neighborhood_and_replayed_batch(
    page, open_page, wait_for_app, screenshot, sampled_runs_dir
):
    fill_sidebar(page, wait_for_app, "Runs directory", str(sampled_runs_dir))
    open_page("Neighborhood")
    no_exception(page)
    expect(page.get_by_text("Sampling the training graph of run browser-graphsage")).to_be_visible()
    expect(page.get_by_label("Fanouts per hop")).to_have_value("10, 10")  # GraphSAGE's own 2 x 10
    assert drawn_nodes(graph_frame(page)) > 10
    expect(page.get_by_role("heading", name="Replay training")).to_be_visible()
    replayed = graph_frame(page, 1)
    assert drawn_nodes(replayed) > 5
    assert_fits_frame(page, 0)
    assert_fits_frame(page, 1)  # the replayed batch's drawing was cut at the frame's bottom (issue 25, point 5)
    expect(page.get_by_text("python -m engine replay", exact=False)).to_be_visible()
    page.wait_for_timeout(2500)  # let both layouts settle for the picture
    screenshot(page, "neighborhood-run-graph-and-replay")

    page.get_by_label("Run", exact=True).click()
    page.get_by_role("option").filter(has_text="browser-pinsage").click()
    wait_for_app(page)
    no_exception(page)
    expect(page.get_by_text("Stored for inference vs this draw")).to_be_visible()
    expect(page.get_by_text("They are identical", exact=False)).to_be_visible()
    page.get_by_role("button", name="Resample").click()
    wait_for_app(page)
    expect(page.get_by_text("differ by walk randomness alone", exact=False)).to_be_visible()
    no_exception(page)
    page.wait_for_timeout(2500)
    screenshot(page, "neighborhood-pinsage-stored-vs-fresh")
