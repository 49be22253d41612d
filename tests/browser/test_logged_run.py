"""Issue 21, points 1 and 2: a run logged with engine.track from a loop outside the engine opens on the Runs,
Embeddings and Recommend pages like the engine's own runs (its map drawn, its recommendations listed, cold start
declined), and the PyG loader batches it logged replay on the Neighborhood page, the leaking one flagged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import track
from engine.loader.reopen import open_run_graph
from engine.runs.npzio import load_npz
from tests.browser.test_recommend_page import pick_run
from tests.support.pyg_batches import log_loader_batches
from tests.support.sample_runs import train_sample_run

LOGGED = "logged-copy"


@pytest.fixture(scope="module")
def logged_runs_dir(chromium_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MF run trained by the CLI, and its best snapshot logged again with engine.track on its split."""
    runs_dir = tmp_path_factory.mktemp("logged-runs")
    engine_run = train_sample_run(runs_dir, "engine-mf", "mf", epochs=1)
    stored = load_npz(engine_run / "embeddings" / "best.npz")
    epoch = json.loads((engine_run / "summary.json").read_text())["best_epoch"]
    with track.init("copy", runs_dir=runs_dir, split=track.split_of(engine_run), run_id=LOGGED) as run:
        run.log(epoch, loss=0.5, metrics={"my_ndcg@20": 0.1})
        run.snapshot(epoch, users=stored["user"], items=stored["item"])
        log_loader_batches(run, open_run_graph(engine_run).train)  # PyG's own loaders on our sampler
    return runs_dir


def test_a_logged_run_opens_on_the_runs_embeddings_recommend_and_neighborhood_pages(
    page, open_page, fill_sidebar, wait_for_app, logged_runs_dir: Path
):
    fill_sidebar(page, "Runs directory", str(logged_runs_dir))
    open_page("Runs")
    page.locator("[data-testid='stMultiSelect']").filter(has_text="Compare runs").filter(has_text=LOGGED).wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
    runs_table = page.locator("[data-testid='stDataFrame']").first
    runs_table.get_by_text("track:copy").first.wait_for(state="attached")

    open_page("Embeddings")
    pick_run(page, wait_for_app, LOGGED)
    page.get_by_text("PCA", exact=True).click()
    wait_for_app(page)
    title = page.locator("[data-testid='stPlotlyChart'] .gtitle").first
    title.wait_for()
    assert title.text_content() == "track:copy · epoch 1 · PCA"
    assert page.locator("[data-testid='stException']").count() == 0

    open_page("Recommend")
    pick_run(page, wait_for_app, LOGGED)
    page.get_by_text("held-out items recovered").wait_for()
    page.get_by_text("cold start is not available for a run logged with engine.track").wait_for()
    assert page.locator("[data-testid='stException']").count() == 0

    open_page("Neighborhood")
    page.get_by_role("heading", name="Replay a logged PyG batch").wait_for()
    page.get_by_text("Leakage: 6 of the batch's 6 positive supervision edges", exact=False).wait_for()
    assert page.locator("[data-testid='stException']").count() == 0
