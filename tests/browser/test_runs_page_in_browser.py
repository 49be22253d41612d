"""Issue 14, point 7: the Runs page over real runs, one stopped, on a laptop screen: tables that fit, a legend of
short labels in distinct hues, and BPR and max-margin losses on axes of their own (the '–' for a stopped run's
missing values is read from the page by tests/dashboard/test_runs_page.py; the screenshots show it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import DEMO_STOPPED

PICKED = 3  # the Runs page picks the newest three runs with metrics (views/runs.py's DEFAULT_SELECTION)


def test_runs_page_reads_at_a_glance(page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path):
    page.set_viewport_size({"width": 1280, "height": 800})  # a laptop screen
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Runs")  # the newest three runs are picked for comparison: the stopped MF, PinSage, LightGCN
    compare = page.locator("[data-testid='stMultiSelect']").filter(has_text="Compare runs")  # not the diff's picker
    compare.filter(has_text=DEMO_STOPPED).wait_for()
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


# The demo runs under ids as the trainer generates them (model-dataset-date-time-hash), one moved to another dataset
GENERATED_IDS = {
    "demo-lightgcn-3": ("lightgcn-synthetic-20261207-101500-3f9a0c1e", None),
    "demo-lightgcn-5": ("lightgcn-movielens-latest-small-20261207-101700-77d2b9aa", "movielens-latest-small"),
    "demo-pinsage-1": ("pinsage-synthetic-20261207-102000-c0ffee12", None),
    DEMO_STOPPED: ("mf-synthetic-20261207-102300-5ab1e7f0", None),
}


def _runs_with_generated_ids(demo_runs_dir: Path, target: Path) -> Path:
    for old, (new, dataset) in GENERATED_IDS.items():
        shutil.copytree(demo_runs_dir / old, target / new)
        if dataset:
            config = json.loads((target / new / "config.json").read_text())
            (target / new / "config.json").write_text(json.dumps({**config, "dataset": dataset}))
    return target


def _horizontal_overflows(page) -> list[int]:
    """How far each table on the page scrolls sideways (0: it fits), read at the current viewport."""
    overflows = []
    for table in page.locator("[data-testid='stDataFrame']").all():
        table.scroll_into_view_if_needed()
        overflows.append(table.locator(".dvn-scroller").first.evaluate("(node) => node.scrollWidth - node.clientWidth"))
    return overflows


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1440, 900)])
def test_runs_tables_fit_without_scrolling_sideways(
    page, open_page, fill_sidebar, screenshot, demo_runs_dir: Path, tmp_path: Path, width: int, height: int
):
    """Issue 25, point 13: with the trainer's long run ids and runs of two datasets, the runs table needed a
    horizontal scroll at 1280x720 and at 1440x900."""
    runs_dir = _runs_with_generated_ids(demo_runs_dir, tmp_path / "runs")
    page.set_viewport_size({"width": width, "height": height})
    fill_sidebar(page, "Runs directory", str(runs_dir))
    open_page("Runs")
    compare = page.locator("[data-testid='stMultiSelect']").filter(has_text="Compare runs")  # not the diff's picker
    compare.filter(has_text=GENERATED_IDS[DEMO_STOPPED][0]).wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    overflows = _horizontal_overflows(page)
    assert len(overflows) >= 3 and all(overflow <= 1 for overflow in overflows), overflows
    assert page.get_by_text("On movielens-latest-small", exact=True).count() == 2  # its runs table, its test metrics
    page.get_by_text("time", exact=True).first.click()  # the other set of columns
    page.wait_for_timeout(300)
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")
    overflows = _horizontal_overflows(page)
    assert all(overflow <= 1 for overflow in overflows), overflows
    screenshot(page, f"runs-generated-ids-{width}x{height}")
