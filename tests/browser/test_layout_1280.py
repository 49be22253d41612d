"""Issue 25, point 13 (Train and Embeddings): at 1280×720 the Train form's number inputs keep their − / + steppers,
and the Embeddings map starts above the fold with its legend in rows under it rather than a quarter of its width."""

from __future__ import annotations

from pathlib import Path

from tests.support.browser_flows import choose

SMALL = {"width": 1280, "height": 720}


def test_train_form_number_inputs_keep_their_steppers_at_1280(page, open_page, screenshot) -> None:
    page.set_viewport_size(SMALL)
    open_page("Train")
    inputs = page.locator("[data-testid='stNumberInput']:visible")  # Advanced and the experiment form are folded
    steppers = page.locator("[data-testid='stNumberInput']:visible [data-testid='stNumberInputStepUp']")
    inputs.nth(5).wait_for()
    page.wait_for_timeout(500)
    assert steppers.count() == inputs.count(), f"{steppers.count()} of {inputs.count()} inputs have steppers"
    assert steppers.first.is_visible()
    screenshot(page, "train-1280")


def test_embeddings_map_is_above_the_fold_with_its_legend_under_it_at_1280(
    page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path
) -> None:
    page.set_viewport_size(SMALL)
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Embeddings")
    page.get_by_text("PCA", exact=True).click()
    wait_for_app(page)
    choose(page, wait_for_app, "Colour by", "genre")  # many categories: the legend that took a quarter of the map
    chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").first
    chart.locator(".legend").wait_for()
    figure, plot = chart.bounding_box(), chart.locator(".nsewdrag").first.bounding_box()
    legend = chart.locator(".legend").bounding_box()
    assert plot["y"] + 100 < SMALL["height"], f"the map starts at y={plot['y']:.0f}, below the fold"
    assert plot["width"] >= 0.9 * figure["width"], f"the plot is {plot['width']:.0f} of {figure['width']:.0f} px"
    assert legend["y"] >= plot["y"] + plot["height"] - 1, "the legend is beside the map, not under it"
    screenshot(page, "embeddings-1280")
