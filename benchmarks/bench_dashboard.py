"""Server time of dashboard pages with many runs listed.

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 50] [--repeats 5]

1. Trains one real run on the sample data (the training CLI, 2 epochs), copies it to ``--runs`` run directories.
2. Times full script runs with Streamlit's AppTest (the server-side work of a page view; the browser's rendering is
   not included): first view and re-runs of the Data, Train and Runs pages, and a Train-page re-run while its live
   panel follows a run — an upper bound of one live-panel refresh, which re-runs only the panel.

Start-to-first-curve-point of a training run is measured by ``benchmarks/bench_worker.py``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Page server time alone: no dashboard worker competing for the cores (benchmarks/bench_worker.py measures it).
os.environ["GNN_EXPLORER_WORKER"] = "off"

from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard.state import keys  # noqa: E402

APP = str(ROOT / "dashboard" / "app.py")


def make_runs(runs_dir: Path, count: int) -> str:
    """One trained run copied ``count - 1`` times; returns the trained run's id."""
    command = [sys.executable, "-m", "engine", "train", "--dataset", "synthetic", "--model", "mf", "--epochs", "2",
               "--runs-dir", str(runs_dir), "--run-id", "bench-0000", "--quiet"]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    for index in range(1, count):
        shutil.copytree(runs_dir / "bench-0000", runs_dir / f"bench-{index:04d}")
    return "bench-0000"


def time_page(runs_dir: Path, page: str, repeats: int, **session) -> tuple[float, float]:
    """Seconds of the first view of ``page`` (after the app's first run) and the median of ``repeats`` re-runs."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state[keys.RUNS_DIR] = str(runs_dir)
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    start = time.perf_counter()
    at.switch_page(page).run()
    first = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{page} raised: {at.exception[0].message}")
    reruns = []
    for _ in range(repeats):
        start = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - start)
    return first, statistics.median(reruns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs listed (default: 50)")
    parser.add_argument("--repeats", type=int, default=5, help="timed re-runs per page (default: 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs_dir = Path(folder)
        followed = make_runs(runs_dir, args.runs)
        print(f"server time with {args.runs} runs listed (AppTest script runs, seconds; median of {args.repeats})")
        print(f"{'page':<34}{'first view':>12}{'re-run':>10}")
        for label, page, session in (
            ("Data", "views/data.py", {}),
            ("Runs", "views/runs.py", {}),
            ("Train (following a run)", "views/train.py", {keys.TRAIN_RUN_ID: followed}),
        ):
            first, rerun = time_page(runs_dir, page, args.repeats, **session)
            print(f"{label:<34}{first:>12.3f}{rerun:>10.3f}")


if __name__ == "__main__":
    main()
