"""Run directories written by hand, without training, for tests of what reads and labels runs."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from engine.runs.rundir import RunDir

ROOT = Path(__file__).resolve().parents[2]


def fake_run(
    runs_dir: Path, run_id: str, model: str = "mf", dataset: str = "synthetic", state: str = "finished", **config: Any
) -> RunDir:
    """A finished-looking run (marker, config, status) of ``model`` on ``dataset``; ``config`` adds config fields."""
    run = RunDir(runs_dir / run_id)
    run.path.mkdir(parents=True)
    run.write_marker()
    run.write_config({"model": model, "dataset": dataset, "epochs": 2, **config})
    run.update_status(state=state, started_at=time.time(), epoch=2, total_epochs=2)
    return run


@contextmanager
def held_by_another_process(run_path: Path) -> Iterator[subprocess.Popen]:
    """A second process holding the run's lock for the block (killed after it); yields that process."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom engine.runs import RunDir\n"
         "with RunDir(sys.argv[1]).lock():\n    print('locked', flush=True)\n    time.sleep(120)", str(run_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()
