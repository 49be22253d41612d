"""Train every model with its defaults on the same split and print one comparison table.

Each model trains in its own ``python -m engine train`` process, exactly as the CLI and the dashboard run it, so the
peak resident memory reported is that process's own (``peak_rss_mib`` in ``summary.json``, Linux ``VmHWM``; the
rusage of a child would also count the parent's memory copied at fork). Quality and time come from the
run's ``summary.json`` and ``metrics.jsonl``.

The speed peer is PyG's own LightGCN example (``examples/lightgcn.py`` in pyg-team/pytorch_geometric): its training
loop — ``torch_geometric.nn.LightGCN`` on the homogeneous edge index, one uniform negative per positive drawn with
``torch.randint``, ``recommendation_loss`` with L2 on the batch's nodes — is re-implemented below and timed on the
same training edges with our LightGCN's batch size, dimension, layer count and learning rate.

Usage::

    python benchmarks/bench_models.py                       # ml-latest-small (../shared/data) and synthetic
    python benchmarks/bench_models.py --datasets synthetic --models mf lightgcn --epochs 5
    python benchmarks/bench_models.py --datasets --large 1000000   # memory check: 1M interactions, 2 epochs
    python benchmarks/bench_models.py --deterministic both         # each model with default, then fixed-order kernels
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# As `python -m engine` does for the runs it times: the PyG peer gets the same passive OpenMP waits.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

from engine.commands import train_command  # noqa: E402
from engine.datasets import load_dataset  # noqa: E402
from engine.loader.reopen import make_split  # noqa: E402
from engine.models import MODELS  # noqa: E402
from engine.runs.config import TrainConfig, resolve  # noqa: E402
from engine.runs.rundir import read_run  # noqa: E402

DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data" / "ml-latest-small"


def train_one(config: TrainConfig, runs_dir: Path, run_id: str, timeout: float | None = None) -> dict:
    """Train in a subprocess; returns the summary, per-epoch seconds, wall seconds and the process's peak RSS (MiB).

    Raises:
        subprocess.TimeoutExpired: The run took longer than ``timeout`` seconds (it is killed first).
    """
    command = train_command(config, runs_dir, run_id=run_id)
    with tempfile.TemporaryFile("w+") as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        try:
            exit_code = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        wall = time.perf_counter() - started
        errors.seek(0)
        error = errors.read()
    info = read_run(runs_dir / run_id)
    if exit_code != 0 or info.state != "finished":
        raise RuntimeError(f"{run_id} ended {info.state} (exit {exit_code}): {error.strip()[-2000:]}")
    epoch_seconds = [record["seconds"] for record in info.metrics]
    return {
        "summary": info.summary,
        "config": info.config,
        "epoch_seconds": epoch_seconds,
        "wall": wall,
        "peak_rss_mib": info.summary.get("peak_rss_mib") or float("nan"),
    }


def pyg_example_epoch_seconds(dataset: str, data_dir: str | None, lightgcn_config: dict, epochs: int = 3) -> float:
    """Median seconds of one epoch of PyG's LightGCN example loop on our training split and settings."""
    from torch_geometric.nn import LightGCN as PyGLightGCN

    torch.manual_seed(0)
    graph = load_dataset(dataset, data_dir)
    split = make_split(TrainConfig.from_dict(lightgcn_config), graph)
    train = split.train
    num_users, num_items = train.num_users, train.num_items
    users = torch.as_tensor(train.user)
    items = torch.as_tensor(train.item) + num_users
    train_edge_label_index = torch.stack([users, items])  # (2, E) user -> item, like the example's mask
    edge_index = torch.cat([train_edge_label_index, train_edge_label_index.flip(0)], dim=1)  # (2, 2E)
    loader = torch.utils.data.DataLoader(
        range(train_edge_label_index.size(1)), shuffle=True, batch_size=lightgcn_config["batch_size"]
    )
    model = PyGLightGCN(
        num_nodes=num_users + num_items,
        embedding_dim=lightgcn_config["dim"],
        num_layers=lightgcn_config["params"]["num_layers"],
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lightgcn_config["lr"])
    timings = []
    for _ in range(epochs):
        started = time.perf_counter()
        for index in loader:
            pos_edge_label_index = train_edge_label_index[:, index]
            neg_edge_label_index = torch.stack(
                [pos_edge_label_index[0], torch.randint(num_users, num_users + num_items, (index.numel(),))]
            )
            edge_label_index = torch.cat([pos_edge_label_index, neg_edge_label_index], dim=1)
            optimizer.zero_grad()
            pos_rank, neg_rank = model(edge_index, edge_label_index).chunk(2)
            loss = model.recommendation_loss(pos_rank, neg_rank, node_id=edge_label_index.unique())
            loss.backward()
            optimizer.step()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def large_synthetic(folder: Path, interactions: int) -> str:
    """Generate a synthetic dataset of ``interactions`` edges (csv:PATH) for the memory check."""
    users, items = interactions // 50, interactions // 100
    command = [sys.executable, "-m", "engine", "generate-synthetic", "--out", str(folder), "--users", str(users),
               "--items", str(items), "--interactions", str(interactions), "--seed", "0"]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return f"csv:{folder / 'interactions.csv'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=["movielens-latest-small", "synthetic"])
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="folder of the MovieLens files")
    parser.add_argument("--models", nargs="+", default=sorted(MODELS), choices=sorted(MODELS))
    parser.add_argument("--epochs", type=int, help="override every model's default epochs (quick runs)")
    parser.add_argument(
        "--large", type=int, default=0, metavar="N", help="also train lightgcn, graphsage on N generated interactions"
    )
    parser.add_argument("--large-epochs", type=int, default=2, help="epochs of the large runs (default: 2)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: cpu)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--val-ratio",
        type=float,
        default=0.0,
        help="validation share (default: 0, test-selected, as the README's table was measured; "
        "`python -m engine experiment` gives validation-selected figures over seeds)",
    )
    parser.add_argument("--runs-dir", help="keep the runs here (default: a temporary folder)")
    parser.add_argument(
        "--deterministic",
        choices=("on", "off", "both"),
        default="on",
        help="kernels that add in a fixed order (TrainConfig.deterministic); both: each model off and on, back to "
        "back, and their seconds per epoch compared (default: %(default)s)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="with --deterministic both: pairs of runs per model, in alternating order (off-on, on-off, ...); the "
        "comparison takes the median over them, which other work on the machine sways less (default: 1)",
    )
    args = parser.parse_args(argv)

    runs_dir = Path(args.runs_dir) if args.runs_dir else Path(tempfile.mkdtemp(prefix="bench-runs-"))
    kernels = {"on": [True], "off": [False], "both": [False, True]}[args.deterministic]
    jobs = [(dataset, model, args.epochs) for dataset in args.datasets for model in args.models]
    if args.large:
        large = large_synthetic(runs_dir / "large-synthetic", args.large)
        jobs += [(large, model, args.large_epochs) for model in ("lightgcn", "graphsage")]
    orders = [kernels[:: 1 if repeat % 2 == 0 else -1] for repeat in range(args.repeats if len(kernels) == 2 else 1)]
    jobs = [(*job, deterministic) for job in jobs for order in orders for deterministic in order]
    rows, ratios, kernel_seconds = [], [], {}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}; runs in {runs_dir}")
    stamp = time.strftime("%H%M%S")
    for index, (dataset, model, epochs, deterministic) in enumerate(jobs):
        data_dir = args.data_dir if dataset.startswith("movielens") else None
        label = f"synthetic-{args.large}" if dataset.startswith("csv:") else dataset
        config = resolve(TrainConfig(dataset=dataset, data_dir=data_dir, model=model, epochs=epochs,
                                     seed=args.seed, device=args.device, val_ratio=args.val_ratio,
                                     deterministic=deterministic))  # fmt: skip
        name = model if len(kernels) == 1 else f"{model} ({'deterministic' if deterministic else 'nondeterministic'})"
        kernel = "det" if deterministic else "nondet"
        result = train_one(config, runs_dir, f"bench-{model}-{label}-{kernel}-{stamp}-{index}")
        test = result["summary"]["test"]
        seconds = result["epoch_seconds"]
        kernel_seconds.setdefault((model, label, deterministic), []).append(statistics.median(seconds))
        rows.append((name, label, test["recall@10"], test["recall@20"], test["ndcg@10"], test["ndcg@20"],
                     result["summary"]["train_seconds"], statistics.median(seconds), len(seconds),
                     result["wall"], result["peak_rss_mib"]))  # fmt: skip
        print(f"  {name} on {label}: ndcg@10 {test['ndcg@10']:.4f}, {result['wall']:.1f} s", flush=True)
        if model == "lightgcn" and not dataset.startswith("csv:") and dataset not in {r[0] for r in ratios}:
            peer = pyg_example_epoch_seconds(dataset, data_dir, result["config"])
            ratios.append((dataset, statistics.median(seconds), peer, result["config"]))

    header = ("model", "dataset", "R@10", "R@20", "N@10", "N@20", "train s", "s/epoch", "epochs", "wall s", "peak MiB")
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        cells = [row[0], row[1], *(f"{v:.4f}" for v in row[2:6]), f"{row[6]:.1f}", f"{row[7]:.3f}", str(row[8]),
                 f"{row[9]:.1f}", f"{row[10]:.0f}"]  # fmt: skip
        print("| " + " | ".join(cells) + " |")
    for dataset, ours, peer, config in ratios:
        print(
            f"\nLightGCN on {dataset} (batch {config['batch_size']}, dim {config['dim']}, "
            f"{config['params']['num_layers']} layers): ours {ours:.3f} s/epoch (median), PyG example loop "
            f"{peer:.3f} s/epoch (median of 3) -> ours/PyG = {ours / peer:.2f}"
        )
    if len(kernels) == 2:
        print("\nSeconds per epoch (median of each run's, then over its runs), torch's default kernels -> fixed-order:")
        for (model, label, deterministic), runs in kernel_seconds.items():
            if deterministic:
                continue
            fixed_runs = kernel_seconds[model, label, True]
            default, fixed = statistics.median(runs), statistics.median(fixed_runs)
            each = ", ".join(f"{a:.3f}/{b:.3f}" for a, b in zip(runs, fixed_runs, strict=True))
            change = 100 * (fixed / default - 1)
            print(f"- {model} on {label}: {default:.3f} -> {fixed:.3f} ({change:+.1f}%; runs {each})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
