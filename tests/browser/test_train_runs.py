"""End to end in Chromium: start a 2-epoch run on the Train page, watch it finish, find it on the Runs page."""

from __future__ import annotations

import time
from pathlib import Path

from engine.training import RunStore

TRAINING_TIMEOUT_MS = 240_000


def set_number(page, label: str, value: str) -> None:
    field = page.locator("[data-testid='stNumberInput']").filter(has_text=label).locator("input")
    field.fill(value)
    field.press("Tab")


def test_train_a_run_watch_it_live_and_compare_it(page, open_page, wait_for_app, screenshot, browser_runs_dir: Path):
    open_page("Train")
    assert page.locator("[data-testid='stException']").count() == 0
    set_number(page, "epochs", "2")
    started = time.monotonic()
    page.locator("[data-testid='stFormSubmitButton'] button").click()

    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=TRAINING_TIMEOUT_MS)
    first_curve_point = time.monotonic() - started
    page.get_by_text("epoch 2/2").wait_for(timeout=TRAINING_TIMEOUT_MS)
    page.locator("[data-testid='stBadge']").filter(has_text="finished").wait_for(timeout=TRAINING_TIMEOUT_MS)
    wait_for_app(page)
    runs = RunStore(browser_runs_dir).list()
    assert len(runs) == 1 and runs[0].state == "finished" and len(runs[0].metrics) == 2
    run_id = runs[0].run_id
    charts = page.locator("[data-testid='stPlotlyChart']")
    assert charts.count() >= 2
    loss_points = charts.nth(0).locator(".scatterlayer .trace .point")
    assert loss_points.count() == 2
    assert page.locator("[data-testid='stException']").count() == 0
    epoch_seconds = runs[0].metrics[0]["seconds"]
    print(f"\nbrowser: Start to first curve point {first_curve_point:.1f}s; first epoch itself {epoch_seconds:.1f}s")
    screenshot(page, "train")

    open_page("Runs")
    assert page.locator("[data-testid='stException']").count() == 0
    page.locator("[data-testid='stMultiSelect']").filter(has_text=run_id).wait_for()
    overlay = page.locator("[data-testid='stPlotlyChart']").first
    overlay.locator(".legendtext").filter(has_text=run_id).wait_for()
    assert page.get_by_text("Final test metrics").is_visible()
    screenshot(page, "runs")
