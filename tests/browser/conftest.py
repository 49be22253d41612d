"""Fixtures for end-to-end tests in a real Chromium: a live ``streamlit run`` server and Playwright pages.

Tests here use:
    ``app_url``       the server's base URL (one server per session, runs directory ``browser_runs_dir``)
    ``page``          a fresh Playwright page already showing the app, its first script run finished
    ``open_page``     ``open_page(label)`` clicks the sidebar navigation link with that label and waits for the run
    ``wait_for_app``  ``wait_for_app(page)`` waits until the script run triggered by the last action has finished
    ``fresh_server``  ``with fresh_server() as url:`` a second server no page has visited yet
    ``screenshot``    ``screenshot(page, name)`` saves ``test-artifacts/screenshots/<name>.png`` of the whole app
                      (not only the viewport) and returns the path
    ``demo_runs_dir`` a runs directory of real runs on the sample data: LightGCN for 3 and 5 epochs, PinSage for 1,
                      and an MF run stopped by SIGTERM after its first epoch (:data:`DEMO_RUNS`)
    ``fill_sidebar``  ``fill_sidebar(page, label, value)`` types into a sidebar text field and waits for the rerun
    ``open_link``     ``open_link(page, url)`` opens a link that names a runs directory, CSV or MovieLens folder and
                      answers the sidebar's notice with *Use it*, as a user who trusts the link does
The whole folder is skipped, with the reason, when Debian's chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.jobs.client import WORKER_ENV
from tests.support import streamlit_server as server
from tests.support.sample_runs import stopped_sample_run, train_sample_run

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SERVER_START_SECONDS = 90
APP_RUN_TIMEOUT_MS = 60_000
# run id -> (model, epochs); trained in this order, so the 5-epoch LightGCN run is listed above the 3-epoch one.
DEMO_RUNS = {"demo-lightgcn-3": ("lightgcn", 3), "demo-lightgcn-5": ("lightgcn", 5), "demo-pinsage-1": ("pinsage", 1)}
DEMO_STOPPED = "demo-mf-stopped"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"Debian chromium not found at {CHROMIUM}: install it with 'apt-get install -y chromium'")
    pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is missing: pip install playwright")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_runs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runs directory the browser-test server reads and the Train page writes."""
    return tmp_path_factory.mktemp("browser-runs")


@pytest.fixture(scope="session")
def demo_runs_dir(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs really trained by the training CLI on the sample data (see :data:`DEMO_RUNS`), plus a stopped MF run."""
    runs_dir = tmp_path_factory.mktemp("demo-runs")
    for run_id, (model, epochs) in DEMO_RUNS.items():
        train_sample_run(runs_dir, run_id, model, epochs)
    stopped_sample_run(runs_dir, DEMO_STOPPED, "mf")
    return runs_dir


@contextlib.contextmanager
def streamlit_server(runs_dir: Path, log_path: Path) -> Iterator[str]:
    """A fresh ``streamlit run dashboard/app.py`` on a free port, answering ``/_stcore/health``; yields its URL."""
    port = server.free_port()
    # The dashboard as users run it: with its warm worker (the rest of the suite turns it off, see tests/conftest.py).
    env = {**os.environ, "GNN_EXPLORER_RUNS_DIR": str(runs_dir), "PYTHONUNBUFFERED": "1", WORKER_ENV: "on"}
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with server.streamlit_server(command, port, log_path, SERVER_START_SECONDS, env) as url:
        yield url


@pytest.fixture(scope="session")
def app_url(chromium_path: Path, browser_runs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(browser_runs_dir, tmp_path_factory.mktemp("streamlit") / "server.log") as url:
        yield url


@pytest.fixture
def fresh_server(chromium_path: Path, tmp_path: Path) -> Callable[[], contextlib.AbstractContextManager[str]]:
    """``with fresh_server() as url:`` a server of its own that no page has visited yet (for first-visit tests)."""
    return lambda: streamlit_server(tmp_path / "runs", tmp_path / "server.log")


@pytest.fixture(scope="session")
def browser(chromium_path: Path):
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default, page waits a minute: on a loaded 2-core machine a page's script run can take
    # longer than 5 s, so assertions wait as long as the app's runs may take (a passing check returns at once).
    expect.set_options(timeout=APP_RUN_TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _wait_for_app(page) -> None:
    """Wait like Streamlit's own e2e tests: connected, then the script run finished."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", state="attached", timeout=APP_RUN_TIMEOUT_MS
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", state="attached", timeout=APP_RUN_TIMEOUT_MS
    )


@pytest.fixture
def wait_for_app() -> Callable:
    return _wait_for_app


@pytest.fixture
def page(browser, app_url: str, request: pytest.FixtureRequest):
    """A page showing the app; when the test fails, its last state is saved as ``failed-<test>.png``."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(APP_RUN_TIMEOUT_MS)
    page.goto(app_url)
    _wait_for_app(page)
    page.wait_for_selector("[data-testid='stSidebarNav']")
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed and not page.is_closed():
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
        page.screenshot(path=str(SCREENSHOTS / f"failed-{name}.png"))
    context.close()


@pytest.fixture
def open_page(page) -> Callable[[str], None]:
    def open_by_label(label: str) -> None:
        links = page.locator("[data-testid='stSidebarNav'] [data-testid='stSidebarNavLink']")
        links.filter(has_text=label).click()
        page.locator("[data-testid='stSidebarNavLink'][aria-current='page']").filter(has_text=label).wait_for()
        page.wait_for_timeout(300)  # let the page's script run begin before waiting for it to end
        _wait_for_app(page)

    return open_by_label


@pytest.fixture
def fill_sidebar() -> Callable:
    def fill(page, label: str, value: str) -> None:
        field = page.locator("[data-testid='stSidebar']").get_by_label(label, exact=True)
        field.fill(value)
        field.press("Enter")
        _wait_for_app(page)

    return fill


def answer_link(page, button: str = "Use it") -> None:
    """Click ``button`` in the sidebar's notice of a link's paths (which must be showing) and wait until it is gone
    and the page has run."""
    notice = page.locator("[data-testid='stSidebar'] .st-key-link_notice")
    notice.get_by_role("button", name=button, exact=True).click()
    notice.wait_for(state="detached")
    _wait_for_app(page)


@pytest.fixture
def open_link() -> Callable:
    def open_and_use(page, url: str) -> None:
        page.goto(url)
        _wait_for_app(page)
        answer_link(page)

    return open_and_use


@pytest.fixture
def screenshot() -> Callable:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str) -> Path:
        """Screenshot of the whole app: Streamlit scrolls inside its main block, so the viewport grows to fit it."""
        path = SCREENSHOTS / f"{name}.png"
        size = page.viewport_size
        height = page.evaluate("document.querySelector(\"[data-testid='stMain']\")?.scrollHeight ?? 0")
        page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 4000))})
        page.wait_for_timeout(500)
        page.screenshot(path=str(path))
        page.set_viewport_size(size)
        return path

    return save
