"""Issue 22 in Chromium: the Embeddings page's search highlight, nearest-neighbor lines on a clicked point and a
lasso drawn on the map; the Runs page's config diff of two ticked runs."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_views_readable import readable, save_view
from tests.support.browser_flows import choose

MAP = "[data-testid='stPlotlyChart'] .js-plotly-plot"
WAIT_MS = 60_000  # the machine is shared: a rerun can take seconds
SEARCH = "Secret"  # a word of generated synthetic titles ("Secret Mirror of Cairo")

TRACES_JS = """(gd) => gd._fullData.map((t) => ({
    name: t.name, mode: t.mode, points: (t.customdata || []).length, opacity: t.marker ? t.marker.opacity : null}))"""
# Screen position of the topmost point (the one surely in the viewport) of the first trace whose name starts with the
# given text.
POINT_JS = """(gd, prefix) => {
    const trace = gd._fullData.find((t) => (t.name || '').startsWith(prefix) && t.x && t.x.length);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    const points = Array.from(trace.x, (x, i) => [
        box.left + xa._offset + xa.l2p(x), box.top + ya._offset + ya.l2p(trace.y[i])]);
    return points.reduce((top, point) => (point[1] < top[1] ? point : top));
}"""
AREA_JS = """(gd) => {
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    return [box.left + xa._offset, box.top + ya._offset, xa._length, ya._length];
}"""


def traces(page) -> list[dict]:
    return page.locator(MAP).first.evaluate(TRACES_JS)


def open_embeddings_pca(page, open_link, app_url: str, wait_for_app, runs_dir: Path) -> None:
    page.set_viewport_size({"width": 1280, "height": 720})
    open_link(page, f"{app_url}/embeddings?runs_dir={runs_dir}")
    page.get_by_text("PCA", exact=True).click()
    wait_for_app(page)
    choose(page, wait_for_app, "Run", "demo-lightgcn-5")
    page.locator(".gtitle").filter(has_text="lightgcn · epoch 5 · PCA").wait_for()


def test_search_highlights_matches_and_a_clicked_point_draws_its_neighbors(
    page, app_url, open_link, wait_for_app, screenshot, demo_runs_dir: Path
):
    open_embeddings_pca(page, open_link, app_url, wait_for_app, demo_runs_dir)
    field = page.get_by_label("Search", exact=True)
    field.fill(SEARCH)
    field.press("Enter")
    wait_for_app(page)
    page.get_by_text(f"for “{SEARCH}”: highlighted").wait_for(timeout=WAIT_MS)
    shown = traces(page)
    (found,) = [trace for trace in shown if str(trace["name"]).startswith("search")]
    assert found["points"] >= 1 and found["name"].endswith(f": {found['points']}")
    assert all(trace["opacity"] == 0.12 for trace in shown if trace is not found and trace["mode"] == "markers")
    page.get_by_text(f"{found['points']} match").first.wait_for()
    zoomed = page.locator(MAP).first.evaluate("(gd) => gd.layout.xaxis.range")
    assert zoomed is not None and len(zoomed) == 2  # the view is zoomed to the matches

    x, y = page.locator(MAP).first.evaluate(POINT_JS, "search")  # click a match: its neighbors are drawn
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    wait_for_app(page)
    page.get_by_text("Selected: item").wait_for()
    lines = page.locator(MAP).first
    expect(lines.locator(".legendtext").filter(has_text="neighbors")).not_to_have_count(0, timeout=WAIT_MS)
    drawn = [trace for trace in traces(page) if trace["mode"] == "lines"]
    assert sum(int(trace["name"].rsplit("(", 1)[1].rstrip(")")) for trace in drawn) == 10  # k = 10 lines
    expect(page.get_by_text("10 nearest items", exact=True)).to_be_visible(timeout=WAIT_MS)
    if any(trace["name"].startswith("neighbors far on the map") for trace in drawn):  # the map misplaces some
        expect(page.get_by_text("land far away on the map")).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, "embeddings-search-neighbors-1280x720")


def test_a_lasso_on_the_map_selects_a_region_and_offers_its_export(
    page, app_url, open_link, wait_for_app, screenshot, demo_runs_dir: Path
):
    open_embeddings_pca(page, open_link, app_url, wait_for_app, demo_runs_dir)
    chart = page.locator(MAP).first
    left, top, width, height = chart.evaluate(AREA_JS)
    chart.hover()
    chart.locator(".modebar-btn[data-val='lasso']").click()
    cx, cy = left + width / 2, top + height / 2
    polygon = [(cx - width * 0.3, cy - height * 0.3), (cx + width * 0.3, cy - height * 0.3)]
    polygon += [(cx + width * 0.3, cy + height * 0.3), (cx - width * 0.3, cy + height * 0.3)]
    page.mouse.move(*polygon[0])
    page.mouse.down()
    for point in [*polygon[1:], polygon[0]]:
        page.mouse.move(*point, steps=8)
    page.mouse.up()
    wait_for_app(page)
    header = page.get_by_text("Selected region:")
    header.wait_for(timeout=WAIT_MS)
    count = int(header.text_content().split(":")[1].split()[0].replace(",", ""))
    assert count > 0
    expect(page.get_by_text("users and").first).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Export selection")).to_be_visible(timeout=WAIT_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "embeddings-lasso-region")


def test_the_config_diff_of_two_ticked_runs_shows_the_fields_that_differ(
    page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path
):
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Runs")
    picker = page.locator("[data-testid='stMultiSelect']").filter(has_text="Two runs")
    picker.scroll_into_view_if_needed()
    picker.locator("input").click()
    for _ in range(2):  # untick the two runs picked at first
        page.keyboard.press("Backspace")
        wait_for_app(page)
    for run_id in ("demo-lightgcn-3", "demo-pinsage-1"):
        picker.locator("input").click()
        page.keyboard.type(run_id)
        page.keyboard.press("Enter")
        wait_for_app(page)
    page.keyboard.press("Escape")
    # The grid draws on a canvas; its cells are also in an accessible table, which has_text reads.
    table = page.locator("[data-testid='stDataFrame']").filter(has_text="params.hard_band_hi")
    expect(table).to_have_count(1, timeout=WAIT_MS)  # a PinSage parameter LightGCN lacks: the diff's table
    table.scroll_into_view_if_needed()
    text = table.text_content()
    for shown in ("field", "demo-lightgcn-3", "demo-pinsage-1", "epochs", "model", "lightgcn", "pinsage"):
        assert shown in text, (shown, text[:500])
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "runs-config-diff")
