"""Every page opens from the sidebar navigation in a real browser without an exception."""

from __future__ import annotations

import pytest

PAGES = ["Data", "Train", "Runs", "Neighborhood", "Embeddings", "Recommend"]


@pytest.mark.parametrize("label", PAGES)
def test_page_opens_without_exception(page, open_page, label: str) -> None:
    open_page(label)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("[data-testid='stHeading']").first.is_visible()
