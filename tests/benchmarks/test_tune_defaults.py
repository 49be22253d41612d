"""benchmarks/tune_defaults.py: equal budgets drawn from each model's space, scored on validation alone."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from engine.models import MODELS
from engine.runs.rundir import read_run

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("tune_defaults", ROOT / "benchmarks" / "tune_defaults.py")
tune = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tune)


@pytest.mark.parametrize("model", sorted(tune.SEARCH_SPACES))
def test_every_model_gets_the_incumbent_then_distinct_draws_from_its_space(model):
    configs = tune.configurations(model, 5, seed=0)
    assert len(configs) == 5
    cls = MODELS[model]
    assert configs[0]["lr"] == cls.default_train.lr and configs[0]["epochs"] == cls.default_train.epochs
    params = cls.Params()
    assert all(configs[0][key] == getattr(params, key) for key in configs[0] if key not in tune.TRAINER_KEYS)
    assert len({tuple(sorted(config.items())) for config in configs}) == 5
    for config in configs[1:]:
        assert all(config[key] in values for key, values in tune.SEARCH_SPACES[model].items())
    assert configs == tune.configurations(model, 5, seed=0)
    assert configs != tune.configurations(model, 5, seed=1)


def test_a_budget_larger_than_the_space_is_refused():
    with pytest.raises(SystemExit, match="search space has"):
        tune.configurations("mf", 10_000, seed=0)


def test_a_run_is_scored_on_its_selected_epochs_validation_figure(tmp_path):
    config = {"lr": 0.005, "reg": 1e-4, "epochs": 3}
    result = tune.train_one("mf", "synthetic", None, config, tmp_path, "one", timeout=300)
    info = read_run(tmp_path / "one")
    selected = [row for row in info.metrics if row.get("split") == "val" and row["epoch"] == result["best_epoch"]]
    assert len(selected) == 1 and result["validation"] == selected[0]["ndcg@10"]
    assert result["validation"] == max(row["ndcg@10"] for row in info.metrics if row.get("split") == "val")
    assert result["validation"] != info.summary["test"]["ndcg@10"]
    assert result["epochs_run"] == 3 and not result["timeout"]
