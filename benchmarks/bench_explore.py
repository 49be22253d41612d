"""Server-side speed of the exploration pages against their targets.

    .venv/bin/python benchmarks/bench_explore.py [--repeats 5] [--data-dir ../shared/data/ml-latest-small]

Prints, on MovieLens latest-small when its files are there (else the bundled synthetic data):
1. sample + draw of a ~300-node neighborhood (fanout and random walk), target < 1 s;
2. the frequency view: 100 resamples (fanout; random walk) and the top-T stability curve, target < 2 s;
3. a 10k-point map: PCA, UMAP in a fresh process (numba compilation included, as the dashboard's background job
   pays it), then reading the cached UMAP and building the WebGL figure — the "shown instantly" part;
4. full AppTest reruns of the Neighborhood page (everything the server does for one view).
Times are medians of ``--repeats`` warm runs (the first, JIT-compiling call is reported separately).
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Page server time alone: no dashboard worker competing for the cores (benchmarks/bench_worker.py measures it).
os.environ["GNN_EXPLORER_WORKER"] = "off"

from engine.analysis import (  # noqa: E402
    Projection,
    ProjectionStore,
    fanout_frequency,
    fit_projection,
    top_t_stability,
    walk_frequency,
)
from engine.datasets import load_dataset  # noqa: E402
from engine.plots import embedding_view  # noqa: E402
from engine.plots.graph_view import fanout_view, random_walk_view  # noqa: E402
from engine.sampling import FanoutSampler, RandomWalkSampler  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "ml-latest-small"


def timed(function, repeats: int) -> tuple[float, float, object]:
    """(first call seconds, median of ``repeats`` further calls, last result)."""
    started = time.perf_counter()
    result = function()
    first = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times), result


def report(label: str, first: float, median: float, target: float | None = None) -> None:
    verdict = "" if target is None else f"  target < {target:.1f} s: {'met' if median < target else 'MISSED'}"
    print(f"{label:<58} first {first * 1000:8.0f} ms   warm median {median * 1000:8.0f} ms{verdict}")


def node_with_sample_size(graph, sampler: FanoutSampler, size: int) -> int:
    """A user whose fanout sample has about ``size`` nodes."""
    best, gap = 0, size
    for user in np.argsort(graph.user_degree())[:: max(1, graph.num_users // 200)]:
        nodes = len(sampler.sample(np.array([user]), seed=0).nodes)
        if abs(nodes - size) < gap:
            best, gap = int(user), abs(nodes - size)
    return best


def planted_embeddings(rows: int, dim: int = 64, clusters: int = 20, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    return (centres[rng.integers(0, clusters, rows)] + rng.normal(scale=0.5, size=(rows, dim))).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    args = parser.parse_args()
    if Path(args.data_dir).is_dir():
        graph = load_dataset("movielens-latest-small", args.data_dir)
    else:
        print(f"{args.data_dir} not found: using the synthetic sample data")
        graph = load_dataset("synthetic")
    print(f"dataset {graph.name}: {graph.num_users} users, {graph.num_items} items, {graph.num_edges} edges\n")

    fanout = FanoutSampler(graph, [30, 10])
    node = node_with_sample_size(graph, fanout, 300)
    first, median, view = timed(lambda: fanout_view(graph, fanout.sample(np.array([node]), seed=1)), args.repeats)
    report(f"fanout [30, 10] sample + draw ({view.num_nodes} nodes drawn)", first, median, 1.0)
    walker = RandomWalkSampler(graph, num_walks=200, walk_length=4, top_t=10)
    item = graph.num_users + int(np.argmax(graph.item_degree()))

    def walk_draw():
        return random_walk_view(graph, walker.sample(np.array([item]), seed=1, return_traces=True), max_nodes=300)

    first, median, view = timed(walk_draw, args.repeats)
    report(f"random walk 200x4 sample + draw ({view.num_nodes} nodes drawn)", first, median, 1.0)

    first, median, _ = timed(lambda: fanout_frequency(fanout, node, 100), args.repeats)
    report("frequency view: 100 fanout resamples", first, median, 2.0)
    first, median, _ = timed(lambda: walk_frequency(walker, item, 100), args.repeats)
    report("frequency view: 100 random-walk resamples", first, median, 2.0)
    first, median, _ = timed(lambda: top_t_stability(graph, item), args.repeats)
    report("top-T stability: 6 walk budgets x 10 draws", first, median, 2.0)

    embeddings = planted_embeddings(graph.num_nodes if graph.num_nodes >= 10_000 else 10_000)
    num_users = min(graph.num_users, len(embeddings))
    print(f"\nmap of {len(embeddings)} points (planted-cluster embeddings, d=64)")
    first, median, _ = timed(lambda: fit_projection(embeddings, num_users, "pca"), args.repeats)
    report("PCA fit (done on the spot by the page)", first, median, 1.0)
    with tempfile.TemporaryDirectory() as folder:
        run = Path(folder)
        (run / "embeddings").mkdir()
        np.savez(run / "embeddings" / "epoch_0001.npz", user=embeddings[:num_users], item=embeddings[num_users:])
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "engine.cli.project", str(run), "--method", "umap", "--epochs", "1"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        label = "UMAP (cosine) in a fresh background process, once per run/epoch"
        print(f"{label:<58} {time.perf_counter() - started:8.1f} s")
        path = ProjectionStore(run).path(1, "umap")
        first, median, projection = timed(lambda: Projection.load(path), args.repeats)
        report("reading the cached UMAP", first, median, 1.0)
    if len(projection.coords) == graph.num_nodes:
        labels = embedding_view.categories(graph, "genre")
        hover = embedding_view.hover_texts(graph)
    else:
        labels = np.array([f"cluster {i % 20}" for i in range(len(projection.coords))], dtype=object)
        hover = np.array([str(i) for i in range(len(projection.coords))], dtype=object)
    first, median, _ = timed(lambda: embedding_view.map_figure(projection, labels, hover, title="map"), args.repeats)
    report("building the WebGL figure", first, median, 1.0)

    from streamlit.testing.v1 import AppTest

    from dashboard.state import keys

    def page_view():
        at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=300)
        at.session_state[keys.RUNS_DIR] = tempfile.mkdtemp()
        at.switch_page("pages/neighborhood.py")
        return at.run()

    print()
    first, median, _ = timed(page_view, args.repeats)
    report("Neighborhood page, full AppTest run (synthetic, defaults)", first, median)


if __name__ == "__main__":
    main()
