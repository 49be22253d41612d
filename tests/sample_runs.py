"""Fixture runs really trained by the training CLI on the bundled sample data, shared by the dashboard tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def train_sample_run(runs_dir: Path, run_id: str, model: str, epochs: int) -> Path:
    """Train ``model`` for ``epochs`` on ``synthetic`` with ``python -m engine train``; returns the run directory."""
    command = [
        sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--model", model, "--epochs", str(epochs),
        "--dim", "16", "--runs-dir", str(runs_dir), "--run-id", run_id, "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"training {run_id} failed:\n{result.stdout}\n{result.stderr}"
    assert result.stdout.strip().splitlines()[-1].endswith(run_id)
    return runs_dir / run_id
