"""Issue 14, point 5: the sidebar's choices live in the URL's query string, so a reload or a shared link keeps them
(its paths once the user says *Use it*, Hardening II point 6)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import answer_link


def sidebar_value(page, label: str) -> str:
    return page.locator("[data-testid='stSidebar']").get_by_label(label, exact=True).input_value()


def test_a_reload_and_a_shared_link_keep_the_sidebar(
    page, browser, open_page, fill_sidebar, wait_for_app, screenshot, tmp_path: Path
):
    empty = tmp_path / "movielens-not-here"
    empty.mkdir()
    runs = tmp_path / "my-runs"
    fill_sidebar(page, "Runs directory", str(runs))
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="Dataset").click()
    page.get_by_role("option", name="movielens-latest-small").click()
    wait_for_app(page)
    fill_sidebar(page, "MovieLens data folder", str(empty))
    open_page("Data")
    error = page.locator("[data-testid='stAlertContentError']").first
    error.wait_for()
    assert "sidebar's MovieLens data folder" in error.inner_text() and "--data-dir" not in error.inner_text()
    screenshot(page, "movielens-error-points-at-the-sidebar")

    assert "dataset_pick=movielens-latest-small" in page.url, page.url
    page.reload()
    wait_for_app(page)
    answer_link(page)  # a reload is a new session: the link's paths wait for the user's word
    assert sidebar_value(page, "MovieLens data folder") == str(empty)
    assert sidebar_value(page, "Runs directory") == str(runs)
    expect(page.locator("[data-testid='stSidebar']")).to_contain_text("MovieLens latest-small: ")  # its caption

    shared = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        other = shared.new_page()
        other.goto(page.url)
        wait_for_app(other)
        answer_link(other)
        assert sidebar_value(other, "MovieLens data folder") == str(empty)
        assert sidebar_value(other, "Runs directory") == str(runs)
    finally:
        shared.close()
