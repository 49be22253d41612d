"""Seconds per training epoch of GraphSAGE and PinSage with the loader sampling ahead, against sampling in the step.

Both modes run in one process on one model, split and optimiser built as a run builds them (the model's default
settings), with the very loader (``run_loader``) and epoch loop (``train_epoch``) the trainer uses; only ``prefetch``
differs: ``2`` samples up to two batches ahead in a background thread, ``0`` samples each batch when the step asks
for it. Warm-up epochs (numba compiles or loads its kernels, PinSage fills its hard-negative band cache) are not
timed. Every timed epoch runs once in each mode, the order alternating, and the table gives medians; "sampling"
is the loader alone over one epoch, without a step, the most the overlap can hide.

    python benchmarks/bench_loader.py                            # synthetic and ml-latest-small (../shared/data)
    python benchmarks/bench_loader.py --datasets synthetic --epochs 2
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
# As `python -m engine` does for real runs: torch and numba read it once, when OpenMP loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402
import torch  # noqa: E402

from engine.datasets import load_dataset  # noqa: E402
from engine.loader.build import run_loader  # noqa: E402
from engine.loader.reopen import build_model, make_split, resolve_device  # noqa: E402
from engine.runs.config import TrainConfig, resolve  # noqa: E402
from engine.training.optimizers import TableAdam  # noqa: E402
from engine.training.trainer import train_epoch  # noqa: E402

DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "ml-latest-small"
MODES = {"prefetch": 2, "in step": 0}  # mode -> batches sampled ahead


def epoch_seconds(config: TrainConfig, warmup: int, epochs: int) -> dict[str, float]:
    """Median seconds per epoch of each mode, of the loader alone, and the batches per epoch."""
    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    train_graph = make_split(config, load_dataset(config.dataset, config.data_dir)).train
    model = build_model(config, train_graph).to(device)
    optimizer = TableAdam(model, config.lr)
    loaders = {mode: run_loader(model, train_graph, config, device, prefetch) for mode, prefetch in MODES.items()}
    for epoch in range(1, warmup + 1):
        train_epoch(model, optimizer, loaders["prefetch"], epoch)
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    for epoch in range(warmup + 1, warmup + epochs + 1):
        order = list(MODES) if epoch % 2 else list(MODES)[::-1]  # alternate, so drift in load hits both modes
        for mode in order:
            started = time.perf_counter()
            train_epoch(model, optimizer, loaders[mode], epoch)
            seconds[mode].append(time.perf_counter() - started)
    started = time.perf_counter()
    with loaders["in step"].epoch(warmup + 1) as batches:
        for _ in batches:
            pass
    sampling = time.perf_counter() - started
    medians = {mode: statistics.median(values) for mode, values in seconds.items()}
    return {**medians, "sampling": sampling, "batches": len(loaders["prefetch"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["synthetic", "movielens-latest-small"])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="folder of the MovieLens files")
    parser.add_argument("--models", nargs="+", default=["graphsage", "pinsage"], choices=["graphsage", "pinsage"])
    parser.add_argument("--warmup", type=int, default=2, help="untimed epochs first (default: 2)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per mode (default: 3)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    threads = f"{torch.get_num_threads()} torch threads, {numba.get_num_threads()} numba threads"
    print(f"torch {torch.__version__}, {threads}, {os.cpu_count()} CPUs")
    print("| model | dataset | batches | prefetch s/epoch | in-step s/epoch | in-step / prefetch | sampling s/epoch |")
    print("|---|---|---|---|---|---|---|")
    for dataset in args.datasets:
        data_dir = args.data_dir if dataset.startswith("movielens") else None
        if data_dir is not None and not Path(data_dir).is_dir():
            print(f"skipping {dataset}: no folder {data_dir} (pass --data-dir)")
            continue
        for model in args.models:
            config = resolve(
                TrainConfig(dataset=dataset, data_dir=data_dir, model=model, device=args.device, seed=args.seed)
            )
            result = epoch_seconds(config, args.warmup, args.epochs)
            ratio = result["in step"] / result["prefetch"]
            print(
                f"| {model} | {dataset} | {result['batches']} | {result['prefetch']:.3f} | {result['in step']:.3f} "
                f"| {ratio:.2f} | {result['sampling']:.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
