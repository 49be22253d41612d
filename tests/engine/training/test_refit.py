"""A refit trains a validation-selected run's settings again on train ∪ validation for its best epoch, with the same
test set, and reads that test set once."""

from __future__ import annotations

import numpy as np
import pytest

import engine.training.finish as finish
import engine.training.trainer as trainer
from engine.cli import main
from engine.runs.config import TrainConfig
from engine.runs.rundir import RunDir
from engine.training.refit import refit, refit_config


def _selected(tmp_path):
    config = TrainConfig(dataset="synthetic", model="mf", epochs=3, dim=8, seed=2, device="cpu", lr=0.05)
    return trainer.train(config, tmp_path, "selected", progress=False)


def test_a_refit_trains_on_train_and_validation_and_reads_the_test_split_once(tmp_path, monkeypatch):
    selected = _selected(tmp_path)
    reads: list[str] = []

    def counted(module):
        real = module.evaluate_users

        def evaluate_users(user_emb, item_emb, data, split, *args):
            reads.append(split)
            return real(user_emb, item_emb, data, split, *args)

        monkeypatch.setattr(module, "evaluate_users", evaluate_users)

    counted(trainer)
    counted(finish)
    path = refit(selected, progress=False)
    assert reads == ["test"], "a refit evaluates nothing while it trains and tests once, at the end"

    before, after = RunDir(selected).read_split(), RunDir(path).read_split()
    pairs = lambda arrays, part: set(zip(arrays[f"{part}_user"].tolist(), arrays[f"{part}_item"].tolist(), strict=True))  # noqa: E731
    assert pairs(after, "train") == pairs(before, "train") | pairs(before, "val") and len(after["val_user"]) == 0
    assert np.array_equal(after["test_user"], before["test_user"]) and pairs(after, "test") == pairs(before, "test")

    chosen, refitted = RunDir(selected).read(), RunDir(path).read()
    assert refitted.config["refit_of"] == "selected" and refitted.config["epochs"] == chosen.summary["best_epoch"]
    assert refitted.config["seed"] == chosen.config["seed"] and refitted.state == "finished"
    assert refitted.summary["validation"] == chosen.summary["validation"]  # the selection's, labelled as such
    assert refitted.summary["refit"]["selected_epoch"] == chosen.summary["best_epoch"]
    assert refitted.summary["protocol"] == "validation-selected" and refitted.summary["test"] != chosen.summary["test"]
    assert all(set(record) == {"epoch", "loss", "seconds"} for record in refitted.metrics)


def test_only_a_finished_validation_selected_run_is_refit(tmp_path):
    config = TrainConfig(dataset="synthetic", model="mf", epochs=1, dim=8, device="cpu", val_ratio=0.0)
    path = trainer.train(config, tmp_path, "no-validation", progress=False)
    with pytest.raises(ValueError, match="chose no epoch on a validation slice"):
        refit_config(path)


def test_train_refit_prints_the_refit_run_last(tmp_path, capsys):
    runs = tmp_path / "runs"
    argv = ["train", "--model", "mf", "--epochs", "2", "--dim", "8", "--device", "cpu", "--quiet"]
    assert main([*argv, "--runs-dir", str(runs), "--run-id", "chosen", "--refit"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == str(runs / "chosen-refit") and RunDir(runs / "chosen-refit").read().config["refit_of"] == "chosen"
    assert main([*argv, "--runs-dir", str(tmp_path / "none"), "--refit", "--val-ratio", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --refit retrains the epoch chosen on validation, so it needs --val-ratio above 0\n"
    assert not (tmp_path / "none").exists()
