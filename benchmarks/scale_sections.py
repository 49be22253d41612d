"""Sections of ``bench_scale.py`` on what grows with the catalogue: PinSage's epoch at its defaults, MF and LightGCN
steps at a fixed batch, GraphSAGE's full inference. Run through ``bench_scale.py --sections epoch steps inference``.

**epoch** — two generated sets (``python -m engine generate-synthetic``, ``--epoch-users`` users,
``--epoch-interactions`` interactions, ``--epoch-items`` items each), one PinSage epoch with default settings
(``python -m engine train --model pinsage --epochs 1``) in its own process: the epoch's seconds (``metrics.jsonl``)
and the training process's peak RSS (``summary.json``).

**steps** — MF and LightGCN: the median seconds of a training step (loss + backward + the trainer's optimiser) at
their default batch on generated graphs of one size in users and interactions, at two catalogue sizes.

**inference** — GraphSAGE's full inference (``embeddings()``) on a generated graph of ``--inference-interactions``,
in a fresh process per variant: the peak RSS above what the graph and model already held, in destination chunks
(the default) and over the whole edge list at once (a single chunk: the inference before chunks).

**eval** — the peak RSS one evaluation adds (10k users, every item ranked, 125k held-out and 375k excluded random
interactions, random embeddings) at two catalogue sizes, in a fresh process each: with ``python -m engine``'s
fixed mmap threshold (:mod:`engine.allocator`) and with glibc's moving one (the process before it).

**coverage** — why PinSage's epoch still grows with the catalogue: the items one batch's computation graph holds
(its targets, then each convolution's inputs: the top-T neighbors of the layer above) on generated graphs of the
epoch's users and interactions at two catalogue sizes, at the defaults and with fewer pooled history items, batch
negatives shared by every row (the paper's), a smaller batch and one convolution. A step's cost follows these
counts; an epoch's, the counts times its steps (interactions / batch). No training: counts only.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _peak_rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of the finished child processes: steadier than wall time on a shared machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_epoch(catalogues: list[int], users: int, interactions: int) -> list[dict]:
    rows = []
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    for items in catalogues:
        with tempfile.TemporaryDirectory() as scratch:
            data, runs = Path(scratch) / "data", Path(scratch) / "runs"
            generate = [sys.executable, "-m", "engine", "generate-synthetic", "--out", str(data), "--users",
                        str(users), "--items", str(items), "--interactions", str(interactions)]  # fmt: skip
            subprocess.run(generate, cwd=ROOT, check=True, capture_output=True, env=env)
            train = [sys.executable, "-m", "engine", "train", "--dataset", f"csv:{data / 'interactions.csv'}",
                     "--model", "pinsage", "--epochs", "1", "--runs-dir", str(runs), "--run-id", "epoch",
                     "--quiet"]  # fmt: skip
            started, cpu = time.perf_counter(), _children_cpu_s()
            subprocess.run(train, cwd=ROOT, check=True, capture_output=True, env=env)
            wall, cpu = time.perf_counter() - started, _children_cpu_s() - cpu
            record = json.loads((runs / "epoch" / "metrics.jsonl").read_text().splitlines()[0])
            summary = json.loads((runs / "epoch" / "summary.json").read_text())
            rows.append({
                "items": items, "users": users, "interactions": interactions, "epoch_s": record["seconds"],
                "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": summary["peak_rss_mib"],
                "ndcg@10": summary["test"]["ndcg@10"],
            })  # fmt: skip
    return rows


def print_epoch(rows: list[dict]) -> None:
    print("\nPinSage, default settings, one epoch (`python -m engine train --model pinsage --epochs 1`)")
    print("| items | users | interactions | s/epoch | process wall s | process CPU s | peak RSS MiB | test NDCG@10 |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['items']:,} | {row['users']:,} | {row['interactions']:,} | {row['epoch_s']:.1f} | "
            f"{row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['peak_rss_mib']:,.0f} | {row['ndcg@10']:.4f} |"
        )
    small, large = rows[0], rows[-1]
    ratio = large["epoch_s"] / small["epoch_s"]
    print(
        f"items ×{large['items'] / small['items']:.0f}: epoch ×{ratio:.2f}, process CPU "
        f"×{large['cpu_s'] / small['cpu_s']:.2f} (target for the epoch ≤ 1.5: "
        f"{'met' if ratio <= 1.5 else 'NOT met'}); peak RSS at {large['items']:,} items "
        f"{large['peak_rss_mib']:,.0f} MiB (target ≤ 2 GB: {'met' if large['peak_rss_mib'] <= 2048 else 'NOT met'})"
    )


DENSE = " (dense Adam, before)"
STEP_MODELS = ("mf", "mf" + DENSE, "lightgcn")


def step_child(model_name: str, items: int, users: int, interactions: int, steps: int) -> dict:
    """Median seconds of ``model_name``'s training step at its default batch (run in a fresh process)."""
    from bench_scale import catalogue_graph

    from engine.loader import LinkBatchLoader, build_recommender
    from engine.models import MODELS
    from engine.runs.config import TrainConfig, resolve
    from engine.training.optimizers import TableAdam, use_dense_tables

    graph = catalogue_graph(items, interactions, users)
    base = model_name.removesuffix(DENSE)
    config = resolve(TrainConfig(dataset="synthetic", model=base))
    cls = MODELS[base]
    model = build_recommender(cls, graph, config.dim, cls.Params(**config.params), seed=0)
    if model_name.endswith(DENSE):
        use_dense_tables(model)  # the step before sparse tables: dense gradients, Adam over every row
    optimizer = TableAdam(model, config.lr)
    loader = LinkBatchLoader(graph, config.batch_size, config.num_negatives, seed=0, prefetch=0)
    seconds = []
    for index in range(steps + 1):
        batch = loader.batch(1, index % len(loader))
        started = time.perf_counter()
        optimizer.zero_grad()
        model.loss(batch).backward()
        optimizer.step()
        seconds.append(time.perf_counter() - started)
    return {"model": model_name, "items": graph.num_items, "edges": graph.num_edges, "batch": config.batch_size,
            "step_s": float(np.median(seconds[1:]))}  # fmt: skip


def bench_steps(catalogues: list[int], users: int, interactions: int, steps: int) -> list[dict]:
    rows = []
    for model_name in STEP_MODELS:
        for items in catalogues:
            command = [sys.executable, __file__, "--child-step", model_name, str(items), str(users),
                       str(interactions), str(steps)]  # fmt: skip
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def print_steps(rows: list[dict], steps: int) -> None:
    print(f"\nMF and LightGCN step (loss + backward + optimiser), default batch, median of {steps} steps")
    print("| model | items | edges | batch | s/step |\n|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['model']} | {row['items']:,} | {row['edges']:,} | {row['batch']} | {row['step_s']:.4f} |")
    for model_name in STEP_MODELS:
        mine = [row for row in rows if row["model"] == model_name]
        small, large = mine[0], mine[-1]
        print(
            f"{model_name}: items ×{large['items'] / small['items']:.1f}, step ×{large['step_s'] / small['step_s']:.2f}"
        )


def inference_child(interactions: int, messages: int) -> dict:
    """GraphSAGE's full inference at its defaults, chunked by ``messages`` edges (run in a fresh process)."""
    import torch
    from bench_scale import ITEMS_PER_INTERACTION, USERS_PER_INTERACTION, catalogue_graph

    from engine.models import MODELS

    num_users = int(interactions * USERS_PER_INTERACTION)
    graph = catalogue_graph(int(interactions * ITEMS_PER_INTERACTION), interactions, num_users)
    cls = MODELS["graphsage"]
    model = cls(graph, 64, cls.Params(), seed=0).eval()
    model.inference_messages = messages
    before = _peak_rss_mib()
    started = time.perf_counter()
    with torch.no_grad():
        model.embeddings()
    return {"interactions": graph.num_edges, "nodes": graph.num_nodes, "messages": messages,
            "chunks": len(model._chunks()), "seconds": time.perf_counter() - started,
            "before_mib": before, "peak_rss_mib": _peak_rss_mib()}  # fmt: skip


def bench_inference(interactions: int) -> list[dict]:
    from engine.models import MODELS

    rows = []
    for messages in (MODELS["graphsage"].inference_messages, 1 << 62):
        command = [sys.executable, __file__, "--child-inference", str(interactions), str(messages)]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def print_inference(rows: list[dict]) -> None:
    print("\nGraphSAGE full inference (every node, every layer), defaults, d = 64; a fresh process each")
    print("| interactions | nodes | edges per chunk | chunks | seconds | RSS before MiB | peak RSS MiB | added MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        label = "all (before chunks)" if row["chunks"] == 1 else f"{row['messages']:,}"
        print(
            f"| {row['interactions']:,} | {row['nodes']:,} | {label} | {row['chunks']} | {row['seconds']:.1f} | "
            f"{row['before_mib']:,.0f} | {row['peak_rss_mib']:,.0f} | {row['peak_rss_mib'] - row['before_mib']:,.0f} |"
        )


def eval_child(items: int, fixed: bool) -> dict:
    """Peak RSS that ranking 10k users against ``items`` items adds (run in a fresh process)."""
    import torch

    from engine.allocator import fix_mmap_threshold
    from engine.graph import CSR
    from engine.training.metrics import compute_metrics

    if fixed:
        fix_mmap_threshold()
    torch.set_num_threads(1)
    rng, users = np.random.default_rng(0), 10_000
    user_emb, item_emb = torch.randn(users, 64), torch.randn(items, 64)
    held_users, held_items = rng.integers(0, users, 125_000), rng.integers(0, items, 125_000)
    train_users, train_items = np.sort(rng.integers(0, users, 375_000)), rng.integers(0, items, 375_000)
    exclude = CSR(np.concatenate([[0], np.cumsum(np.bincount(train_users, minlength=users))]), train_items)
    before, started = _peak_rss_mib(), time.perf_counter()
    compute_metrics(user_emb, item_emb, exclude, held_users, held_items, [10, 20])
    return {"items": items, "fixed": fixed, "seconds": time.perf_counter() - started, "before_mib": before,
            "peak_rss_mib": _peak_rss_mib()}  # fmt: skip


def bench_eval(catalogues: list[int]) -> list[dict]:
    rows = []
    for items in catalogues:
        for fixed in (True, False):
            command = [sys.executable, __file__, "--child-eval", str(items), str(int(fixed))]
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def print_eval(rows: list[dict]) -> None:
    print("\nEvaluation of 10k users against every item (compute_metrics), a fresh process each")
    print("| items | mmap threshold | seconds | peak RSS added MiB |\n|---|---|---|---|")
    for row in rows:
        label = "fixed 1 MiB (python -m engine)" if row["fixed"] else "glibc's moving one (before)"
        print(f"| {row['items']:,} | {label} | {row['seconds']:.1f} | {row['peak_rss_mib'] - row['before_mib']:,.0f} |")


COVERAGE_VARIANTS = (  # (label, batch, negatives per row or shared per batch, pool, layers)
    ("defaults: batch 2048, 16 negatives per row, pool 32, 2 layers", 2048, ("row", 16), 32, 2),
    ("pool 8", 2048, ("row", 16), 8, 2),
    ("512 negatives shared by the batch, pool 8", 2048, ("shared", 512), 8, 2),
    ("batch 512, 128 shared negatives, pool 8", 512, ("shared", 128), 8, 2),
    ("batch 512, 128 shared negatives, pool 8, 1 layer", 512, ("shared", 128), 8, 1),
)


def bench_coverage(catalogues: list[int], users: int, interactions: int, batches: int = 3) -> list[dict]:
    """Items per batch computation graph (mean of ``batches`` batches) for each variant at each catalogue size."""
    from bench_scale import catalogue_graph

    from engine.loader.neighborhoods import EpochWalks, item_computation_graph, make_sampler
    from engine.models import MODELS
    from engine.sampling import history_pools, uniform_negatives

    cls, rows = MODELS["pinsage"], []
    for items in catalogues:
        graph = catalogue_graph(items, interactions, users)
        rng = np.random.default_rng(0)
        order = rng.permutation(graph.num_edges)
        for label, batch, (kind, negatives), pool, layers in COVERAGE_VARIANTS:
            params = cls.Params(pool_size=pool, num_layers=layers)
            walks = EpochWalks(make_sampler(cls.sampling(params), graph), seed=1)
            counts = []
            for index in range(batches):
                edges = order[index * batch : (index + 1) * batch]
                users_b, positives = graph.user[edges], graph.item[edges]
                if kind == "row":
                    drawn = uniform_negatives(graph, users_b, negatives, seed=index)
                else:
                    drawn = np.tile(rng.integers(0, graph.num_items, negatives), (batch, 1))
                pools = history_pools(graph, users_b, positives, pool, seed=index)
                computation = item_computation_graph(walks, positives, drawn, pools, layers)
                counts.append([len(computation.items), *computation.num_dst])  # inputs, then each layer's outputs
            mean = np.mean(counts, axis=0)
            rows.append({"items": graph.num_items, "variant": label, "batch": batch, "layers": layers,
                         "inputs": float(mean[0]), "targets": float(mean[-1]),
                         "epoch_items": float(mean[: layers + 1].sum() * interactions / batch)})  # fmt: skip
    return rows


def print_coverage(rows: list[dict]) -> None:
    print("\nPinSage: items in one batch's computation graph (mean of 3 batches), and summed over an epoch's steps")
    print("| items | variant | targets | inputs (layer 0) | share of the catalogue | items computed per epoch |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['items']:,} | {row['variant']} | {row['targets']:,.0f} | {row['inputs']:,.0f} | "
            f"{row['inputs'] / row['items']:.0%} | {row['epoch_items'] / 1e6:,.1f} M |"
        )
    small, large = min(row["items"] for row in rows), max(row["items"] for row in rows)
    for variant in dict.fromkeys(row["variant"] for row in rows):
        pair = {row["items"]: row for row in rows if row["variant"] == variant}
        print(
            f"{variant}: items ×{large / small:.1f} -> per-epoch computed items "
            f"×{pair[large]['epoch_items'] / pair[small]['epoch_items']:.2f}"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    if sys.argv[1] == "--child-step":
        print(json.dumps(step_child(sys.argv[2], *map(int, sys.argv[3:7]))))
    elif sys.argv[1] == "--child-eval":
        print(json.dumps(eval_child(int(sys.argv[2]), bool(int(sys.argv[3])))))
    elif sys.argv[1] == "--child-inference":
        print(json.dumps(inference_child(int(sys.argv[2]), int(sys.argv[3]))))
