"""Every page opens from the sidebar navigation in a real browser without an exception."""

from __future__ import annotations

import pytest

PAGES = ["Data", "Train", "Runs", "Tune", "Neighborhood", "Embeddings", "Recommend"]


@pytest.mark.parametrize("label", PAGES)
def test_page_opens_without_exception(page, open_page, label: str) -> None:
    open_page(label)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stHeading']").first.is_visible()


def test_a_deep_link_as_a_servers_first_visit_gets_the_full_app(browser, fresh_server, wait_for_app) -> None:
    """A server's first visit by deep link still runs app.py (Streamlit's legacy pages/ mode would skip it)."""
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            page.goto(f"{url}/train")
            page.get_by_text("Runs directory").wait_for()
            page.get_by_role("button", name="Start training").wait_for()
            wait_for_app(page)
            active = page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")
            assert active.inner_text().split()[-1] == "Train" and page.url.endswith("/train")
            labels = page.locator("[data-testid='stSidebarNavLink']").all_inner_texts()
            assert [label.split()[-1] for label in labels] == PAGES  # each label is "<icon name> <title>"
            assert page.locator("[data-testid='stException']").count() == 0
        finally:
            context.close()
