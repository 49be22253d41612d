"""End to end in Chromium: start a tiny experiment (synthetic, mf and lightgcn, seeds 0 and 1, 1 epoch) from the Train
page, watch its progress reach 4/4, follow the link to the Runs page and see its comparison there."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from engine.experiments import list_experiments, member_states
from tests.support.browser_flows import follow_link, open_train_form

EXPERIMENT_TIMEOUT_MS = 300_000


def test_start_an_experiment_and_see_its_comparison(browser, fresh_server, wait_for_app, screenshot, tmp_path) -> None:
    runs_dir = tmp_path / "runs"  # the fresh server's runs directory: no other test's runs in it
    with fresh_server() as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = context.new_page()
            form = open_train_form(page, url, wait_for_app, "Experiment: several models", "Start experiment")
            form.get_by_role("textbox", name="Experiment name").fill("browser-exp")
            expect(form.locator("[data-testid='stMultiSelect']")).to_contain_text("mf")
            expect(form.locator("[data-testid='stMultiSelect']")).to_contain_text("lightgcn")
            form.get_by_role("textbox", name="Seeds").fill("0,1")
            form.get_by_role("spinbutton", name="Epochs").fill("1")
            started = time.monotonic()
            form.get_by_role("button", name="Start experiment").click()
            wait_for_app(page)
            assert page.locator("[data-testid='stException']").count() == 0

            page.get_by_text("4/4 runs finished").wait_for(timeout=EXPERIMENT_TIMEOUT_MS)
            page.get_by_text("Experiment browser-exp finished: 4 runs.").wait_for(timeout=EXPERIMENT_TIMEOUT_MS)
            print(f"\nbrowser: experiment of 4 one-epoch runs finished {time.monotonic() - started:.1f}s after Start")
            assert list_experiments(runs_dir) == ["browser-exp"]
            assert set(member_states(runs_dir, "browser-exp").values()) == {"finished"}
            screenshot(page, "train-experiment")

            follow_link(page, wait_for_app, "Compare on the Runs page", "Runs")
            assert "experiment=browser-exp" in page.url
            expect(page.get_by_role("combobox", name="Experiment", exact=True)).to_have_value("browser-exp")
            page.get_by_text("2 seeds").first.wait_for()
            page.locator("[data-testid='stPlotlyChart']").filter(has_text="Paired").first.wait_for()
            assert page.locator("[data-testid='stException']").count() == 0
            screenshot(page, "runs-experiment-from-train")
        finally:
            context.close()
