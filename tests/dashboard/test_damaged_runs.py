"""AppTest: one run whose status.json is not UTF-8 is listed as damaged on every page, and the others as usual."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.dashboard.shown import shown

FIXTURE_RUN = "fixture-mf-1epoch"


@pytest.fixture
def runs_dir(trained_runs_dir: Path, tmp_path: Path) -> Path:
    """The trained fixture and a copy of it whose status.json is Latin-1, not UTF-8."""
    shutil.copytree(trained_runs_dir / FIXTURE_RUN, tmp_path / FIXTURE_RUN)
    shutil.copytree(trained_runs_dir / FIXTURE_RUN, tmp_path / "latin1-status")
    (tmp_path / "latin1-status" / "status.json").write_bytes('{"state": "finished", "by": "Müller"}'.encode("latin-1"))
    return tmp_path


@pytest.mark.parametrize("page", ["views/runs.py", "views/train.py", "views/embeddings.py", "views/recommend.py"])
def test_a_status_json_in_latin1_does_not_take_down_the_page(app_at, runs_dir: Path, page: str) -> None:
    at = app_at(page, runs_dir=runs_dir)
    assert not at.exception, at.exception
    assert not at.error, [error.value for error in at.error]


def test_the_runs_page_lists_the_latin1_status_run_as_damaged(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at("views/runs.py", runs_dir=runs_dir)
    table = frame_with(at, "best NDCG").set_index("run")
    assert table.loc[FIXTURE_RUN, "status"] == "finished"
    assert table.loc["latin1-status", "status"] == "unknown (damaged)"
    damaged = " ".join(shown(markdown.value) for markdown in at.markdown)
    assert "status.json is not UTF-8 text (byte 0xfc at offset 30)" in damaged
