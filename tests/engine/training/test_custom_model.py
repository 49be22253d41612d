"""``--model package.module:ClassName`` trains a user's Recommender with the engine's loop, like one of ours."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from engine.runs.config import TrainConfig
from engine.runs.rundir import read_run
from engine.training import load_run, resume, train
from tests.support.custom_models import BiasedMF

ROOT = Path(__file__).resolve().parents[3]
CUSTOM = "tests.support.custom_models:BiasedMF"


def test_a_custom_model_trains_evaluates_loads_and_resumes(tmp_path):
    config = TrainConfig(model=CUSTOM, dataset="synthetic", epochs=1, dim=8, ks=[10], params={"init_std": 0.05})
    run_dir = train(config, tmp_path, progress=False)
    assert run_dir.name.startswith("BiasedMF-synthetic-")
    info = read_run(run_dir)
    assert info.state == "finished" and info.config["model"] == CUSTOM and not info.damaged
    assert 0 <= info.summary["test"]["ndcg@10"] <= 1 and info.config["lr"] == BiasedMF.default_train.lr
    loaded = load_run(run_dir)
    assert isinstance(loaded.model, BiasedMF) and loaded.model.params.init_std == 0.05
    resume(run_dir, epochs=2, progress=False)
    assert read_run(run_dir).status["epoch"] == 2


def test_cli_trains_a_custom_model_and_refuses_a_bad_one_in_one_line(tmp_path):
    base = [sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--epochs", "1", "--dim", "8",
            "--runs-dir", str(tmp_path), "--quiet"]  # fmt: skip
    bad = subprocess.run([*base, "--model", "tests.support.custom_models:NoLoss"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: model 'tests.support.custom_models:NoLoss' cannot be trained by the engine: NoLoss does not implement "
        "loss (abstract in Recommender); NoLoss.Params must be a dataclass of its hyper-parameters (an empty one if "
        "none)"
    )
    assert not any(tmp_path.iterdir())
    tracked = subprocess.run([*base, "--model", "track:mine"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert tracked.returncode == 2 and "the engine cannot train or resume it" in tracked.stderr
    good = subprocess.run([*base, "--model", CUSTOM, "--param", "init_std=0.2"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert read_run(good.stdout.strip().splitlines()[-1]).config["params"] == {"init_std": 0.2}
