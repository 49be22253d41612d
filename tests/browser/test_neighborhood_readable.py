"""In Chromium at 1280 px: the Neighborhood page's drawings and charts read as they should (issue *Demo-grade*, 8, and
issue 25, points 3 to 5)."""

from __future__ import annotations

import itertools

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_explore import assert_fits_frame, graph_frame, no_exception

# Each top-T label's box on the screen (CSS px, relative to the canvas) and its font size there.
TOP_T_LABELS = """() => {
    const scale = network.getScale(), boxes = [];
    for (const id of network.body.nodeIndices) {
        const node = network.body.nodes[id], label = node.options.label || "";
        if (!/^\\d+\\. /.test(label)) { continue; }
        const size = node.labelModule.size;
        const a = network.canvasToDOM({x: size.left, y: size.top});
        const b = network.canvasToDOM({x: size.left + size.width, y: size.top + size.height});
        boxes.push({label: label, box: [a.x, a.y, b.x, b.y], px: node.options.font.size * scale});
    }
    return boxes;
}"""


def open_neighborhood(browser, app_url, wait_for_app, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(app_url)
    wait_for_app(page)
    page.locator("[data-testid='stSidebarNavLink']").filter(has_text="Neighborhood").click()
    page.wait_for_timeout(300)
    wait_for_app(page)
    no_exception(page)
    return context, page


def test_labels_legend_button_and_frequency_chart_read_clearly(browser, app_url, wait_for_app, screenshot):
    context, page = open_neighborhood(browser, app_url, wait_for_app, 1280, 900)
    try:
        frame = graph_frame(page)
        legend = frame.locator(".legend").first.inner_text()
        assert legend.count("centre") == 1, legend  # one entry for the centre, not a swatch and a star
        font = frame.locator("body").evaluate(
            "() => network.body.nodes[Object.keys(network.body.nodes)[0]].options.font.size"
        )
        assert font >= 20
        cut_off = (  # any element showing text that is wider than its box (an ellipsis); hidden helpers are 0-1 px wide
            "(b) => [...b.querySelectorAll('*')].concat([b])"
            ".some((e) => e.clientWidth > 1 && e.textContent.trim() && e.scrollWidth > e.clientWidth + 1)"
        )
        assert not page.get_by_role("button", name="Resample").evaluate(cut_off), "the Resample label is cut off"
        replacement = page.locator("[data-testid='stCheckbox']").filter(has_text="With replacement")
        assert not replacement.evaluate(cut_off), "the With replacement label is cut off"
        chart = page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").nth(1)
        assert chart.evaluate("(gd) => (gd.layout.annotations || []).length") == 0  # nothing hiding behind the bars
        # Every neighbor's draw count against the binomial expectation, not the 40 most drawn (issue 25, point 4).
        assert "uniform sampler: Binomial(100," in chart.evaluate("(gd) => gd.data.map((t) => t.name).join(',')")
        subtitle = chart.evaluate("(gd) => gd.layout.title.subtitle.text")
        assert "all " in subtitle and " neighbors" in subtitle and "uniformity χ² p =" in subtitle, subtitle
        assert "most drawn of" not in subtitle
        page.wait_for_timeout(2000)
        screenshot(page, "neighborhood-readable-1280")
    finally:
        context.close()


def test_random_walk_top_20_reads_at_1280x720_and_every_drawing_fits(browser, app_url, wait_for_app, screenshot):
    """Issue 25, 3: the 20 top-T titles of a random walk readable without zooming, none on another, all inside."""
    context, page = open_neighborhood(browser, app_url, wait_for_app, 1280, 720)
    try:
        page.get_by_text("Random walk (PinSage)", exact=True).click()
        wait_for_app(page)
        top_t = page.get_by_label("Top-T")
        top_t.fill("20")
        top_t.press("Enter")
        wait_for_app(page)
        no_exception(page)
        graph_frame(page)
        assert_fits_frame(page)
        frame = page.locator("[data-testid='stIFrame']").first.element_handle().content_frame()
        labels = frame.evaluate(TOP_T_LABELS)
        assert sorted(int(label["label"].split(".")[0]) for label in labels) == list(range(1, 21)), labels
        assert min(label["px"] for label in labels) >= 11, labels  # readable without zooming
        for a, b in itertools.combinations(labels, 2):
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, (a, b)
        page.locator("[data-testid='stIFrame']").first.scroll_into_view_if_needed()
        page.wait_for_timeout(1500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "neighborhood-random-walk-top-20-1280x720-viewport.png"))
        screenshot(page, "neighborhood-random-walk-top-20-1280x720")

        page.get_by_text("Side by side", exact=True).click()
        wait_for_app(page)
        no_exception(page)
        graph_frame(page, 1)
        for index in (0, 1):
            assert_fits_frame(page, index)
        side = page.locator("[data-testid='stIFrame']").nth(1).element_handle().content_frame()
        assert len(side.evaluate(TOP_T_LABELS)) == 20  # the random-walk drawing is labelled side by side too
        page.wait_for_timeout(1500)
        screenshot(page, "neighborhood-side-by-side-1280x720")
    finally:
        context.close()
