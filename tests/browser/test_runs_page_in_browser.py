"""Issue 14, point 7: the Runs page over real runs, one stopped, on a laptop screen: tables that fit, a legend of
short labels in distinct hues, and BPR and max-margin losses on axes of their own (the '–' for a stopped run's
missing values is read from the page by tests/dashboard/test_runs_page.py; the screenshots show it)."""

from __future__ import annotations

from pathlib import Path

from tests.browser.conftest import DEMO_STOPPED

PICKED = 3  # the Runs page picks the newest three runs with metrics (views/runs.py's DEFAULT_SELECTION)


def test_runs_page_reads_at_a_glance(page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path):
    page.set_viewport_size({"width": 1280, "height": 800})  # a laptop screen
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Runs")  # the newest three runs are picked for comparison: the stopped MF, PinSage, LightGCN
    page.locator("[data-testid='stMultiSelect']").filter(has_text=DEMO_STOPPED).wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "runs-page")
    main = page.locator("[data-testid='stMain']")
    for table in page.locator("[data-testid='stDataFrame']").all():
        table.scroll_into_view_if_needed()
        scroller = table.locator(".dvn-scroller").first
        overflow = scroller.evaluate("(node) => node.scrollWidth - node.clientWidth")
        assert overflow <= 1, f"a table is cut off on the right by {overflow}px"
        box, frame = table.bounding_box(), main.bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"], "a table reaches past the page"
    overlay = page.locator("[data-testid='stPlotlyChart']").first
    legend = overlay.locator(".legendtext").all_text_contents()
    assert len(legend) == PICKED and all(len(label) <= 24 for label in legend), legend
    colours = overlay.locator(".scatterlayer .trace path.js-line").evaluate_all(
        "(paths) => paths.map((p) => getComputedStyle(p).stroke)"
    )
    assert len(set(colours)) == len(colours), colours

    page.locator("[data-testid='stSelectbox']").filter(has_text="Metric").locator("input").click()
    page.keyboard.type("loss")
    page.keyboard.press("Enter")
    wait_for_app(page)
    axis_titles = overlay.locator(".infolayer g[class^='g-y'][class$='title'] text")
    axis_titles.filter(has_text="loss").first.wait_for()  # plotly redraws the chart after the rerun has finished
    titles = axis_titles.all_text_contents()
    assert "BPR loss" in titles and "max-margin loss" in titles, titles
    screenshot(page, "runs-loss-per-kind")
