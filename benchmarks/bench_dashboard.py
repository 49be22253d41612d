"""Server time of dashboard pages with many runs listed, and start-to-first-curve-point of a training run.

    .venv/bin/python benchmarks/bench_dashboard.py [--runs 50] [--repeats 5] [--model lightgcn]

1. Trains one real run on the sample data (the training CLI, 2 epochs), copies it to ``--runs`` run directories.
2. Times full script runs with Streamlit's AppTest (the server-side work of a page view; the browser's rendering is
   not included): first view and re-runs of the Data, Train and Runs pages, and a Train-page re-run while its live
   panel follows a run — an upper bound of one live-panel refresh, which re-runs only the panel.
3. Starts a run exactly as the Train page does (``dashboard.launcher.launch``) and times the process start, the first
   ``metrics.jsonl`` line (the first point of the curves) and the first epoch's own duration.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard import launcher  # noqa: E402
from dashboard.state import keys  # noqa: E402
from engine.training import RunStore, TrainConfig, resolve  # noqa: E402

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


def time_first_point(runs_dir: Path, model: str) -> dict[str, float]:
    config = resolve(TrainConfig(dataset="synthetic", model=model, epochs=3))
    start = time.perf_counter()
    started = launcher.launch(config, runs_dir)
    store, times = RunStore(runs_dir), {}
    while "first point" not in times:
        if started.process.poll() is not None and started.process.returncode != 0:
            raise RuntimeError(launcher.log_tail(started.log_path))
        try:
            run = store.get(started.run_id)
        except ValueError:
            run = None
        if run is not None and "run directory" not in times:
            times["run directory"] = time.perf_counter() - start
        if run is not None and run.metrics:
            times["first point"] = time.perf_counter() - start
            times["first epoch itself"] = float(run.metrics[0]["seconds"])
        time.sleep(0.05)
    started.process.wait()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="runs listed (default: 50)")
    parser.add_argument("--repeats", type=int, default=5, help="timed re-runs per page (default: 5)")
    parser.add_argument("--model", default="lightgcn", help="model of the start-to-first-point run (default: lightgcn)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs_dir = Path(folder)
        followed = make_runs(runs_dir, args.runs)
        print(f"server time with {args.runs} runs listed (AppTest script runs, seconds; median of {args.repeats})")
        print(f"{'page':<34}{'first view':>12}{'re-run':>10}")
        for label, page, session in (
            ("Data", "pages/data.py", {}),
            ("Runs", "pages/runs.py", {}),
            ("Train (following a run)", "pages/train.py", {keys.TRAIN_RUN_ID: followed}),
        ):
            first, rerun = time_page(runs_dir, page, args.repeats, **session)
            print(f"{label:<34}{first:>12.3f}{rerun:>10.3f}")
        times = time_first_point(runs_dir / "launch", args.model)
        print(f"\nstart-to-first-curve-point, {args.model} on the sample data (seconds after Start)")
        for name, seconds in times.items():
            print(f"  {name:<22}{seconds:>8.2f}")
        print("  the live panel re-reads the run directory every 1 s, so the point shows within 1 s after that")


if __name__ == "__main__":
    main()
