"""``python -m engine check-model``: the model contract on a user's class, each failure named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.training.contract import check_model

ROOT = Path(__file__).resolve().parents[3]
CUSTOM = "tests.support.custom_models:BiasedMF"


def test_a_complete_custom_model_passes_every_check():
    checks = check_model(CUSTOM)
    assert [check.name for check in checks] == [
        "class", "builds", "embeddings", "loss", "masks seen", "deterministic", "learns", "checkpoint", "cold start",
    ]  # fmt: skip
    assert all(check.passed for check in checks), [check.message for check in checks if not check.passed]


def test_a_class_lacking_parts_fails_with_each_named():
    checks = check_model("tests.support.custom_models:NoLoss")
    assert not any(check.passed for check in checks)
    assert [check.message for check in checks] == [
        "NoLoss does not implement loss (abstract in Recommender)",
        "NoLoss.Params must be a dataclass of its hyper-parameters (an empty one if none)",
    ]


def test_a_model_whose_embeddings_are_not_what_it_trains_fails_learns(monkeypatch):
    import torch

    from tests.support import custom_models

    def untrained(self):  # the same random vectors whatever training did
        generator = torch.Generator().manual_seed(0)
        user = torch.randn(self.num_users, self.dim, generator=generator)
        return user, torch.randn(self.num_items, self.dim, generator=generator)

    monkeypatch.setattr(custom_models.BiasedMF, "embeddings", untrained)
    failed = {check.name: check.message for check in check_model(CUSTOM) if not check.passed}
    assert list(failed) == ["learns"]
    assert failed["learns"].endswith(
        "do not get the one item of their taste group they miss as their top recommendation"
    )


def run_cli(*words: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "engine", "check-model", *words]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_cli_prints_every_check_and_exits_1_on_a_failure():
    result = run_cli("tests.support.custom_models:NotARecommender")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        "FAIL class: NotARecommender is not a subclass of engine.models.Recommender"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nopkg.models:TwoTower", "error: cannot import module 'nopkg.models' of model 'nopkg.models:TwoTower'"),
        ("twotower", "error: 'twotower' is not package.module:ClassName (e.g. mypackage.models:TwoTower)"),
    ],
)
def test_cli_names_a_class_that_cannot_be_imported_in_one_error_line(name, message):
    result = run_cli(name)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1


def test_cli_passes_a_built_in_model():
    result = run_cli("mf")
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[-1].startswith("mf passes the model contract")
