"""In Chromium at 1280 px: the Neighborhood page's drawing and charts read as they should (issue *Demo-grade*, 8)."""

from __future__ import annotations

from tests.browser.test_explore import graph_frame, no_exception


def test_labels_legend_button_and_frequency_chart_read_clearly(browser, app_url, wait_for_app, screenshot):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(app_url)
        wait_for_app(page)
        page.locator("[data-testid='stSidebarNavLink']").filter(has_text="Neighborhood").click()
        page.wait_for_timeout(300)
        wait_for_app(page)
        no_exception(page)
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
        assert "uniform expectation" in chart.evaluate("(gd) => gd.data.map((t) => t.name).join(',')")
        subtitle = chart.evaluate("(gd) => gd.layout.title.text")
        assert "most drawn of" in subtitle and "neighbours never drawn" in subtitle, subtitle
        page.wait_for_timeout(2000)
        screenshot(page, "neighborhood-readable-1280")
    finally:
        context.close()
