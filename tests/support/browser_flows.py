"""Steps the browser tests share: pick a select box's option by typing it, open one of the Train page's forms, and
follow a link to another page of the dashboard."""

from __future__ import annotations

from collections.abc import Callable


def choose(page, wait_for_app: Callable, label: str, text: str) -> None:
    """Pick ``text`` in the select box labelled ``label`` by typing it and pressing Enter (clicking a listed option
    timed out on a loaded machine: the list re-renders while it opens)."""
    page.locator("[data-testid='stSelectbox']").filter(has_text=label).first.locator("input").click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    wait_for_app(page)


def open_train_form(page, url: str, wait_for_app: Callable, expander: str, button: str, model: str | None = None):
    """Open the Train page at ``url`` (and pick ``model``), unfold the expander whose title has ``expander``, and
    return its form (the one holding ``button``)."""
    page.set_default_timeout(60_000)
    page.goto(f"{url}/train")
    page.get_by_role("button", name="Start training").wait_for()
    wait_for_app(page)
    if model is not None:
        choose(page, wait_for_app, "Model", model)
    page.locator("[data-testid='stExpander']").filter(has_text=expander).click()
    return page.locator("[data-testid='stForm']").filter(has_text=button)


def follow_link(page, wait_for_app: Callable, link: str, to_page: str) -> None:
    """Click the link ``link`` and wait until page ``to_page`` is the current one and its script run has finished."""
    page.get_by_role("link", name=link).click()
    page.locator("[data-testid='stSidebarNavLink'][aria-current='page']").filter(has_text=to_page).wait_for()
    page.wait_for_timeout(300)
    wait_for_app(page)
