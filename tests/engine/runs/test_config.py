"""A run's config.json names its data folder absolutely, so its `--resume` command works from any folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.runs.config import TrainConfig, resolve


def test_resolve_makes_a_relative_data_dir_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "project").mkdir()
    monkeypatch.chdir(tmp_path / "project")
    config = resolve(TrainConfig(dataset="movielens-latest-small", model="mf", data_dir="../shared/data/ml"))
    assert config.data_dir == str(tmp_path / "shared" / "data" / "ml")
    assert resolve(config).data_dir == config.data_dir  # resolving again changes nothing
    assert resolve(TrainConfig(model="mf")).data_dir is None  # no folder: the dataset's own place


def test_a_home_relative_data_dir_is_expanded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve(TrainConfig(model="mf", data_dir="~/ml")).data_dir == str(tmp_path / "ml")
