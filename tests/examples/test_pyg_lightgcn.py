"""examples/pyg_lightgcn.py, as README shows it: PyG's LightGCN logged with engine.track and compared with MF."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.runs.runstore import RunStore

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "ml-latest-small"
if not (DATA / "ratings.csv").is_file():  # a worktree sits one folder deeper than the main checkout
    DATA = Path("/work/shared/data/ml-latest-small")


@pytest.mark.skipif(not (DATA / "ratings.csv").is_file(), reason=f"MovieLens latest-small is not in {DATA}")
def test_the_example_logs_pyg_lightgcn_on_the_mf_runs_split_and_compares_them(tmp_path):
    command = [
        sys.executable, "examples/pyg_lightgcn.py", "--data-dir", str(DATA), "--runs-dir", str(tmp_path),
        "--epochs", "2", "--mf-epochs", "1", "--dim", "16", "--snapshot-every", "1",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    runs = {run.config["model"]: run for run in RunStore(tmp_path).list()}
    assert set(runs) == {"mf", "track:pyg-lightgcn"} and all(run.state == "finished" for run in runs.values())
    logged = runs["track:pyg-lightgcn"]
    assert logged.summary["test_source"] == "engine" and logged.summary["selected_by"] == "validation ndcg@20"
    assert [line["epoch"] for line in logged.metrics] == [1, 2] and logged.files.snapshot_epochs() == [1, 2]
    assert "paired per-user difference vs mf" in result.stdout
    assert any(line.startswith("track:pyg-lightgcn  ndcg@20") for line in result.stdout.splitlines())
