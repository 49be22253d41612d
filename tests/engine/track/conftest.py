"""One small engine run on the bundled sample data whose split and snapshots the engine.track tests log again."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.runs.config import TrainConfig
from engine.training import train


@pytest.fixture(scope="session")
def engine_run(tmp_path_factory) -> Path:
    """A 2-epoch MF run of ``synthetic`` (8-d, K 5 and 10, a validation slice): ``<tmp>/runs/mf-engine``."""
    config = TrainConfig(model="mf", dataset="synthetic", epochs=2, dim=8, ks=[5, 10], seed=3)
    return train(config, tmp_path_factory.mktemp("engine") / "runs", run_id="mf-engine", progress=False)
