"""AppTest of the Runs page's chosen columns: config fields and final test metrics, kept in the URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.state import keys
from tests.support.run_files import fake_run

PAGE = "views/runs.py"


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    fake_run(tmp_path, "a", lr=0.01, params={"num_layers": 2}).write_summary({"test": {"ndcg@20": 0.25}})
    fake_run(tmp_path, "b", lr=0.05, params={"num_layers": 3}, ks=[10, 20])
    return tmp_path


def test_chosen_columns_are_added_and_kept_in_the_url(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    options = at.multiselect(key=keys.RUNS_COLUMNS).options
    assert {"lr", "params.num_layers", "config.epochs", "ks", "test ndcg@20"} <= set(options)
    at.multiselect(key=keys.RUNS_COLUMNS).set_value(["lr", "params.num_layers", "ks", "test ndcg@20"]).run()
    assert not at.exception
    assert at.query_params["columns"] == "lr,params.num_layers,ks,test ndcg@20"
    table = frame_with(at, "lr").set_index("run")
    assert table.loc["a", "lr"] == 0.01 and table.loc["b", "params.num_layers"] == 3
    assert table.loc["b", "ks"] == "[10, 20]" and table.loc["a", "ks"] == "(not set)"
    assert table.loc["a", "test ndcg@20"] == 0.25 and table["test ndcg@20"].isna()["b"]
    at.multiselect(key=keys.RUNS_COLUMNS).set_value([]).run()
    assert "columns" not in at.query_params


def test_a_link_names_the_columns_and_unknown_ones_are_dropped(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir, query={"columns": "lr,no-such-field"})
    assert not at.exception
    assert at.multiselect(key=keys.RUNS_COLUMNS).value == ["lr"]
    assert "lr" in frame_with(at, "best NDCG").columns
    assert at.query_params["columns"] == "lr"  # the URL drops what the page cannot show
