"""End to end in Chromium: start a 3-trial study (synthetic, MF, 1 epoch a trial) from the Train page's study form,
on the dashboard's worker, watch its trials reach 3/3 and its optimisation history appear, then follow the link to
the Tune page and see the study's history there."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from engine.tuning import study_info, study_names

STUDY_TIMEOUT_MS = 300_000


def test_start_a_study_from_the_train_page_and_see_its_history(
    browser, fresh_server, wait_for_app, screenshot, tmp_path
) -> None:
    runs_dir = tmp_path / "runs"  # the fresh server's runs directory: no other test's studies in it
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{url}/train")
            page.get_by_role("button", name="Start training").wait_for()
            wait_for_app(page)
            page.get_by_role("combobox", name="Model", exact=True).click()
            page.get_by_role("option", name="mf", exact=True).click()
            wait_for_app(page)
            page.locator("[data-testid='stExpander']").filter(has_text="Tune: search this model").click()
            form = page.locator("[data-testid='stForm']").filter(has_text="Start study")
            form.get_by_role("textbox", name="Study name").fill("browser-study")
            form.get_by_role("spinbutton", name="Trials").fill("3")
            form.get_by_role("spinbutton", name="Epochs per trial").fill("1")
            started = time.monotonic()
            form.get_by_role("button", name="Start study").click()
            wait_for_app(page)
            assert page.locator("[data-testid='stException']").count() == 0

            page.get_by_text("3/3 trials:").wait_for(timeout=STUDY_TIMEOUT_MS)
            page.get_by_text("Study browser-study finished").wait_for(timeout=STUDY_TIMEOUT_MS)
            print(f"\nbrowser: study of 3 one-epoch MF trials finished {time.monotonic() - started:.1f}s after Start")
            history = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Optimisation history")
            history.first.wait_for()
            assert history.first.locator(".scatterlayer .point").count() >= 3  # one marker per finished trial
            assert study_names(runs_dir) == ["browser-study"]
            info = study_info(runs_dir, "browser-study")
            assert info.done + info.pruned == 3 and info.model == "mf"
            screenshot(page, "train-study")

            page.get_by_role("link", name="Open in the Tune view").click()
            page.locator("[data-testid='stSidebarNavLink'][aria-current='page']").filter(has_text="Tune").wait_for()
            page.wait_for_timeout(300)
            wait_for_app(page)
            assert "study=browser-study" in page.url
            expect(page.get_by_role("combobox", name="Study", exact=True)).to_have_value("browser-study")
            tuned = page.locator("[data-testid='stPlotlyChart']").filter(has_text="Optimisation history")
            tuned.first.wait_for()
            assert tuned.first.locator(".scatterlayer .point").count() >= 3
            page.get_by_text("Best configuration").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0
            screenshot(page, "tune-study-from-train")
        finally:
            context.close()
