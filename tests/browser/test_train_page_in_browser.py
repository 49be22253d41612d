"""Issue 14, point 6: the Train page after Start shows its live panel, labels read whole, a stopped run says why."""

from __future__ import annotations

import time
from pathlib import Path

from engine.jobs.client import WorkerPaths, worker_info
from tests.browser.conftest import DEMO_STOPPED
from tests.browser.test_train_runs import choose_model, set_number

TRAINING_TIMEOUT_MS = 240_000
RAW_NAMES = {"lr", "ks", "dim", "reg", "hard band lo", "num layers", "init std"}


def truncated_labels(page) -> list[str]:
    """Widget labels of the form that are cut short (their text is wider than the space shown)."""
    return page.locator(
        "[data-testid='stForm'] label p, [data-testid='stForm'] [data-testid='stWidgetLabel'] p"
    ).evaluate_all(
        "(texts) => texts.filter((text) => text.scrollWidth > text.clientWidth + 1).map((text) => text.innerText)"
    )


def test_start_with_advanced_open_brings_the_live_panel_into_view(
    page, open_page, fill_sidebar, wait_for_app, screenshot, tmp_path: Path
):
    fill_sidebar(page, "Runs directory", str(tmp_path / "runs"))
    open_page("Train")
    for model in ("pinsage", "mf"):  # PinSage has the most fields; MF trains fastest
        choose_model(page, wait_for_app, model)
        page.locator("[data-testid='stForm'] [data-testid='stExpander'] summary").click()
        page.wait_for_timeout(500)
        labels = page.locator("[data-testid='stForm'] [data-testid='stWidgetLabel']").all_inner_texts()
        assert not RAW_NAMES & {label.strip().lower() for label in labels}, labels
        assert truncated_labels(page) == [], model
        if model == "pinsage":
            screenshot(page, "train-form-pinsage")
    set_number(page, "Epochs", "2")
    # The sidebar started the runs directory's worker; on a busy machine its imports can outlast filling the form,
    # and a Start before it is ready runs a fresh process (tested elsewhere). This test is about the worker's path.
    deadline = time.monotonic() + 120
    while not (worker_info(tmp_path / "runs") or {}).get("ready") and time.monotonic() < deadline:
        time.sleep(0.2)
    start = page.get_by_role("button", name="Start training")
    start.scroll_into_view_if_needed()
    start.click()
    panel = page.locator(".st-key-train_live_panel")
    panel.get_by_text("mf on synthetic").wait_for(timeout=TRAINING_TIMEOUT_MS)
    page.wait_for_timeout(1500)  # the smooth scroll
    top = panel.bounding_box()["y"]
    assert -5 <= top < page.viewport_size["height"] / 2, f"the live panel starts at y={top}, not in view"
    page.get_by_text("Final test metrics").wait_for(timeout=TRAINING_TIMEOUT_MS)
    assert page.locator("[data-testid='stException']").count() == 0
    # Issue 14, point 2: the dashboard's warm worker (started for this runs directory) forked the run.
    jobs = WorkerPaths.of(tmp_path / "runs").jobs
    assert worker_info(tmp_path / "runs") is not None and len(list(jobs.glob("*.pid"))) == 1
    deadline = time.monotonic() + 60  # the page shows the final metrics a moment before the process has exited
    while not list(jobs.glob("*.exit")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [exit.read_text() for exit in jobs.glob("*.exit")] == ["0"]


def test_a_stopped_run_shows_why_and_its_last_metrics(
    page, open_page, fill_sidebar, wait_for_app, screenshot, demo_runs_dir: Path
):
    fill_sidebar(page, "Runs directory", str(demo_runs_dir))
    open_page("Train")
    follow = page.locator("[data-testid='stSelectbox']").filter(has_text="Follow run").locator("input")
    follow.click()
    page.keyboard.type(DEMO_STOPPED)
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_text("stopped", exact=True).wait_for()
    page.get_by_text("Stopped on request (SIGTERM").wait_for()
    page.get_by_text("Last evaluated epoch (").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    screenshot(page, "train-stopped-run")
