"""Seconds per epoch with torch's default kernels and with the fixed-order ones, paired epoch by epoch in one process.

``bench_models.py --deterministic both`` times whole runs in separate processes, and on a shared machine the other
work sways one run against the next by more than the kernels do. Here each pair trains the same epoch (same batches,
same hard negatives) once with each setting, in alternating order, on one model, so the ratio of a pair compares like
with like; the median ratio over the pairs is the cost of ``TrainConfig.deterministic``. The model trains on through
the pairs, as it would in a run.

Usage::

    python benchmarks/bench_determinism.py                                   # every model on synthetic, 8 pairs
    python benchmarks/bench_determinism.py --datasets movielens-latest-small --pairs 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `python -m engine` trains

import torch  # noqa: E402

from engine.loader.build import run_loader  # noqa: E402
from engine.loader.reopen import build_model, load_split  # noqa: E402
from engine.models import MODELS  # noqa: E402
from engine.runs.config import TrainConfig, resolve  # noqa: E402
from engine.training.optimizers import TableAdam  # noqa: E402
from engine.training.trainer import train_epoch  # noqa: E402

DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "ml-latest-small"


def paired_seconds(config: TrainConfig, pairs: int) -> list[tuple[float, float]]:
    """``(default kernels, fixed-order kernels)`` wall seconds of one epoch, ``pairs`` times, after a warm-up epoch."""
    split = load_split(config)
    torch.manual_seed(config.seed)
    model = build_model(config, split.train)
    loader = run_loader(model, split.train, config, torch.device("cpu"))
    optimizer = TableAdam(model, config.lr)
    epoch = 4  # PinSage's curriculum has all its hard negatives from epoch 4 on
    previous = torch.are_deterministic_algorithms_enabled()
    train_epoch(model, optimizer, loader, epoch)
    timings = []
    try:
        for pair in range(pairs):
            seconds = {}
            for deterministic in (False, True) if pair % 2 == 0 else (True, False):
                torch.use_deterministic_algorithms(deterministic)
                started = time.perf_counter()
                train_epoch(model, optimizer, loader, epoch)
                seconds[deterministic] = time.perf_counter() - started
            timings.append((seconds[False], seconds[True]))
    finally:
        torch.use_deterministic_algorithms(previous)
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["synthetic"])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="folder of the MovieLens files")
    parser.add_argument("--models", nargs="+", default=sorted(MODELS), choices=sorted(MODELS))
    parser.add_argument("--pairs", type=int, default=8, help="epochs timed with each setting (default: 8)")
    args = parser.parse_args(argv)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")
    print("| model | dataset | pairs | default s/epoch | fixed-order s/epoch | median ratio (min-max) |")
    print("|---|---|---|---|---|---|")
    for dataset in args.datasets:
        data_dir = args.data_dir if dataset.startswith("movielens") else None
        for model in args.models:
            config = resolve(TrainConfig(dataset=dataset, data_dir=data_dir, model=model))
            timings = paired_seconds(config, args.pairs)
            ratios = [fixed / default for default, fixed in timings]
            default = statistics.median(a for a, _ in timings)
            fixed = statistics.median(b for _, b in timings)
            print(f"| {model} | {dataset} | {args.pairs} | {default:.3f} | {fixed:.3f} | "
                  f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |", flush=True)  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
