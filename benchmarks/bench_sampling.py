"""Sampler throughput on a synthetic power-law user-item graph (issue 3 §5).

Prints the first-call cost of every numba kernel (compile, or load from the on-disk cache), uniform
random-walk steps/s against a plain-numpy vectorised walk and — when importable — torch-cluster's
``random_walk``, fanout seeds/s for ``[10, 5]`` and ``[25, 10]`` (against torch-sparse's
``neighbor_sample`` when importable), negatives/s, all PinSage neighborhoods of the catalogue, and
peak memory. ``--json`` prints one JSON object instead of the table.

    python benchmarks/bench_sampling.py                 # ~2M interactions
    python benchmarks/bench_sampling.py --edges 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np
from numba import njit, prange

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.graph import InteractionGraph  # noqa: E402
from engine.sampling import FanoutSampler, RandomWalkSampler, hard_negatives, uniform_negatives  # noqa: E402
from engine.sampling.arrays import compact_csr  # noqa: E402
from engine.sampling.rng import below, next_u64, stream  # noqa: E402

# Walks advanced together by one thread, enough independent reads in flight to hide memory latency.
_LANES = 32


def power_law_graph(num_edges: int, num_users: int, num_items: int, exponent: float, seed: int) -> InteractionGraph:
    """``num_edges`` distinct interactions whose user activity and item popularity both follow Zipf laws."""
    rng = np.random.default_rng(seed)

    def zipf_draws(count: int, size: int) -> np.ndarray:
        weights = 1.0 / np.arange(1, size + 1) ** exponent
        cumulative = np.cumsum(weights / weights.sum())
        ranks = np.minimum(np.searchsorted(cumulative, rng.random(size=count)), size - 1)
        return rng.permutation(size)[ranks]  # popular ids scattered over the id space, as in real data

    pairs = np.empty(0, dtype=np.int64)
    while pairs.size < num_edges:  # popular pairs repeat: draw until enough distinct ones, then keep num_edges
        draws = int(1.3 * (num_edges - pairs.size)) + 1
        pairs = np.union1d(pairs, zipf_draws(draws, num_users) * num_items + zipf_draws(draws, num_items))
    pairs = np.sort(rng.choice(pairs, num_edges, replace=False))
    return InteractionGraph(pairs // num_items, pairs % num_items, num_users, num_items, name="power-law")


def timed(function, repeats: int = 1, clock=time.perf_counter) -> tuple[float, object]:
    """Best time over ``repeats`` calls on ``clock`` (wall time by default) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = clock()
        result = function()
        best = min(best, clock() - start)
    return best, result


def random_walks(graph: InteractionGraph, starts: np.ndarray, walk_length: int, seed: int = 0) -> np.ndarray:
    """One uniform random walk per start on the engine's CSR and random streams, like ``torch_cluster.random_walk``
    with ``p = q = 1`` (DeepWalk's walks, Perozzi et al., KDD 2014): the walk the peers below are compared on.

    Args:
        graph (InteractionGraph): The graph to walk.
        starts (np.ndarray): Global ids where walks start, ``(W,)`` int64.
        walk_length (int): Single-hop steps per walk.
        seed (int): Random seed; walk ``w`` uses the stream keyed by ``(seed, w)``. (default: ``0``)

    Returns:
        np.ndarray: ``(W, walk_length + 1)`` global ids; a walk that reaches a node without neighbors stays there.
    """
    indptr, indices = compact_csr(graph, "random_walks")
    num_groups = -(-starts.size // _LANES)
    chunks = max(1, min(num_groups, 4 * numba.get_num_threads()))
    return _uniform_walks(indptr, indices, starts.astype(np.int64), walk_length, seed, chunks)


@njit(cache=True, nogil=True, parallel=True)
def _uniform_walks(indptr, indices, starts, walk_length, seed, num_chunks):  # pragma: no cover - numba
    """Each chunk walks its groups of ``_LANES`` walks in lockstep, one step for every lane at a time."""
    num_walks = starts.size
    walks = np.empty((num_walks, walk_length + 1), dtype=np.int64)
    num_groups = (num_walks + _LANES - 1) // _LANES
    for chunk in prange(num_chunks):
        nodes = np.empty(_LANES, dtype=np.int64)
        states = np.empty(_LANES, dtype=np.uint64)
        for group in range(chunk * num_groups // num_chunks, (chunk + 1) * num_groups // num_chunks):
            first = group * _LANES
            width = min(_LANES, num_walks - first)
            for lane in range(width):
                nodes[lane] = starts[first + lane]
                states[lane] = stream(seed, first + lane)
                walks[first + lane, 0] = nodes[lane]
            for step in range(1, walk_length + 1):
                for lane in range(width):
                    node = nodes[lane]
                    begin, degree = indptr[node], indptr[node + 1] - indptr[node]
                    if degree > 0:
                        states[lane], bits = next_u64(states[lane])
                        node = indices[begin + below(bits, degree)]
                        nodes[lane] = node
                    walks[first + lane, step] = node
    return walks


def numpy_walks(indptr: np.ndarray, indices: np.ndarray, starts: np.ndarray, walk_length: int, seed: int):
    """The named numpy peer: every walk advanced together with one ``rng.integers`` call per step."""
    rng = np.random.default_rng(seed)
    walks = np.empty((starts.size, walk_length + 1), dtype=np.int64)
    walks[:, 0] = node = starts
    for step in range(1, walk_length + 1):
        begin, degree = indptr[node], indptr[node + 1] - indptr[node]
        offset = rng.integers(0, np.maximum(degree, 1))
        node = np.where(degree > 0, indices[begin + offset], node)
        walks[:, step] = node
    return walks


def first_calls(graph: InteractionGraph) -> dict[str, float]:
    """Seconds of the first call of each kernel in this process (compile, or load from the cache)."""
    tiny = np.array([0, graph.num_users])
    calls = {
        "fanout": lambda: FanoutSampler(graph, [2, 2]).sample(tiny),
        "random_walk_neighbors": lambda: RandomWalkSampler(graph, num_walks=2).sample(tiny, return_traces=True),
        "uniform_walks": lambda: random_walks(graph, tiny, 2),
        "uniform_negatives": lambda: uniform_negatives(graph, np.array([0]), 2),
        "hard_negatives": lambda: hard_negatives(graph, tiny, 2, tolerance=1e-2),
    }
    return {name: round(timed(call)[0], 3) for name, call in calls.items()}


def cold_compile_seconds() -> float:
    """First calls in a fresh process with an empty numba cache: the full compile cost."""
    cache = Path(os.environ.get("TMPDIR", "/tmp")) / f"numba-cold-{os.getpid()}"
    completed = subprocess.run(
        [sys.executable, __file__, "--first-calls-only"],
        env=dict(os.environ, NUMBA_CACHE_DIR=str(cache)),
        capture_output=True,
        text=True,
        check=True,
    )
    return round(float(completed.stdout.strip().splitlines()[-1]), 2)


def peer_torch_cluster(graph, starts, walk_length, threads):
    try:
        import torch
        import torch_cluster  # noqa: F401
    except ImportError:
        return None
    torch.set_num_threads(threads)
    rowptr, col = torch.from_numpy(graph.csr.indptr), torch.from_numpy(graph.csr.indices)
    start = torch.from_numpy(starts)
    seconds, _ = timed(lambda: torch.ops.torch_cluster.random_walk(rowptr, col, start, walk_length, 1.0, 1.0), 3)
    return seconds


def peer_torch_sparse(graph, seeds_batches, fanouts, threads):
    try:
        import torch
        import torch_sparse  # noqa: F401
    except ImportError:
        return None
    torch.set_num_threads(threads)
    colptr, row = torch.from_numpy(graph.csr.indptr), torch.from_numpy(graph.csr.indices)

    def run():
        for seeds in seeds_batches:
            torch.ops.torch_sparse.neighbor_sample(colptr, row, torch.from_numpy(seeds), fanouts, False, True)

    return timed(run, 2)[0]


def benchmark(args: argparse.Namespace) -> dict:
    threads = numba.get_num_threads()
    cached = any(Path(__file__).resolve().parents[1].glob("engine/sampling/__pycache__/*.nbi"))
    start = time.perf_counter()
    graph = power_law_graph(args.edges, args.users or args.edges // 20, args.items, args.exponent, args.seed)
    graph.csr  # noqa: B018 - build the CSR outside the timed sections
    build_seconds = time.perf_counter() - start
    degree = graph.csr.degree()
    report = {
        "graph": {
            "users": graph.num_users,
            "items": graph.num_items,
            "interactions": graph.num_edges,
            "max_degree": int(degree.max()),
            "median_degree": float(np.median(degree)),
            "build_seconds": round(build_seconds, 2),
        },
        "threads": threads,
        "numba_cache_present_at_start": cached,
        "first_call_seconds": first_calls(graph),
    }
    if args.cold:
        report["cold_compile_seconds"] = cold_compile_seconds()
    rng = np.random.default_rng(args.seed)

    starts = rng.integers(0, graph.num_nodes, args.walks)
    ours, _ = timed(lambda: random_walks(graph, starts, args.walk_length, seed=1), 3)
    ours_cpu, _ = timed(lambda: random_walks(graph, starts, args.walk_length, seed=1), 3, clock=time.process_time)
    numpy_seconds, _ = timed(lambda: numpy_walks(graph.csr.indptr, graph.csr.indices, starts, args.walk_length, 1))
    numpy_cpu, _ = timed(
        lambda: numpy_walks(graph.csr.indptr, graph.csr.indices, starts, args.walk_length, 1),
        1,
        clock=time.process_time,
    )
    steps = args.walks * args.walk_length
    walk = {"walks": args.walks, "walk_length": args.walk_length, "steps_per_s": steps / ours}
    walk["numpy_steps_per_s"] = steps / numpy_seconds
    # Per CPU-second of this process: what a busy shared machine cannot take away by time-slicing.
    walk["steps_per_cpu_s"], walk["numpy_steps_per_cpu_s"] = steps / ours_cpu, steps / numpy_cpu
    walk["ratio_vs_numpy"] = numpy_seconds / ours
    cluster = peer_torch_cluster(graph, starts, args.walk_length, threads)
    walk["torch_cluster"] = "not installed" if cluster is None else {"steps_per_s": steps / cluster}
    if cluster is not None:
        walk["ratio_vs_torch_cluster"] = cluster / ours
    report["uniform_random_walk"] = walk

    report["fanout"] = {}
    for fanouts in ([10, 5], [25, 10]):
        batches = [rng.choice(graph.num_nodes, args.batch, replace=False) for _ in range(args.batches)]
        sampler = FanoutSampler(graph, fanouts)
        seconds, _ = timed(lambda s=sampler, b=batches: [s.sample(x, seed=i) for i, x in enumerate(b)], 2)
        entry = {"batch": args.batch, "seeds_per_s": args.batch * args.batches / seconds}
        peer = peer_torch_sparse(graph, batches, fanouts, threads)
        entry["torch_sparse"] = "not installed" if peer is None else {"seeds_per_s": args.batch * args.batches / peer}
        if peer is not None:
            entry["ratio_vs_torch_sparse"] = peer / seconds
        report["fanout"][",".join(map(str, fanouts))] = entry

    users = rng.integers(0, graph.num_users, args.negative_rows)
    seconds, _ = timed(lambda: uniform_negatives(graph, users, 10, seed=2), 3)
    queries = np.concatenate([users[: args.hard_queries // 2], graph.num_users + np.arange(args.hard_queries // 2)])
    ranking_seconds, _ = timed(lambda: hard_negatives(graph, queries, 10, seed=2))  # bands computed and cached
    cached_seconds, _ = timed(lambda: hard_negatives(graph, queries, 10, seed=3), 3)
    report["negatives"] = {
        "uniform_per_s": args.negative_rows * 10 / seconds,
        "hard_queries": queries.size,
        "hard_ranking_queries_per_s": queries.size / ranking_seconds,
        "hard_cached_per_s": queries.size * 10 / cached_seconds,
    }

    items = graph.num_users + np.arange(graph.num_items)
    sampler = RandomWalkSampler(graph, top_t=50)
    seconds, _ = timed(lambda: sampler.sample(items, seed=3))
    report["pinsage_catalogue"] = {
        "items": graph.num_items,
        "num_walks": sampler.num_walks,
        "top_t": sampler.top_t,
        "seconds": seconds,
    }
    report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return report


def table(report: dict) -> str:
    g, walk = report["graph"], report["uniform_random_walk"]
    lines = [
        f"graph: {g['users']:,} users x {g['items']:,} items, {g['interactions']:,} interactions "
        f"(max degree {g['max_degree']:,}, median {g['median_degree']:g}; built in {g['build_seconds']} s); "
        f"{report['threads']} numba threads",
        f"first call per kernel, s ({'numba cache present' if report['numba_cache_present_at_start'] else 'no cache'}"
        f"): " + ", ".join(f"{k} {v}" for k, v in report["first_call_seconds"].items()),
        "  (the first kernel called also pays for starting numba's thread pool, once per process)",
    ]
    if "cold_compile_seconds" in report:
        lines.append(f"cold compile of all kernels (empty cache, fresh process): {report['cold_compile_seconds']} s")
    lines += [
        f"uniform random walk ({walk['walks']:,} walks x {walk['walk_length']} steps): "
        f"{walk['steps_per_s'] / 1e6:.1f} M steps/s ({walk['steps_per_cpu_s'] / 1e6:.1f} M per CPU-second)",
        f"  numpy vectorised walk: {walk['numpy_steps_per_s'] / 1e6:.1f} M steps/s "
        f"({walk['numpy_steps_per_cpu_s'] / 1e6:.1f} M per CPU-second) "
        f"-> ours x{walk['ratio_vs_numpy']:.1f}",
    ]
    if walk["torch_cluster"] == "not installed":
        lines.append("  torch-cluster random_walk: not installed")
    else:
        lines.append(
            f"  torch-cluster random_walk: {walk['torch_cluster']['steps_per_s'] / 1e6:.1f} M steps/s "
            f"-> ours x{walk['ratio_vs_torch_cluster']:.2f}"
        )
    for fanouts, entry in report["fanout"].items():
        peer = entry["torch_sparse"]
        peer_text = (
            "torch-sparse not installed"
            if peer == "not installed"
            else f"torch-sparse {peer['seeds_per_s']:,.0f} seeds/s -> ours x{entry['ratio_vs_torch_sparse']:.2f}"
        )
        lines.append(
            f"fanout [{fanouts}] (batches of {entry['batch']}): {entry['seeds_per_s']:,.0f} seeds/s; {peer_text}"
        )
    neg, pin = report["negatives"], report["pinsage_catalogue"]
    lines += [
        f"uniform negatives: {neg['uniform_per_s'] / 1e6:.1f} M/s",
        f"hard negatives: PageRank bands {neg['hard_ranking_queries_per_s']:,.0f} queries/s, "
        f"then {neg['hard_cached_per_s'] / 1e6:.2f} M draws/s from the cached bands",
        f"PinSage neighborhoods, all {pin['items']:,} items ({pin['num_walks']} walks, top-{pin['top_t']}): "
        f"{pin['seconds']:.2f} s",
        f"peak memory (max RSS): {report['peak_rss_mb']:,.0f} MB",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=2_000_000, help="interactions drawn (default: 2,000,000)")
    parser.add_argument("--users", type=int, default=0, help="users (default: edges / 20)")
    parser.add_argument("--items", type=int, default=50_000, help="items (default: 50,000)")
    parser.add_argument("--exponent", type=float, default=0.9, help="Zipf exponent (default: 0.9)")
    parser.add_argument("--walks", type=int, default=500_000, help="uniform walks (default: 500,000)")
    parser.add_argument("--walk-length", type=int, default=20, help="steps per uniform walk (default: 20)")
    parser.add_argument("--batch", type=int, default=1024, help="fanout seeds per batch (default: 1024)")
    parser.add_argument("--batches", type=int, default=20, help="fanout batches timed (default: 20)")
    parser.add_argument("--negative-rows", type=int, default=200_000, help="users drawing 10 negatives each")
    parser.add_argument("--hard-queries", type=int, default=200, help="hard-negative queries (default: 200)")
    parser.add_argument("--cold", action="store_true", help="also time a full compile in a fresh process")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--first-calls-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_calls_only:
        start = time.perf_counter()
        first_calls(power_law_graph(2000, 200, 100, 1.0, 0))
        print(time.perf_counter() - start)
        return
    report = benchmark(args)
    print(json.dumps(report) if args.json else table(report))


if __name__ == "__main__":
    main()
