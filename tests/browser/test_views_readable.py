"""Issue 25's acceptance: every page and both kinds of report, in Chromium at 1280x720 and 1440x900, read clearly.

Each view is opened once per viewport and its charts are checked where they are drawn, in the DOM plotly renders:

- :func:`chart_problems`: every chart's title, tick labels, axis titles, legend and annotations lie inside the
  chart's own box (nothing clipped by a plot margin) and no two of them overlap (a legend on the title, an axis
  title on its tick labels);
- :func:`colour_problems`: a chart of several legend entries draws each in its own colour.

To check another view, open it in a test here and assert ``readable(page) == []``, or add a check that returns
a list of problems (empty when fine) and call it from :func:`readable`.

With ``UPDATE_SCREENSHOTS=1`` each view is also saved as ``docs/screenshots/<view>-<width>x<height>.png``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import DEMO_RUNS, ROOT
from tests.support.chart_colours import clashes
from tests.support.sample_runs import write_report

VIEWPORTS = [(1280, 720), (1440, 900)]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
EXPERIMENT = "readable-exp"
PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot, .js-plotly-plot"
BUILDERS = ["cli", "dashboard"]  # python -m engine report, and the same in a process that imported streamlit

# Every text-bearing part of one rendered plotly chart, with its kind and page box (CSS pixels). A part whose box is
# empty is not drawn (plotly hides tick labels that do not fit by emptying them).
PARTS_JS = """
(plot) => {
  const parts = [];
  const add = (kind, element) => {
    const box = element.getBoundingClientRect();
    const text = (element.textContent || '').trim();
    if (box.width > 0 && box.height > 0 && (text || kind === 'legend')) {
      parts.push({kind, text: text.slice(0, 40), left: box.left, right: box.right, top: box.top, bottom: box.bottom});
    }
  };
  plot.querySelectorAll('.g-gtitle text').forEach((e) => add('title', e));
  plot.querySelectorAll('[class*="axislayer-above"] > g[class$="tick"] text').forEach((e) => {
    add(e.closest('[class*="axislayer-above"]').getAttribute('class').split(' ')[0][0] + ' tick label', e);
  });
  plot.querySelectorAll('.infolayer g[class^="g-x"][class$="title"] text').forEach((e) => add('x axis title', e));
  plot.querySelectorAll('.infolayer g[class^="g-y"][class$="title"] text').forEach((e) => add('y axis title', e));
  plot.querySelectorAll('.infolayer .legend .bg').forEach((e) => add('legend', e));
  plot.querySelectorAll('.annotation-text-g text').forEach((e) => add('annotation', e));
  const frame = (plot.querySelector('.svg-container') || plot).getBoundingClientRect();
  const title = plot.querySelector('.g-gtitle text');
  return {
    title: title ? title.textContent : '(untitled chart)',
    frame: {left: frame.left, right: frame.right, top: frame.top, bottom: frame.bottom},
    parts,
  };
}
"""

# One colour per legend entry (traces of one legend group share it) as plotly resolved it (``_fullData``), read back
# through the browser as ``rgb(r, g, b)``. A marker drawn as an empty ring counts by its ring's colour.
COLOURS_JS = """
(plot) => {
  const probe = document.createElement('span');
  document.body.appendChild(probe);
  const css = (colour) => { probe.style.color = ''; probe.style.color = colour; return getComputedStyle(probe).color; };
  const entries = new Map();
  for (const trace of plot._fullData || []) {
    if (trace.visible !== true) continue;
    const key = trace.legendgroup || trace.name || `trace ${trace.index}`;
    const lines = trace.type === 'scatter' && String(trace.mode || '').includes('lines');
    let colour = lines ? trace.line && trace.line.color : trace.marker && trace.marker.color;
    if (typeof colour === 'string' && css(colour).startsWith('rgba(0, 0, 0, 0')) {
      colour = trace.marker.line && trace.marker.line.color;
    }
    if (typeof colour === 'string' && !entries.has(key)) entries.set(key, css(colour));
  }
  probe.remove();
  const title = plot.querySelector('.g-gtitle text');
  return {title: title ? title.textContent : '(untitled chart)', entries: [...entries.entries()]};
}
"""

SLACK = 0.5  # px: sub-pixel rounding of text boxes


def _overlap(a: dict, b: dict) -> float:
    width = min(a["right"], b["right"]) - max(a["left"], b["left"])
    height = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return width * height if width > SLACK and height > SLACK else 0.0


def chart_problems(page) -> list[str]:
    """What is clipped or overlapping in the page's plotly charts, one sentence each (empty when they read clearly)."""
    problems = []
    for plot in page.locator(PLOT).all():
        chart = plot.evaluate(PARTS_JS)
        frame, parts = chart["frame"], chart["parts"]
        where = f"chart {chart['title']!r}"
        for part in parts:
            outside = [
                side
                for side, beyond in (
                    ("left", frame["left"] - part["left"]),
                    ("right", part["right"] - frame["right"]),
                    ("top", frame["top"] - part["top"]),
                    ("bottom", part["bottom"] - frame["bottom"]),
                )
                if beyond > SLACK
            ]
            if outside:
                problems.append(f"{where}: {part['kind']} {part['text']!r} is cut at the {' and '.join(outside)}")
        for index, first in enumerate(parts):
            for second in parts[index + 1 :]:
                if first["kind"] != second["kind"] and _overlap(first, second):
                    problems.append(
                        f"{where}: {first['kind']} {first['text']!r} overlaps {second['kind']} {second['text']!r}"
                    )
    return problems


def colour_problems(page) -> list[str]:
    """Charts of several legend entries where two entries look the same colour, one sentence each."""
    problems = []
    for plot in page.locator(PLOT).all():
        chart = plot.evaluate(COLOURS_JS)
        same = clashes(chart["entries"])
        if same:
            problems.append(f"chart {chart['title']!r}: entries of one colour: {'; '.join(same)}")
    return problems


def readable(page) -> list[str]:
    """Every check of this module on what the page shows now."""
    charts = page.locator(PLOT)
    for index in range(charts.count()):
        charts.nth(index).locator(".main-svg").first.wait_for(state="attached")
    page.wait_for_timeout(800)  # plotly redraws once after automargin has measured the labels
    return chart_problems(page) + colour_problems(page)


def save_view(page, screenshot: Callable, name: str) -> None:
    """With ``UPDATE_SCREENSHOTS=1``: the whole view as ``docs/screenshots/<name>.png``."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot(page, name), DOCS_SCREENSHOTS / f"{name}.png")


def _size(viewport: tuple[int, int]) -> str:
    return f"{viewport[0]}x{viewport[1]}"


@pytest.fixture(params=VIEWPORTS, ids=_size)
def viewport(request: pytest.FixtureRequest) -> tuple[int, int]:
    return request.param


@pytest.fixture(scope="module")
def experiment_runs_dir(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An experiment of MF and LightGCN over two seeds, one epoch each, trained by ``python -m engine experiment``."""
    runs_dir = tmp_path_factory.mktemp("readable-experiment")
    command = [
        sys.executable, "-m", "engine", "experiment", "--name", EXPERIMENT, "--models", "mf,lightgcn",
        "--seeds", "0,1", "--epochs", "1", "--grid", "mf.dim=16", "--grid", "lightgcn.dim=16",
        "--runs-dir", str(runs_dir), "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"the experiment failed:\n{result.stdout}\n{result.stderr}"
    return runs_dir


def _open(page, url: str, wait_for_app: Callable) -> None:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stSidebarNav']")


def _no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator("[data-testid='stException']")


def test_data_page_reads_clearly(page, app_url, wait_for_app, screenshot, viewport) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    _open(page, f"{app_url}/data", wait_for_app)
    page.locator("[data-testid='stPlotlyChart']").nth(1).wait_for()
    _no_exception(page)
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"data-{_size(viewport)}")


def test_train_page_on_a_demo_run_reads_clearly(
    page, app_url, open_link, screenshot, demo_runs_dir: Path, viewport
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    run_id = next(iter(DEMO_RUNS))  # LightGCN, 3 epochs: a loss curve and the validation metric curves
    open_link(page, f"{app_url}/train?runs_dir={demo_runs_dir}&run={run_id}")
    page.locator("[data-testid='stPlotlyChart']").nth(1).wait_for()
    _no_exception(page)
    titles = page.locator("[data-testid='stPlotlyChart'] .g-gtitle").all_text_contents()
    assert "Metrics on the validation split" in titles, titles
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"train-{_size(viewport)}")


def test_runs_page_reads_clearly(page, app_url, open_link, screenshot, demo_runs_dir: Path, viewport) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    open_link(page, f"{app_url}/runs?runs_dir={demo_runs_dir}")
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    _no_exception(page)
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"runs-{_size(viewport)}")


def test_runs_page_experiment_comparison_reads_clearly(
    page, app_url, open_link, screenshot, experiment_runs_dir: Path, viewport
) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    open_link(page, f"{app_url}/runs?runs_dir={experiment_runs_dir}&experiment={EXPERIMENT}")
    page.locator("[data-testid='stPlotlyChart'] .js-plotly-plot").filter(has_text="Paired difference").wait_for()
    _no_exception(page)
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"runs-experiment-{_size(viewport)}")


@pytest.fixture(scope="module")
def reports(demo_runs_dir: Path, experiment_runs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """(kind, builder) -> the report file: the run report of a demo LightGCN run and the experiment's report, each
    written by ``python -m engine report`` and by the same command in a process that imported streamlit first, as
    the dashboard's *Download report* builds it."""
    folder = tmp_path_factory.mktemp("readable-reports")
    targets = {
        "report-run": (demo_runs_dir, next(iter(DEMO_RUNS))),
        "report-experiment": (experiment_runs_dir, EXPERIMENT),
    }
    paths = {}
    for kind, (runs_dir, target) in targets.items():
        for builder in BUILDERS:
            paths[kind, builder] = folder / f"{kind}-{builder}.html"
            write_report(runs_dir, target, paths[kind, builder], streamlit=builder == "dashboard")
    return paths


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("kind", ["report-run", "report-experiment"])
def test_offline_report_reads_clearly(browser, reports: dict, kind: str, builder: str, viewport) -> None:
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    try:
        page.goto(reports[kind, builder].as_uri())
        page.wait_for_load_state("load")
        page.locator(".js-plotly-plot").first.wait_for()
        problems = readable(page)
        assert not problems, "\n".join(problems)
        if builder == "cli" and os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_SCREENSHOTS / f"{kind}-{_size(viewport)}.png"), full_page=True)
    finally:
        context.close()


def test_neighborhood_page_reads_clearly_and_its_drawings_fit(
    page, app_url, open_link, wait_for_app, screenshot, demo_runs_dir: Path, viewport
) -> None:
    from tests.browser.test_explore import drawing_overflow, graph_frame

    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    open_link(page, f"{app_url}/neighborhood?runs_dir={demo_runs_dir}")
    for sampler, chart in (("GraphSAGE fanout", "Hop-1 draws"), ("Random walk (PinSage)", "Top-T stability")):
        if sampler != "GraphSAGE fanout":
            page.get_by_text(sampler, exact=True).click()
        page.locator(".gtitle").filter(has_text=chart).wait_for(timeout=120_000)
        wait_for_app(page)
        _no_exception(page)
        graph_frame(page)
        assert drawing_overflow(page) == [], sampler
        problems = readable(page)
        assert not problems, "\n".join(problems)
        page.wait_for_timeout(1500)  # the drawing settles for the picture
        save_view(page, screenshot, f"neighborhood-{'fanout' if 'fanout' in sampler else 'walk'}-{_size(viewport)}")


def test_embeddings_page_reads_clearly(page, app_url, open_link, screenshot, demo_runs_dir: Path, viewport) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    open_link(page, f"{app_url}/embeddings?runs_dir={demo_runs_dir}")
    page.locator(".gtitle").filter(has_text="epoch").first.wait_for(timeout=120_000)
    _no_exception(page)
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"embeddings-{_size(viewport)}")


def test_recommend_page_reads_clearly(page, app_url, open_link, screenshot, demo_runs_dir: Path, viewport) -> None:
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    open_link(page, f"{app_url}/recommend?runs_dir={demo_runs_dir}")
    page.get_by_text("held-out items recovered").wait_for(timeout=120_000)
    _no_exception(page)
    problems = readable(page)
    assert not problems, "\n".join(problems)
    save_view(page, screenshot, f"recommend-{_size(viewport)}")
