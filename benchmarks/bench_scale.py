"""Scale: loading the large MovieLens formats, and PinSage's mini-batch step against its full-graph step.

**load** — for each ``--interactions`` size, a generated file in each large-release format (10M's ``ratings.dat``
with ``::``, 20M–32M's ``ratings.csv``, beside a ``movies`` file) is loaded by the release's loader, in a fresh
process so that its peak RSS is its own; the peer, in the same run, is the checked string reader the small releases
use (``ml-latest-small``'s and 1M's path), which the large releases fall back to only for a damaged file.

**pinsage** — seconds of one training step (``loss`` + backward + Adam) with the same batch size on generated graphs
at two catalogue sizes (``--items``) that grow as a real catalogue does: edges and users in proportion to the
items (``--edges-per-item 20``, ``--users-per-item 1``), popularity long-tailed. It runs with the mini-batch
computation graph (``minibatch=1``, the default) and with the full-graph step that recomputed every item and every
user's pool (``minibatch=0``), and mini-batch without the free ID tables (``id_embeddings=0``, the paper's
features-only model); the ID tables now take row-sparse Adam updates, so with them the step no longer pays an
update over all ``(I + U, d)`` rows. The loader's sampling is not part of the step (it runs ahead in a thread in
training); the epoch's random walks (from the items the batches need) use ``--walks`` walks per item (50; the
default 200 only costs the walks time).

    python benchmarks/bench_scale.py                                   # load at 1M and 10M, pinsage at 50k/200k
    python benchmarks/bench_scale.py --sections load --interactions 1000000 10000000 [--json]
    python benchmarks/bench_scale.py --sections pinsage --items 50000 200000
    python benchmarks/bench_scale.py --sections ddp [--ddp-epochs 3] [--ddp-model lightgcn]   # torchrun 2 vs 1
    python benchmarks/bench_scale.py --sections models --interactions 1000000 10000000 [--model-steps 20]
    python benchmarks/bench_scale.py --sections epoch steps inference coverage eval   # scale_sections.py: what grows

**models** — every model with its shipped defaults on a generated graph of each ``--interactions`` size, shaped like
MovieLens 10M (a user per 140 interactions, an item per 930, long-tailed popularity), each in a fresh process so its
peak RSS is its own: the epoch's start (the loader's per-epoch sampling: PinSage's walks from every item), the median
of ``--model-steps`` training steps (loss + backward + Adam, batches from the loader as training draws them, after one
untimed), the epoch's seconds that implies (steps per epoch x s/step + its start), training edges per second, and the
peak RSS after one full inference pass (every user's and item's embedding, as each evaluation computes them) and
top-10 of 1,000 users. Timing whole epochs at 10M would take an hour per GNN here; the step is what sampling keeps
constant.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pa_csv  # noqa: E402

FORMATS = {"dat": ("movielens-10m", "ml-10M100K"), "csv": ("movielens-20m", "ml-20m")}
READERS = ("release", "checked")
MODES = {  # PinSage step -> (minibatch, id_embeddings)
    "mini-batch": (True, True),
    "full graph": (False, True),
    "mini-batch, no ID tables": (True, False),  # the paper's features-only model: no (I + U, d) Adam update
}


def write_release(folder: Path, fmt: str, interactions: int, seed: int = 0) -> None:
    """A MovieLens-shaped release: ~interactions/140 users, ~interactions/1000 movies, long-tailed popularity, no
    (user, movie) pair twice."""
    rng = np.random.default_rng(seed)
    num_users, num_items = max(10, interactions // 140), max(10, interactions // 1000)
    popularity = 1.0 / np.arange(1, num_items + 1) ** 0.9  # a long tail with a head of blockbusters
    draws = int(interactions * 1.5)
    key = rng.integers(0, num_users, draws) * num_items + rng.choice(num_items, draws, p=popularity / popularity.sum())
    key = rng.permutation(np.unique(key))[:interactions]  # distinct pairs, as in every MovieLens release
    user, item = key // num_items + 1, key % num_items + 1
    interactions = len(key)
    rating = rng.integers(1, 11, interactions) / 2
    timestamp = rng.integers(789_652_009, 1_231_131_736, interactions)
    table = pa.table({"userId": user, "movieId": item, "rating": rating, "timestamp": timestamp})
    folder.mkdir(parents=True, exist_ok=True)
    titles = [f"Movie {k} ({1950 + k % 60})" for k in range(1, num_items + 1)]
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    rows = sink.getvalue().to_pybytes()
    if fmt == "csv":
        (folder / "ratings.csv").write_bytes(b"userId,movieId,rating,timestamp\n" + rows.replace(b"\t", b","))
        movies = "movieId,title,genres\n" + "".join(f"{k},{t},Drama\n" for k, t in enumerate(titles, 1))
        (folder / "movies.csv").write_text(movies)
    else:
        (folder / "ratings.dat").write_bytes(rows.replace(b"\t", b"::"))
        (folder / "movies.dat").write_text("".join(f"{k}::{t}::Drama\n" for k, t in enumerate(titles, 1)))


def load_child(fmt: str, folder: Path, reader: str) -> dict:
    """Run in a fresh process: load ``folder`` with ``reader``; seconds and this process's peak RSS."""
    from engine.datasets import movielens
    from engine.graph import InteractionGraph

    name, _ = FORMATS[fmt]
    started = time.perf_counter()
    if reader == "release":
        graph = movielens.load_movielens(name, folder)
    elif fmt == "csv":
        graph = movielens._parse_latest_small(folder, name)
    else:
        path = folder / "ratings.dat"
        ratings = movielens._read_headerless(path, "::", movielens._RATING_COLUMNS, "'::'-separated")
        frame = {
            "user": movielens.id_column(ratings["user"], "user", path, 1),
            "item": movielens.id_column(ratings["item"], "item", path, 1),
            "rating": movielens.numeric_column(ratings["rating"], "rating", path, 1).astype(np.float32),
            "timestamp": movielens.numeric_column(ratings["timestamp"], "timestamp", path, 1).astype(np.int64),
        }
        import pandas as pd

        graph = InteractionGraph.from_frame(pd.DataFrame(frame), name=name)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_rss_mib": peak, "edges": graph.num_edges, "items": graph.num_items}


def bench_load(sizes: list[int], readers: tuple[str, ...]) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for size in sizes:
            for fmt, (name, archive) in FORMATS.items():
                folder = Path(scratch) / f"{size}" / archive
                write_release(folder, fmt, size)
                for reader in readers:
                    command = [sys.executable, __file__, "--child-load", fmt, str(folder), reader]
                    done = subprocess.run(command, capture_output=True, text=True, check=False)
                    if done.returncode:
                        print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
                        continue
                    figures = json.loads(done.stdout.strip().splitlines()[-1])
                    rows.append({"interactions": size, "format": fmt, "dataset": name, "reader": reader, **figures})
    return rows


def print_load(rows: list[dict]) -> None:
    print("| interactions | format (loader) | reader | seconds | peak RSS MiB | edges kept | vs checked reader |")
    print("|---|---|---|---|---|---|---|")
    checked = {(r["interactions"], r["format"]): r for r in rows if r["reader"] == "checked"}
    for row in rows:
        peer = checked.get((row["interactions"], row["format"]))
        ratio = "—"
        if peer is not None and row is not peer:
            ratio = (
                f"×{peer['seconds'] / row['seconds']:.1f} faster, {row['peak_rss_mib'] / peer['peak_rss_mib']:.2f}× "
                "the memory"
            )
        print(
            f"| {row['interactions']:,} | {row['format']} ({row['dataset']}) | {row['reader']} | "
            f"{row['seconds']:.1f} | {row['peak_rss_mib']:,.0f} | {row['edges']:,} | {ratio} |"
        )


def catalogue_graph(num_items: int, interactions: int, num_users: int, seed: int = 0):
    """``interactions`` distinct (user, item) pairs over ``num_items`` items with long-tailed popularity."""
    from engine.graph import InteractionGraph

    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, num_items + 1) ** 0.8
    draws = int(interactions * 1.3)
    key = rng.integers(0, num_users, draws) * num_items + rng.choice(num_items, draws, p=popularity / popularity.sum())
    key = rng.permutation(np.unique(key))[:interactions]
    return InteractionGraph(key // num_items, key % num_items, num_users, num_items, name=f"{num_items} items")


def step_seconds(graph, minibatch: bool, ids: bool, batch_size: int, steps: int, num_walks: int) -> dict:
    """Median seconds of one PinSage training step (loss, backward, Adam) over ``steps`` pre-sampled batches."""
    from engine.loader import LinkBatchLoader, build_recommender
    from engine.models import MODELS
    from engine.training.optimizers import TableAdam

    cls = MODELS["pinsage"]
    params = cls.Params(minibatch=minibatch, num_walks=num_walks, id_embeddings=ids)
    model = build_recommender(cls, graph, 64, params, seed=0)
    optimizer = TableAdam(model, cls.default_train.lr)
    loader = LinkBatchLoader(graph, batch_size, cls.default_train.num_negatives, seed=0, sampling=cls.sampling(params))
    started = time.perf_counter()
    with loader.epoch(1) as stream:  # the epoch's walks, then the first batches, as training samples them
        batches = [batch for batch, _ in zip(stream, range(steps + 1), strict=False)]
    sampling = time.perf_counter() - started
    seconds = []
    for batch in batches:
        started = time.perf_counter()
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
        seconds.append(time.perf_counter() - started)
    sizes = [graph.num_items if batch.items is None else len(batch.items.items) for batch in batches]
    computed = int(np.median(sizes))  # items through the first convolution
    return {"step_s": float(np.median(seconds[1:])), "items_computed": computed, "epoch_start_s": sampling}


def bench_pinsage(
    catalogues: list[int], per_item: float, users_per_item: float, batch_size: int, steps: int, walks: int
):
    rows = []
    for num_items in catalogues:
        graph = catalogue_graph(num_items, int(num_items * per_item), int(num_items * users_per_item))
        for mode, (minibatch, ids) in MODES.items():
            figures = step_seconds(graph, minibatch, ids, batch_size, steps, walks)
            rows.append({"items": num_items, "edges": graph.num_edges, "mode": mode, **figures})
    return rows


def print_pinsage(rows: list[dict], batch_size: int) -> None:
    print(f"PinSage step (loss + backward + Adam), batch {batch_size}, defaults otherwise; median of the timed steps")
    print("| items | edges | step | items computed | s/step | full graph / this |")
    print("|---|---|---|---|---|---|")
    full = {row["items"]: row["step_s"] for row in rows if row["mode"] == "full graph"}
    for row in rows:
        ratio = f"×{full[row['items']] / row['step_s']:.1f}" if row["mode"] != "full graph" else "—"
        print(
            f"| {row['items']:,} | {row['edges']:,} | {row['mode']} | {row['items_computed']:,} | "
            f"{row['step_s']:.3f} | {ratio} |"
        )
    small, large = min(full), max(full)
    growth = []
    for mode in MODES:
        steps = {row["items"]: row for row in rows if row["mode"] == mode}
        computed = steps[large]["items_computed"] / steps[small]["items_computed"]
        growth.append(f"{mode} step ×{steps[large]['step_s'] / steps[small]['step_s']:.2f} (items ×{computed:.2f})")
    print(f"catalogue ×{large / small:.0f}: " + ", ".join(growth))


def bench_ddp(epochs: int, model: str) -> list[dict]:
    """Seconds per epoch of one run on the sample data trained by 1 and by 2 ``torchrun`` processes (gloo, CPU)."""
    rows = []
    for processes in (1, 2):
        with tempfile.TemporaryDirectory() as runs_dir:
            command = [
                sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}",
                "-m", "engine", "train", "--dataset", "synthetic", "--model", model, "--epochs", str(epochs),
                "--runs-dir", runs_dir, "--run-id", "ddp", "--quiet", "--patience", "0",
            ]  # fmt: skip
            started = time.perf_counter()
            subprocess.run(
                command, cwd=ROOT, check=True, capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"}
            )
            wall = time.perf_counter() - started
            metrics = [json.loads(line) for line in (Path(runs_dir) / "ddp" / "metrics.jsonl").read_text().splitlines()]
            summary = json.loads((Path(runs_dir) / "ddp" / "summary.json").read_text())
        seconds = sorted(record["seconds"] for record in metrics)
        rows.append({
            "processes": processes, "model": model, "epochs": epochs, "median_epoch_s": seconds[len(seconds) // 2],
            "wall_s": wall, "ndcg@10": summary["test"]["ndcg@10"],
        })  # fmt: skip
    return rows


def print_ddp(rows: list[dict]) -> None:
    print("\n| processes | model | epochs | s/epoch (median) | wall s | test NDCG@10 |\n|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['processes']} | {row['model']} | {row['epochs']} | {row['median_epoch_s']:.2f} | "
            f"{row['wall_s']:.1f} | {row['ndcg@10']:.4f} |"
        )
    one, two = rows
    print(f"2 processes / 1 process, seconds per epoch: {two['median_epoch_s'] / one['median_epoch_s']:.2f}")


MODEL_NAMES = ("mf", "lightgcn", "graphsage", "pinsage")
USERS_PER_INTERACTION, ITEMS_PER_INTERACTION = 1 / 140, 1 / 930  # MovieLens 10M: 70k users, 10.7k items, 10M ratings


def model_child(model_name: str, interactions: int, steps: int) -> dict:
    """One model's step, epoch and memory figures on a generated graph (run in a fresh process)."""
    import torch

    from engine.loader import LinkBatchLoader, build_recommender
    from engine.models import MODELS
    from engine.ranking import top_k
    from engine.runs.config import TrainConfig, resolve
    from engine.training.optimizers import TableAdam

    started = time.perf_counter()
    num_users = max(int(interactions * USERS_PER_INTERACTION), 10)
    graph = catalogue_graph(max(int(interactions * ITEMS_PER_INTERACTION), 10), interactions, num_users)
    build_s = time.perf_counter() - started
    config = resolve(TrainConfig(dataset="synthetic", model=model_name))
    cls = MODELS[model_name]
    params = cls.Params(**config.params)
    model = build_recommender(cls, graph, config.dim, params, seed=0)
    optimizer = TableAdam(model, config.lr)
    loader = LinkBatchLoader(graph, config.batch_size, config.num_negatives, seed=0, sampling=cls.sampling(params))
    seconds: list[float] = []
    started = time.perf_counter()
    with loader.epoch(1) as stream:
        epoch_start = None
        for batch, _ in zip(stream, range(steps + 1), strict=False):
            if epoch_start is None:
                epoch_start = time.perf_counter() - started
            began = time.perf_counter()
            optimizer.zero_grad()
            model.loss(batch).backward()
            optimizer.step()
            seconds.append(time.perf_counter() - began)
    step_s = float(np.median(seconds[1:]))
    steps_per_epoch = -(-graph.num_edges // config.batch_size)
    started = time.perf_counter()
    model.eval()
    with torch.no_grad():
        user_emb, item_emb = model.embeddings()
        top_k(user_emb, item_emb, np.arange(min(1000, graph.num_users)), 10, exclude=graph.user_csr)
    inference_s = time.perf_counter() - started
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    return {
        "model": model_name, "interactions": graph.num_edges, "users": graph.num_users, "items": graph.num_items,
        "graph_s": build_s, "epoch_start_s": epoch_start, "step_s": step_s, "batch_size": config.batch_size,
        "epoch_s": steps_per_epoch * step_s + epoch_start, "edges_per_s": config.batch_size / step_s,
        "inference_s": inference_s, "peak_rss_mib": peak,
    }  # fmt: skip


def bench_models(sizes: list[int], steps: int) -> list[dict]:
    rows = []
    for interactions in sizes:
        for model_name in MODEL_NAMES:
            command = [sys.executable, __file__, "--child-model", model_name, str(interactions), str(steps)]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{model_name} at {interactions:,}: {done.stderr[-2000:]}")
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def print_models(rows: list[dict], steps: int) -> None:
    print(f"\nEvery model, shipped defaults, median of {steps} steps; epoch = steps per epoch x s/step + epoch start")
    print(
        "| interactions | model | batch | epoch start s | s/step | edges/s | s/epoch (implied) | inference s "
        "| peak RSS MiB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['interactions']:,} | {row['model']} | {row['batch_size']} | {row['epoch_start_s']:.1f} | "
            f"{row['step_s']:.3f} | {row['edges_per_s']:,.0f} | {row['epoch_s']:,.0f} | {row['inference_s']:.1f} | "
            f"{row['peak_rss_mib']:,.0f} |"
        )
    largest = max(row["interactions"] for row in rows)
    worst = max((row for row in rows if row["interactions"] == largest), key=lambda row: row["peak_rss_mib"])
    verdict = "within" if worst["peak_rss_mib"] <= 8 * 1024 else "OVER"
    print(
        f"at {largest:,} interactions the largest peak RSS is {worst['model']}'s {worst['peak_rss_mib']:,.0f} MiB: "
        f"{verdict} 8 GB"
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child-model":
        print(json.dumps(model_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "--child-load":
        print(json.dumps(load_child(sys.argv[2], Path(sys.argv[3]), sys.argv[4])))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sections",
        nargs="+",
        default=["load", "pinsage", "ddp"],
        choices=["load", "pinsage", "ddp", "models", "epoch", "steps", "inference", "coverage", "eval"],
    )
    parser.add_argument("--epoch-items", nargs="+", type=int, default=[25_000, 100_000], help="epoch, steps: items")
    parser.add_argument("--epoch-users", type=int, default=10_000, help="epoch, steps: users")
    parser.add_argument("--epoch-interactions", type=int, default=500_000, help="epoch, steps: interactions")
    parser.add_argument("--inference-interactions", type=int, default=10_000_000, help="GraphSAGE inference graph")
    parser.add_argument("--model-steps", type=int, default=20, help="timed training steps per model (models)")
    parser.add_argument("--ddp-epochs", type=int, default=3, help="epochs of the 1- and 2-process runs")
    parser.add_argument("--ddp-model", default="lightgcn", help="model of the 1- and 2-process runs")
    parser.add_argument("--interactions", nargs="+", type=int, default=[1_000_000, 10_000_000])
    parser.add_argument("--readers", nargs="+", default=list(READERS), choices=READERS)
    parser.add_argument("--items", nargs="+", type=int, default=[50_000, 200_000], help="PinSage catalogues")
    parser.add_argument("--edges-per-item", type=float, default=20, help="PinSage graphs: edges per item (20)")
    parser.add_argument("--users-per-item", type=float, default=1, help="PinSage graphs: users per item (1)")
    parser.add_argument("--batch-size", type=int, default=512, help="PinSage training edges per step")
    parser.add_argument("--steps", type=int, default=5, help="timed PinSage steps, after one untimed")
    parser.add_argument("--walks", type=int, default=50, help="random walks per item (the epoch's neighborhoods)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    figures: dict[str, list[dict]] = {}
    if "load" in args.sections:
        figures["load"] = bench_load(args.interactions, tuple(args.readers))
        print_load(figures["load"])
    if "pinsage" in args.sections:
        figures["pinsage"] = bench_pinsage(
            args.items, args.edges_per_item, args.users_per_item, args.batch_size, args.steps, args.walks
        )
        print_pinsage(figures["pinsage"], args.batch_size)
    if "ddp" in args.sections:
        figures["ddp"] = bench_ddp(args.ddp_epochs, args.ddp_model)
        print_ddp(figures["ddp"])
    if "models" in args.sections:
        figures["models"] = bench_models(args.interactions, args.model_steps)
        print_models(figures["models"], args.model_steps)
    if {"epoch", "steps", "inference", "coverage", "eval"} & set(args.sections):
        import scale_sections as more

        if "epoch" in args.sections:
            figures["epoch"] = more.bench_epoch(args.epoch_items, args.epoch_users, args.epoch_interactions)
            more.print_epoch(figures["epoch"])
        if "steps" in args.sections:
            users, edges = args.epoch_users, args.epoch_interactions
            figures["steps"] = more.bench_steps(args.epoch_items, users, edges, args.model_steps)
            more.print_steps(figures["steps"], args.model_steps)
        if "inference" in args.sections:
            figures["inference"] = more.bench_inference(args.inference_interactions)
            more.print_inference(figures["inference"])
        if "coverage" in args.sections:
            users, edges = args.epoch_users, args.epoch_interactions
            figures["coverage"] = more.bench_coverage(args.epoch_items, users, edges)
            more.print_coverage(figures["coverage"])
        if "eval" in args.sections:
            figures["eval"] = more.bench_eval(args.epoch_items)
            more.print_eval(figures["eval"])
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
