"""Sidebar logic: launch options from flags and environment, runs-directory checks, dataset choice."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.components.sidebar import (
    CSV_CHOICE,
    DEFAULT_RUNS_DIR,
    RUNS_DIR_ENV,
    RunsDirError,
    dataset_from_choice,
    for_the_sidebar,
    launch_options,
    prepare_runs_dir,
)
from dashboard.state import keys
from tests.dashboard.shown import shown


def test_flag_beats_environment_beats_default() -> None:
    assert launch_options([], {}).runs_dir == DEFAULT_RUNS_DIR
    assert launch_options([], {RUNS_DIR_ENV: "/env/runs"}).runs_dir == "/env/runs"
    assert launch_options(["--runs-dir", "/flag/runs"], {RUNS_DIR_ENV: "/env/runs"}).runs_dir == "/flag/runs"


def test_dataset_flags_and_unknown_arguments() -> None:
    options = launch_options(["tests/x.py", "-q", "--dataset", "movielens-100k", "--data-dir", "/ml", "--other"], {})
    assert (options.dataset, options.data_dir) == ("movielens-100k", "/ml")
    assert launch_options([], {}).dataset == "synthetic" and launch_options([], {}).data_dir is None


def test_missing_runs_directory_is_created(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "runs"
    assert prepare_runs_dir(target) == target.resolve() and target.is_dir()


def test_runs_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "runs"
    file.write_text("not a folder")
    with pytest.raises(RunsDirError, match="is a file, not a folder"):
        prepare_runs_dir(file)


def test_runs_directory_below_a_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunsDirError, match="cannot be created"):
        prepare_runs_dir(tmp_path / "file" / "runs")


@pytest.mark.parametrize(
    ("choice", "path", "expected"),
    [("synthetic", "ignored", "synthetic"), (CSV_CHOICE, " data/x.csv ", "csv:data/x.csv"), (CSV_CHOICE, "  ", None)],
)
def test_dataset_from_choice(choice: str, path: str, expected: str | None) -> None:
    assert dataset_from_choice(choice, path) == expected


def test_the_query_string_restores_the_sidebar_and_movielens_errors_point_at_its_field(app_at, tmp_path: Path) -> None:
    empty = tmp_path / "no-movielens-here"
    empty.mkdir()
    query = {keys.DATASET_PICK: "movielens-latest-small", keys.DATA_DIR: str(empty)}
    at = app_at("views/data.py", query=query)
    assert not at.exception and not at.main.error  # a folder from a link waits for the user's word
    at = at.button(key=keys.LINK_USE).click().run()
    assert not at.exception
    assert at.selectbox(key=keys.DATASET_PICK).value == "movielens-latest-small"
    assert at.text_input(key=keys.DATA_DIR).value == str(empty)
    (error,) = [shown(element.value) for element in at.error]
    assert "the sidebar's MovieLens data folder must point at" in error and "--data-dir" not in error


def test_engine_advice_for_the_command_line_is_rewritten_for_the_sidebar() -> None:
    offline = (
        "fetch https://x/ml.zip by hand, unzip it, and pass --data-dir /path/to/ml (or load_dataset('m', data_dir=...))"
    )
    assert for_the_sidebar(offline) == (
        "fetch https://x/ml.zip by hand, unzip it, and type /path/to/ml into the sidebar's MovieLens data folder"
    )
    assert "--data-dir" not in for_the_sidebar(
        "data folder '/x' is not an existing folder; fix --data-dir or leave it out"
    )
