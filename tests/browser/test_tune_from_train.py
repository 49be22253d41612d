"""End to end in Chromium: start a 3-trial study (synthetic, MF, 1 epoch a trial) from the Train page's study form,
on the dashboard's worker, watch its trials reach 3/3 and its optimisation history appear, then follow the link to
the Tune page and see the study's history there."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from engine.tuning import study_info, study_names
from tests.support.browser_flows import follow_link, open_train_form

STUDY_TIMEOUT_MS = 300_000


def test_start_a_study_from_the_train_page_and_see_its_history(
    browser, fresh_server, wait_for_app, screenshot, tmp_path
) -> None:
    runs_dir = tmp_path / "runs"  # the fresh server's runs directory: no other test's studies in it
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            form = open_train_form(page, url, wait_for_app, "Tune: search this model", "Start study", model="mf")
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

            follow_link(page, wait_for_app, "Open in the Tune view", "Tune")
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
