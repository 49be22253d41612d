"""Issue 14, point 4: the Embeddings page shows a switched-to run at its last epoch, titles that say PCA or UMAP
and fit, the selection beside the map, and swaps the compare map to UMAP by itself once it is ready."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_explore import plot_point_position
from tests.support.browser_flows import choose

UMAP_TIMEOUT_MS = 480_000


def titles(page) -> list[str]:
    return page.locator("[data-testid='stPlotlyChart'] .gtitle").all_text_contents()


def test_embeddings_page_state_follows_the_run(
    page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path
):
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Embeddings")
    page.get_by_text("PCA", exact=True).click()
    wait_for_app(page)
    thumb = page.locator("[data-testid='stSliderThumbValue']")
    choose(page, wait_for_app, "Run", "demo-lightgcn-3")
    expect(thumb).to_have_count(1)  # the slider of the run shown before leaves the page after the rerun
    expect(thumb).to_have_text("3")
    choose(page, wait_for_app, "Run", "demo-lightgcn-5")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_text("5")  # its last epoch, not 3
    assert titles(page) == ["lightgcn · epoch 5 · PCA"]
    assert page.locator("[data-testid='stException']").count() == 0

    x, y = plot_point_position(page)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    wait_for_app(page)
    selected = page.get_by_text("Selected:")
    selected.wait_for()
    box = selected.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"], f"the selection is below the fold (y={box['y']})"
    screenshot(page, "embeddings-selected-beside-map")

    choose(page, wait_for_app, "Compare with run", "demo-lightgcn-3")
    page.locator("[data-testid='stPlotlyChart']").nth(1).wait_for()
    assert titles(page) == ["lightgcn · epoch 5 · PCA", "lightgcn · epoch 3 · PCA"]
    for chart in page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").all():
        title = chart.locator(".gtitle").bounding_box()
        plot = chart.bounding_box()
        assert title["x"] + title["width"] <= plot["x"] + plot["width"], "a map title is cut off"

    page.get_by_text("UMAP (cosine)", exact=True).click()
    wait_for_app(page)
    notes = page.get_by_text("is being computed in the background")
    notes.first.wait_for()
    for index in range(notes.count()):  # each note sits under a drawn map, never above an empty frame
        chart = page.locator("[data-testid='stPlotlyChart']").nth(index).bounding_box()
        assert notes.nth(index).bounding_box()["y"] > chart["y"] + chart["height"] / 2
    screenshot(page, "embeddings-pca-while-umap-computes")
    expect(page.locator("[data-testid='stPlotlyChart'] .gtitle").nth(0)).to_have_text(
        "lightgcn · epoch 5 · UMAP", timeout=UMAP_TIMEOUT_MS
    )
    expect(page.locator("[data-testid='stPlotlyChart'] .gtitle").nth(1)).to_have_text(
        "lightgcn · epoch 3 · UMAP",
        timeout=UMAP_TIMEOUT_MS,  # the compare map too, with no click
    )
    wait_for_app(page)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "embeddings-umap-compare")
