"""End to end in Chromium: neighborhoods, the embedding map, recommendations, cold start, and hostile titles.

These tests use their own runs directory (typed into the sidebar), so the Train test's runs directory keeps
exactly the runs it started.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.support.sample_runs import train_sample_run

RUN_ID = "explore-lightgcn"
UMAP_TIMEOUT_MS = 240_000
HOSTILE_TITLES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>']


@pytest.fixture(scope="module")
def explore_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LightGCN run trained 2 epochs on the sample data by the training CLI."""
    runs_dir = tmp_path_factory.mktemp("explore-browser-runs")
    train_sample_run(runs_dir, RUN_ID, "lightgcn", epochs=2)
    return runs_dir


@pytest.fixture
def dialogs(page) -> list[str]:
    """Messages of every JavaScript dialog the page (or any frame in it) opens; each is dismissed."""
    seen: list[str] = []

    def record(dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return seen


def fill_sidebar(page, wait_for_app, label: str, value: str) -> None:
    field = page.locator("[data-testid='stSidebar']").get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_for_app(page)


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def graph_frame(page, index: int = 0):
    page.locator("[data-testid='stIFrame']").nth(index).wait_for()
    frame = page.frame_locator("[data-testid='stIFrame']").nth(index)
    frame.locator("#network canvas").wait_for()
    return frame


def drawn_nodes(frame) -> int:
    return int(frame.locator("#graph-meta").get_attribute("data-nodes"))


def drawing_extent(page, index: int = 0) -> dict[str, list[float]]:
    """Node positions as fractions of the canvas (x and y: min, 10th, 50th, 90th percentile, max) once settled."""
    frame = page.locator("[data-testid='stIFrame']").nth(index).element_handle().content_frame()
    frame.wait_for_selector("#graph-meta[data-settled='true']", state="attached", timeout=60_000)
    return frame.evaluate(
        """() => {
        const canvas = document.querySelector("#network canvas").getBoundingClientRect();
        const points = Object.values(network.getPositions()).map((p) => network.canvasToDOM(p));
        const quantiles = (values) => {
            values.sort((a, b) => a - b);
            return [0, 0.1, 0.5, 0.9, 1].map((q) => values[Math.round(q * (values.length - 1))]);
        };
        const xs = points.map((p) => p.x / canvas.width), ys = points.map((p) => p.y / canvas.height);
        return {x: quantiles(xs), y: quantiles(ys)};
    }"""
    )


def assert_fills_canvas(extent: dict[str, list[float]], bulk: bool = True) -> None:
    """Every node inside the canvas, the drawing centred in it, and the bulk of the nodes (10th to 90th percentile)
    spread over it — or, with ``bulk=False`` (a random walk's ranked drawing, whose many walked-through users sit in
    the band between the two top-T columns by design), the drawing as a whole spread over it."""
    for lowest, low, _, high, highest in (extent["x"], extent["y"]):
        assert 0 <= lowest and highest <= 1, extent
        assert abs((lowest + highest) / 2 - 0.5) < 0.1, extent
        assert high - low > 0.35 if bulk else highest - lowest > 0.5, extent


def drawing_overflow(page, index: int = 0) -> list[str]:
    """What of a settled drawing does not fit: a node or its label (vis-network's bounding box of the node includes
    its label) outside the canvas, or the canvas outside the frame it is shown in. Empty when everything fits."""
    frame = page.locator("[data-testid='stIFrame']").nth(index).element_handle().content_frame()
    frame.wait_for_selector("#graph-meta[data-settled='true']", state="attached", timeout=60_000)
    return frame.evaluate(
        """() => {
        const canvas = document.querySelector("#network canvas").getBoundingClientRect();
        const outside = [];
        if (canvas.top < 0 || canvas.left < 0 || canvas.bottom > window.innerHeight + 1
                || canvas.right > window.innerWidth + 1) {
            outside.push(`canvas ${JSON.stringify(canvas)} outside the ${innerWidth}x${innerHeight} frame`);
        }
        for (const id of network.body.nodeIndices) {
            const box = network.getBoundingBox(id);
            const a = network.canvasToDOM({x: box.left, y: box.top});
            const b = network.canvasToDOM({x: box.right, y: box.bottom});
            if (a.x < -1 || a.y < -1 || b.x > canvas.width + 1 || b.y > canvas.height + 1) {
                outside.push(`node ${id} at [${a.x}, ${a.y}, ${b.x}, ${b.y}] in ${canvas.width}x${canvas.height}`);
            }
        }
        return outside;
    }"""
    )


def assert_fits_frame(page, index: int = 0) -> None:
    """Nothing of the drawing outside its canvas, nor the canvas outside its frame (issue 25, point 5)."""
    assert drawing_overflow(page, index) == []


def test_neighborhood_draw_switch_sampler_and_compare(page, open_page, wait_for_app, screenshot, dialogs):
    open_page("Neighborhood")
    no_exception(page)
    frame = graph_frame(page)
    assert drawn_nodes(frame) > 10
    assert_fills_canvas(drawing_extent(page))
    assert_fits_frame(page)
    page.wait_for_timeout(2500)  # let the layout settle for the picture
    screenshot(page, "neighborhood-fanout")

    page.get_by_text("Random walk (PinSage)", exact=True).click()
    page.locator(".gtitle").filter(has_text="Top-T importance").wait_for()
    page.locator(".gtitle").filter(has_text="Top-T stability").wait_for()
    wait_for_app(page)
    no_exception(page)
    frame = graph_frame(page)
    assert drawn_nodes(frame) > 5
    assert_fills_canvas(drawing_extent(page), bulk=False)
    assert_fits_frame(page)
    page.wait_for_timeout(2500)
    screenshot(page, "neighborhood-random-walk")

    before = frame.locator("#graph-meta").get_attribute("data-sampled-edges")
    page.get_by_role("button", name="Resample").click()
    wait_for_app(page)
    expect(page.get_by_label("Seed")).to_have_value("1")
    wait_for_app(page)
    after = graph_frame(page).locator("#graph-meta").get_attribute("data-sampled-edges")
    print(f"\nwalk edges before/after resample: {before} / {after}")

    page.get_by_text("Side by side", exact=True).click()
    wait_for_app(page)
    no_exception(page)
    graph_frame(page, 1)
    assert page.locator("[data-testid='stIFrame']").count() == 2
    for index in (0, 1):
        assert_fills_canvas(drawing_extent(page, index), bulk=index == 0)
        assert_fits_frame(page, index)
    page.wait_for_timeout(2500)
    screenshot(page, "neighborhood-side-by-side")
    assert dialogs == []


def plot_point_position(page, chart_index: int = 0) -> tuple[float, float]:
    """Screen position of the first point of the first drawn trace (with points) of a plotly chart."""
    return (
        page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot")
        .nth(chart_index)
        .evaluate(
            """(gd) => {
            const trace = gd._fullData.find((t) => t.visible === true && t.x && t.x.length);
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const box = gd.getBoundingClientRect();
            return [box.left + xa._offset + xa.l2p(trace.x[0]), box.top + ya._offset + ya.l2p(trace.y[0])];
        }"""
        )
    )


def test_embedding_map_umap_and_point_selection(page, open_page, wait_for_app, screenshot, explore_runs_dir):
    fill_sidebar(page, wait_for_app, "Runs directory", str(explore_runs_dir))
    open_page("Embeddings")
    no_exception(page)
    started = time.monotonic()
    page.locator(".gtitle").filter(has_text="PCA").wait_for()
    pca_seconds = time.monotonic() - started
    page.get_by_text("being computed in the background").wait_for()
    screenshot(page, "embeddings-pca-while-umap-computes")
    page.locator(".gtitle").filter(has_text="UMAP").wait_for(timeout=UMAP_TIMEOUT_MS)
    umap_seconds = time.monotonic() - started
    wait_for_app(page)
    no_exception(page)
    print(f"\nEmbeddings page: PCA map shown after {pca_seconds:.1f}s, UMAP replaced it after {umap_seconds:.1f}s")

    # A click that lands while the page reruns for the PCA -> UMAP swap is dropped with the old map: click again then.
    for attempt in range(3):
        x, y = plot_point_position(page)
        page.mouse.move(x, y)
        page.wait_for_timeout(300)
        page.mouse.click(x, y)
        wait_for_app(page)
        try:
            page.get_by_text("Selected:").wait_for(timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    no_exception(page)
    assert page.get_by_text("Nearest").count() >= 1
    screenshot(page, "embeddings-umap-selected")

    page.reload()
    wait_for_app(page)
    fill_sidebar(page, wait_for_app, "Runs directory", str(explore_runs_dir))
    open_page("Embeddings")
    started = time.monotonic()
    page.locator(".gtitle").filter(has_text="UMAP").wait_for()
    print(f"cached UMAP shown after {time.monotonic() - started:.1f}s on a fresh session")


def test_recommendations_and_cold_start_user(page, open_page, wait_for_app, screenshot, explore_runs_dir):
    fill_sidebar(page, wait_for_app, "Runs directory", str(explore_runs_dir))
    open_page("Recommend")
    no_exception(page)
    page.get_by_text("held-out items recovered").wait_for()
    screenshot(page, "recommend")

    picker = page.locator("[data-testid='stMultiSelect']").filter(has_text="Items the new user liked")
    for _ in range(3):
        picker.click()
        page.keyboard.type("Falcon")
        page.get_by_role("option").filter(has_text="item:").first.click()
        page.keyboard.press("Escape")
        wait_for_app(page)
    no_exception(page)
    page.locator(".legendtext").filter(has_text="cold-start user").wait_for()
    assert page.locator(".gtitle").filter(has_text="Cold-start user").count() == 1
    screenshot(page, "recommend-cold-start")


@pytest.fixture
def hostile_csv(tmp_path: Path) -> Path:
    """Interactions whose most popular items carry titles and genres that would run script if rendered as HTML."""
    counts = {"bad1": 40, "bad2": 25, "bad3": 15, "plain": 10}
    rows = [(f"u{u}", item) for item, count in counts.items() for u in range(count)]
    with open(tmp_path / "interactions.csv", "w", newline="") as handle:
        csv.writer(handle).writerows([("user", "item"), *rows])
    with open(tmp_path / "items.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(
            [
                ("item_id", "title", "genres"),
                ("bad1", HOSTILE_TITLES[0], "<b>Drama</b>"),
                ("bad2", HOSTILE_TITLES[1], "Comedy"),
                ("bad3", HOSTILE_TITLES[2], "Action"),
                ("plain", "Plain film", "Action"),
            ]
        )
    return tmp_path / "interactions.csv"


def hover_centre(page, frame_index: int = 0) -> str:
    """Hover the centre node of a drawn neighborhood and return the tooltip's text."""
    iframe = page.locator("[data-testid='stIFrame']").nth(frame_index)
    handle = iframe.element_handle().content_frame()
    handle.wait_for_function("() => typeof network !== 'undefined' && network.getPositions")
    page.wait_for_timeout(2500)  # stabilisation
    x, y = handle.evaluate(
        """() => {
            const centre = nodes.get().find((n) => n.shape === 'star');
            const point = network.canvasToDOM(network.getPositions([centre.id])[centre.id]);
            const box = document.getElementById('network').getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }"""
    )
    iframe.scroll_into_view_if_needed()
    box = iframe.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5)  # start outside the node, so vis sees the pointer arrive
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.move(box["x"] + x + 1, box["y"] + y + 1)
    handle.wait_for_function(
        "() => { const t = document.querySelector('.vis-tooltip');"
        " return t && t.style.visibility !== 'hidden' && t.innerText.includes('degree:'); }",
        timeout=10_000,
    )
    return handle.locator(".vis-tooltip").inner_text()


def test_hostile_titles_render_as_text(page, open_page, wait_for_app, screenshot, dialogs, hostile_csv):
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Dataset").click()
    page.get_by_role("option", name="CSV file…").click()
    wait_for_app(page)
    fill_sidebar(page, wait_for_app, "Interactions CSV", str(hostile_csv))
    open_page("Neighborhood")
    no_exception(page)
    assert page.get_by_text(HOSTILE_TITLES[0]).first.is_visible()  # the page shows the title as text
    tooltip = hover_centre(page)
    assert HOSTILE_TITLES[0] in tooltip and "<b>Drama</b>" in tooltip
    frame = page.frame_locator("[data-testid='stIFrame']").first
    assert frame.locator("img").count() == 0 and frame.locator("#network a").count() == 0
    screenshot(page, "xss-tooltip-as-text")

    page.get_by_text("Random walk (PinSage)", exact=True).click()
    page.locator(".gtitle").filter(has_text="Top-T importance").wait_for()
    wait_for_app(page)
    no_exception(page)
    tooltip = hover_centre(page)  # a big top-T node may cover the centre: any hostile title must read as text
    assert any(title in tooltip for title in HOSTILE_TITLES), tooltip
    page.locator(".gtitle").filter(has_text="Top-T importance").wait_for()
    assert page.locator(".js-plotly-plot a").count() == 0  # no title became a link in a chart

    # The Data page is the default page, served at "/", so open it by its link rather than by URL.
    page.locator("[data-testid='stSidebarNavLink']").filter(has_text="Data").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    no_exception(page)
    page.wait_for_timeout(1000)
    assert dialogs == [], f"a title ran script: {dialogs}"
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
