"""The dashboard's warm worker against fresh processes: UMAP maps and Start-to-first-curve-point, with the targets.

    .venv/bin/python benchmarks/bench_worker.py [--points 10000] [--starts 3] [--model lightgcn]

Peer, measured in the same run: what the dashboard did before the worker (``GNN_EXPLORER_WORKER=off``), a fresh
``python -m engine.cli.project`` process per map and a fresh ``python -m engine train`` process per run.

1. UMAP of a real run's snapshots with ``--points`` users + items (MF trained 2 epochs on generated data): the
   fresh process; then a worker started just before the request, as on a freshly started dashboard (its start,
   imports and umap compilation are inside the time), and a second map from the same, now warm worker.
   Targets: <= 30 s after the first request, <= 10 s for later ones.
2. Start -> first curve point (the first ``metrics.jsonl`` line, which the live panel draws within its 1 s refresh)
   of ``--model`` on the bundled sample data, started exactly as the Train page does (``start_training``); median of
   ``--starts``. Target: <= 8 s.
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

from engine.analysis import ProjectionStore  # noqa: E402
from engine.datasets.synthetic import generate_synthetic_data  # noqa: E402
from engine.jobs.client import WORKER_ENV, WorkerPaths, ensure_worker, worker_info  # noqa: E402
from engine.jobs.process import start_maps, start_training  # noqa: E402
from engine.runs.config import TrainConfig, resolve  # noqa: E402
from engine.runs.runstore import RunStore  # noqa: E402

UMAP_FIRST_TARGET_S, UMAP_LATER_TARGET_S, FIRST_POINT_TARGET_S = 30.0, 10.0, 8.0


def trained_run(folder: Path, points: int) -> Path:
    """A run of MF trained 2 epochs (snapshots of both kept) on generated data with ``points`` users + items."""
    data_dir = folder / "data"
    generate_synthetic_data(points // 2, points - points // 2, points * 10, seed=0).write(data_dir)
    runs_dir = folder / "source-runs"
    command = [sys.executable, "-m", "engine", "train", "--dataset", f"csv:{data_dir / 'interactions.csv'}",
               "--model", "mf", "--epochs", "2", "--runs-dir", str(runs_dir),
               "--run-id", "umap-run", "--quiet"]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return runs_dir / "umap-run"


def copy_run(run: Path, runs_dir: Path) -> ProjectionStore:
    runs_dir.mkdir(parents=True, exist_ok=True)
    target = runs_dir / run.name
    shutil.copytree(run, target)
    shutil.rmtree(target / "projections", ignore_errors=True)
    return ProjectionStore(target)


def wait_ready(store: ProjectionStore, epoch: int, start: float, timeout: float = 900) -> float:
    while store.state(epoch, "umap") != "ready":
        if store.state(epoch, "umap") == "failed":
            raise RuntimeError(store.error(epoch, "umap"))
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"no UMAP after {timeout}s")
        time.sleep(0.05)
    return time.perf_counter() - start


def stop_worker(runs_dir: Path) -> None:
    info = worker_info(runs_dir)
    if info is not None:
        os.kill(int(info["pid"]), 15)
        deadline = time.monotonic() + 30
        while worker_info(runs_dir) is not None and time.monotonic() < deadline:
            time.sleep(0.1)


def bench_umap(folder: Path, points: int) -> dict[str, float]:
    run = trained_run(folder, points)
    epochs = ProjectionStore(run).epochs()
    times: dict[str, float] = {}
    fresh = copy_run(run, folder / "fresh")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "engine.cli.project", str(fresh.run_dir), "--method", "umap",
                    "--epochs", str(epochs[-1])], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    times["fresh process, one map"] = time.perf_counter() - start
    warm = copy_run(run, folder / "worker")
    start = time.perf_counter()
    ensure_worker(warm.run_dir.parent)  # the dashboard starts it when it starts; here just before the request
    while (worker_info(warm.run_dir.parent) or {}).get("projection_pid") is None:
        time.sleep(0.02)
    start_maps(warm, [epochs[-1]], "umap")
    times["new worker, first map"] = wait_ready(warm, epochs[-1], start)
    start = time.perf_counter()
    start_maps(warm, [epochs[0]], "umap")
    times["warm worker, next map"] = wait_ready(warm, epochs[0], start)
    stop_worker(warm.run_dir.parent)
    return times


def first_point_seconds(runs_dir: Path, model: str) -> float:
    config = resolve(TrainConfig(dataset="synthetic", model=model, epochs=2))
    start = time.perf_counter()
    launch = start_training(config, runs_dir)
    store = RunStore(runs_dir)
    while True:
        try:
            run = store.get(launch.run_id)
        except ValueError:
            run = None
        if run is not None and run.metrics:
            seconds = time.perf_counter() - start
            break
        if launch.process.poll() not in (None, 0):
            raise RuntimeError(launch.log_path.read_text()[-2000:])
        time.sleep(0.02)
    launch.process.wait(timeout=600)
    return seconds


def bench_start(folder: Path, model: str, starts: int) -> dict[str, float]:
    os.environ[WORKER_ENV] = "off"
    fresh = [first_point_seconds(folder / "fresh-starts", model) for _ in range(starts)]
    os.environ[WORKER_ENV] = "on"
    runs_dir = folder / "worker-starts"
    start = time.perf_counter()
    ensure_worker(runs_dir)
    while not (worker_info(runs_dir) or {}).get("ready"):
        time.sleep(0.02)
    ready = time.perf_counter() - start
    warm = [first_point_seconds(runs_dir, model) for _ in range(starts)]
    stop_worker(runs_dir)
    assert not WorkerPaths.of(runs_dir).info.exists()
    return {"fresh process": statistics.median(fresh), "warm worker": statistics.median(warm), "worker ready": ready}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000, help="users + items on the map (default: 10000)")
    parser.add_argument("--starts", type=int, default=3, help="timed starts per way (default: 3)")
    parser.add_argument("--model", default="lightgcn", help="model of the timed starts (default: lightgcn)")
    args = parser.parse_args()
    os.environ[WORKER_ENV] = "on"
    with tempfile.TemporaryDirectory() as folder:
        umap = bench_umap(Path(folder), args.points)
        print(f"UMAP of {args.points:,} points (seconds from the request until the map is on disk)")
        targets = {"new worker, first map": UMAP_FIRST_TARGET_S, "warm worker, next map": UMAP_LATER_TARGET_S}
        for name, seconds in umap.items():
            if name in targets and args.points != 10_000:
                verdict = "(the targets are for 10,000 points)"
            elif name in targets:
                verdict = f"target <= {targets[name]:.0f} s: {'met' if seconds <= targets[name] else 'MISSED'}"
            else:
                verdict = "peer"
            print(f"  {name:<26}{seconds:>8.1f}   {verdict}")
        print(
            f"  ratio warm worker / fresh process: {umap['warm worker, next map'] / umap['fresh process, one map']:.2f}"
        )
        start = bench_start(Path(folder), args.model, args.starts)
        print(f"\nStart -> first curve point, {args.model} on the sample data (median of {args.starts}, seconds)")
        print(f"  {'fresh process':<26}{start['fresh process']:>8.2f}   peer")
        met = "met" if start["warm worker"] <= FIRST_POINT_TARGET_S else "MISSED"
        print(f"  {'warm worker':<26}{start['warm worker']:>8.2f}   target <= {FIRST_POINT_TARGET_S:.0f} s: {met}")
        print(f"  ratio warm worker / fresh process: {start['warm worker'] / start['fresh process']:.2f}")
        print(f"  (the worker was ready {start['worker ready']:.1f} s after it was started)")


if __name__ == "__main__":
    main()
