"""AppTest of the Runs page's filters: dataset, model, state, tag and a search of ids, tags and notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.state import keys
from tests.support.run_files import fake_run

PAGE = "views/runs.py"


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """Four runs written by hand: two datasets, two models, one failed, two tagged, one with a note."""
    fake_run(tmp_path, "mf-syn").edit_tags(add=["baseline"], note="First try of the LR sweep")
    fake_run(tmp_path, "lgcn-syn", model="lightgcn").edit_tags(add=["baseline", "sweep"])
    fake_run(tmp_path, "lgcn-ml", model="lightgcn", dataset="ml-100k")
    fake_run(tmp_path, "failed-syn", state="failed")
    return tmp_path


def listed(at, frame_with) -> set[str]:
    return {run for frame in at.dataframe if "run" in frame.value.columns for run in frame.value["run"]}


def test_filters_keep_the_runs_that_match_and_tables_stay_per_dataset(app_at, frame_with, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    assert not at.exception
    assert listed(at, frame_with) == {"mf-syn", "lgcn-syn", "lgcn-ml", "failed-syn"}
    assert len([frame for frame in at.dataframe if "run" in frame.value.columns]) == 2  # one table per dataset
    at.multiselect(key=keys.RUNS_FILTER_PREFIX + "model").set_value(["lightgcn"]).run()
    assert listed(at, frame_with) == {"lgcn-syn", "lgcn-ml"}
    at.multiselect(key=keys.RUNS_FILTER_PREFIX + "dataset").set_value(["synthetic"]).run()
    assert listed(at, frame_with) == {"lgcn-syn"}
    assert any("1 runs of 4 (filtered)" in caption.value for caption in at.caption)
    at.multiselect(key=keys.RUNS_FILTER_PREFIX + "model").set_value([]).run()
    at.multiselect(key=keys.RUNS_FILTER_PREFIX + "state").set_value(["failed"]).run()
    assert listed(at, frame_with) == {"failed-syn"}
    assert list(at.multiselect(key=keys.RUNS_SELECTED).options) == ["failed-syn"]  # the overlay picks among them


@pytest.mark.parametrize(
    ("tags", "search", "expected"),
    [
        (["baseline"], "", {"mf-syn", "lgcn-syn"}),
        (["sweep"], "", {"lgcn-syn"}),
        ([], "lr SWEEP", {"mf-syn"}),  # the note, case-insensitive
        ([], "sweep", {"mf-syn", "lgcn-syn"}),  # a note or a tag
        ([], "lgcn", {"lgcn-syn", "lgcn-ml"}),  # the run id
    ],
)
def test_tag_filter_and_search(app_at, frame_with, runs_dir: Path, tags, search, expected) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.multiselect(key=keys.RUNS_FILTER_PREFIX + "tag").set_value(tags)
    at.text_input(key=keys.RUNS_SEARCH).set_value(search).run()
    assert not at.exception
    assert listed(at, frame_with) == expected


def test_no_match_says_so(app_at, runs_dir: Path) -> None:
    at = app_at(PAGE, runs_dir=runs_dir)
    at.text_input(key=keys.RUNS_SEARCH).set_value("nothing like this").run()
    assert not at.exception and not at.dataframe
    assert "None of the 4 runs matches the filters." in at.info[0].value
