"""Issue 14, point 10: the app fetches nothing from beyond localhost, so a presenter with no network sees it whole."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from tests.browser.test_navigation import PAGES

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def test_no_page_requests_anything_beyond_localhost(
    page, open_page, fill_sidebar, wait_for_app, demo_runs_dir: Path
) -> None:
    outside: list[str] = []

    def record(request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            outside.append(f"{request.resource_type} {request.url}")

    page.on("request", record)
    page.reload()  # the favicon and fonts are requested on load: record them from the first request on
    wait_for_app(page)
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    for label in PAGES:
        open_page(label)
        page.wait_for_timeout(1500)  # charts and the neighborhood drawing load their assets after the script run
        assert page.locator("[data-testid='stException']").count() == 0, label
    assert outside == [], f"requests beyond localhost: {outside}"
