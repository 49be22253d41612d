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
    launch_options,
    prepare_runs_dir,
)


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
