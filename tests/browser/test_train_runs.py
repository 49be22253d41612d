"""End to end in Chromium: start 2-epoch LightGCN and MF runs on the Train page, watch them finish, compare them."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from playwright.sync_api import expect

from dashboard.plots.run_table import legend_labels
from engine.models import MODELS
from engine.runs.runstore import RunStore

TRAINING_TIMEOUT_MS = 240_000


def number_field(page, label: str):
    """A field of the training form (the experiment form below it has fields of its own)."""
    form = page.locator("[data-testid='stForm']").filter(has_text="Start training")
    return form.locator("[data-testid='stNumberInput']").filter(has_text=label).locator("input")


def set_number(page, label: str, value: str) -> None:
    field = number_field(page, label)
    expect(field).to_have_count(1)  # a rerun in flight can leave the old form's field beside the new one
    field.fill(value)
    field.press("Tab")


def choose_model(page, wait_for_app, name: str) -> None:
    """Pick a model and wait until its own form is drawn: the epochs field shows that model's default."""
    page.locator("[data-testid='stSelectbox']").filter(has_text="Model").click()
    page.get_by_role("option", name=name, exact=True).click()
    wait_for_app(page)
    epochs = number_field(page, "epochs")
    expect(epochs).to_have_count(1)
    expect(epochs).to_have_value(str(MODELS[name].default_train.epochs))


def test_train_a_run_watch_it_live_and_compare_it(page, open_page, wait_for_app, screenshot, browser_runs_dir: Path):
    open_page("Train")
    assert page.locator("[data-testid='stException']").count() == 0
    set_number(page, "epochs", "2")
    started = time.monotonic()
    page.get_by_role("button", name="Start training").click()

    page.locator("[data-testid='stPlotlyChart']").first.wait_for(timeout=TRAINING_TIMEOUT_MS)
    first_curve_point = time.monotonic() - started
    page.get_by_text("epoch 2/2").wait_for(timeout=TRAINING_TIMEOUT_MS)
    page.get_by_text("Final test metrics").wait_for(timeout=TRAINING_TIMEOUT_MS)
    wait_for_app(page)
    assert page.get_by_text("finished", exact=True).is_visible()
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

    choose_model(page, wait_for_app, "mf")
    set_number(page, "epochs", "2")
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
    while len([run for run in RunStore(browser_runs_dir).list() if run.state == "finished"]) < 2:
        assert time.monotonic() < deadline, "the second run did not finish"
        time.sleep(0.5)
    second = next(run.run_id for run in RunStore(browser_runs_dir).list() if run.run_id != run_id)
    assert second.startswith("mf-synthetic-")
    page.get_by_text(second).first.wait_for()
    page.get_by_text("Final test metrics").wait_for(timeout=TRAINING_TIMEOUT_MS)

    open_page("Runs")
    assert page.locator("[data-testid='stException']").count() == 0
    labels = legend_labels([RunStore(browser_runs_dir).get(listed) for listed in (run_id, second)])
    for listed in (run_id, second):
        compare = page.locator("[data-testid='stMultiSelect']").filter(has_text="Compare runs")  # not the diff's
        compare.filter(has_text=listed).wait_for()
        overlay = page.locator("[data-testid='stPlotlyChart']").first
        overlay.locator(".legendtext").filter(has_text=labels[listed]).wait_for()  # model and start time
    assert page.get_by_text("Final test metrics", exact=True).is_visible()
    screenshot(page, "runs")


def test_closing_the_tab_keeps_the_run_and_stop_works_after_reopening(
    page, browser, app_url: str, open_page, wait_for_app, browser_runs_dir: Path
):
    open_page("Train")
    choose_model(page, wait_for_app, "mf")
    set_number(page, "epochs", "5000")
    # Runs are validation-selected with early stopping by default: MF would stop itself within seconds.
    page.locator("[data-testid='stForm']").filter(has_text="Start training").get_by_text("Advanced").click()
    set_number(page, "Patience", "0")
    before = {run.run_id for run in RunStore(browser_runs_dir).list()}
    page.get_by_role("button", name="Start training").click()
    wait_for_app(page)
    deadline = time.monotonic() + TRAINING_TIMEOUT_MS / 1000
    while True:
        started = [run for run in RunStore(browser_runs_dir).list() if run.run_id not in before]
        if started and started[0].state == "running" and started[0].metrics:
            break
        assert time.monotonic() < deadline, "the long run never started"
        time.sleep(0.5)
    run_id = started[0].run_id
    page.context.close()
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    try:
        time.sleep(2)
        assert RunStore(browser_runs_dir).get(run_id).state == "running"
        reopened = context.new_page()
        reopened.goto(f"{app_url}/train")
        wait_for_app(reopened)
        reopened.locator("[data-testid='stMarkdownContainer']").filter(has_text=run_id).first.wait_for()
        reopened.get_by_text("running", exact=True).wait_for()
        reopened.get_by_role("button", name="Stop").click()
        while RunStore(browser_runs_dir).get(run_id).state != "stopped":
            assert time.monotonic() < deadline, "the run did not stop"
            time.sleep(0.5)
        reopened.get_by_text("stopped", exact=True).wait_for()
        stopped = RunStore(browser_runs_dir).get(run_id)
        assert stopped.metrics and stopped.status["epoch"] < 5000
    finally:
        pid = RunStore(browser_runs_dir).get(run_id).status.get("pid")
        if RunStore(browser_runs_dir).get(run_id).state == "running" and isinstance(pid, int):
            os.kill(pid, signal.SIGKILL)
        context.close()
