"""Hardening II, point 6, in Chromium: a link that names a runs directory or a CSV file waits in the sidebar for the
user's word; nothing is created or read before it, a NUL in the link is a message, and a file that is not a CSV is
never quoted."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import answer_link

NOTICE = "[data-testid='stSidebar'] .st-key-link_notice"


def main(page):
    return page.locator("[data-testid='stMain']")


def no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0


def test_a_link_to_a_new_runs_directory_creates_nothing_until_use_it(
    page, app_url, wait_for_app, browser_runs_dir: Path, tmp_path: Path
) -> None:
    linked = tmp_path / "made" / "by" / "a-link"
    link = f"{app_url}/runs?runs_dir={urllib.parse.quote(str(linked), safe='')}"
    page.goto(link)
    wait_for_app(page)
    expect(page.locator(NOTICE)).to_contain_text(f"This link asks to use runs directory '{linked}'.")
    expect(main(page)).to_contain_text("Answer in the sidebar")
    no_exception(page)
    assert not (tmp_path / "made").exists()

    answer_link(page, "Keep current")
    expect(page).to_have_url(re.compile(re.escape(f"runs_dir={urllib.parse.quote(str(browser_runs_dir), safe='')}")))
    expect(main(page).get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    assert not (tmp_path / "made").exists()

    page.goto(link)
    wait_for_app(page)
    answer_link(page, "Use it")
    no_exception(page)
    assert linked.is_dir()
    field = page.locator("[data-testid='stSidebar']").get_by_label("Runs directory", exact=True)
    expect(field).to_have_value(str(linked))
    expect(main(page)).to_contain_text("No runs in")


def test_a_nul_in_the_linked_runs_directory_is_a_message(page, app_url, wait_for_app) -> None:
    page.goto(f"{app_url}/train?runs_dir=%00")
    wait_for_app(page)
    no_exception(page)
    notice = page.locator(NOTICE)
    expect(notice).to_contain_text("holds a NUL character, which no path can; it cannot be used")
    expect(notice.get_by_role("button", name="Use it", exact=True)).to_be_disabled()
    answer_link(page, "Keep current")
    no_exception(page)
    expect(main(page).get_by_role("heading", name="Train", exact=True)).to_be_visible()


def test_a_linked_file_that_is_not_a_csv_is_never_quoted(page, app_url, wait_for_app, tmp_path: Path) -> None:
    secrets = tmp_path / "passwd"
    secrets.write_text("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice Secret,,,:/home/alice:/bin/sh\n")
    query = urllib.parse.urlencode({"dataset_pick": "CSV file…", "csv_path": str(secrets)})
    page.goto(f"{app_url}/?{query}")  # Data, the default page
    wait_for_app(page)
    expect(page.locator(NOTICE)).to_contain_text(f"This link asks to use interactions CSV '{secrets}'.")
    answer_link(page, "Use it")
    no_exception(page)
    expect(main(page)).to_contain_text("is not named .csv, so it was not read")
    text = page.locator("[data-testid='stApp']").inner_text()
    assert "root:" not in text and "Secret" not in text
