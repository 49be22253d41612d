"""The exported report opens from disk in Chromium with no network: every chart renders, nothing is fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.report import run_report
from tests.browser.conftest import SCREENSHOTS
from tests.support.sample_runs import train_sample_run

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")  # none of these reaches the network


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    runs_dir = tmp_path_factory.mktemp("report-runs")
    run_dir = train_sample_run(runs_dir, "report-graphsage", "graphsage", epochs=2)
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(run_report(run_dir), encoding="utf-8")
    return path


def test_report_renders_offline_from_disk(browser, report_file: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(report_file.as_uri())
    page.wait_for_load_state("load")
    plots = page.locator(".js-plotly-plot")
    plots.first.wait_for()
    count = plots.count()
    assert count == 3  # loss, metric curves, embedding map
    for index in range(count):
        plots.nth(index).locator(".main-svg").first.wait_for(state="attached")
    map_traces = page.locator("#embeddings .js-plotly-plot .legendtext")
    assert map_traces.count() >= 2  # one legend entry per genre
    canvas = page.frame_locator("#neighborhood-frame").locator("#network canvas")
    canvas.wait_for()
    meta = page.frame_locator("#neighborhood-frame").locator("#graph-meta[data-drawn='true']")
    meta.wait_for(state="attached")
    assert page.locator("#reproduce code").first.inner_text().startswith("python -m engine train")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-run.png"), full_page=True)
    context.close()
    remote = [url for url in requests if not url.startswith(LOCAL_SCHEMES)]
    assert remote == []
    assert any(url.startswith("file:") for url in requests)  # the listener did see the page's own load
