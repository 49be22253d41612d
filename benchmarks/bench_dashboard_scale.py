"""Dashboard pages at scale: server time of the Data, Neighborhood and Embeddings pages on large generated data.

    .venv/bin/python benchmarks/bench_dashboard_scale.py [--interactions 10000000] [--sections data neighborhood
        embeddings] [--draws 5] [--embedding-users 190000] [--embedding-items 10000] [--keep DIR] [--json]

``--keep DIR`` keeps the generated release and the trained run in ``DIR`` and reuses them on the next run (writing
10M interactions takes ~40 s, the one-epoch MF run on 200k nodes ~3.5 minutes on two cores).

Times full script runs with Streamlit's AppTest (the server's work for a page view, figures serialised included; the
browser's drawing is not), each against the same page on the bundled sample data (``synthetic``) in the same run:

**data** — a ``--interactions`` MovieLens-10M-format release (``bench_scale.write_release``: ``ratings.dat`` with
``::``) in a temporary folder, opened as ``movielens-10m`` with the sidebar's data folder set to it, as a user does.
The first open loads the dataset (reported on its own); then a new session's first view of the Data page (the
dataset cached, as for every visitor after the first) and a re-run. Target: ≤ 3 s once loaded.

**neighborhood** — the same dataset's whole graph on the Neighborhood page (its most popular item, picked by
default): the first view (it builds the samplers), then ``--draws`` presses of *Resample* for the fanout sampler, the
random-walk sampler and both side by side; each draw is a new seed, so nothing is served from the statistics cache.
Target: ≤ 1 s per draw.

**embeddings** — a CSV graph of ``--embedding-users`` users and ``--embedding-items`` items
(``bench_scale.catalogue_graph``, ~6 interactions per user) trained for one epoch of MF with the training CLI, so its
snapshot has ~200k points; the Embeddings page (PCA; UMAP would start a background job) first view and re-run, and
the map figure alone (build + JSON) at 200k points and at 1M random points, where the page draws a random sample.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# Page server time alone: no dashboard worker competing for the cores (benchmarks/bench_worker.py measures it).
os.environ["GNN_EXPLORER_WORKER"] = "off"

import numpy as np  # noqa: E402
from bench_scale import catalogue_graph, write_release  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from dashboard.state import keys  # noqa: E402

APP = str(ROOT / "dashboard" / "app.py")
TIMEOUT = 900
SAMPLE = {keys.DATASET_PICK: "synthetic"}
FANOUT, WALK, BOTH = "Fanout (GraphSAGE)", "Random walk (PinSage)", "Side by side"  # views/neighborhood.py's modes


def app(runs_dir: Path, session: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[keys.RUNS_DIR] = str(runs_dir)
    for key, value in session.items():
        at.session_state[key] = value
    return at


def timed_run(at: AppTest, action=None) -> float:
    started = time.perf_counter()
    (action(at) if action else at).run()
    seconds = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")
    if at.error:
        raise RuntimeError(f"the page showed an error: {at.error[0].value}")
    return seconds


def bench_data(runs_dir: Path, label: str, session: dict) -> dict:
    """First open (the Data page is the default page), a new session's first view once cached, and a re-run."""
    at = app(runs_dir, session)
    first_open = timed_run(at)
    fresh = app(runs_dir, session)
    new_session = timed_run(fresh)
    rerun = timed_run(fresh)
    users = next(metric.value for metric in fresh.metric if metric.label == "Interactions")
    points = sum(_points(chart) for chart in fresh.get("plotly_chart"))
    return {
        "dataset": label, "interactions": users, "first_open_s": first_open, "new_session_s": new_session,
        "rerun_s": rerun, "figure_points": points,
    }  # fmt: skip


def _traces(chart) -> list[dict]:
    return json.loads(chart.proto.spec)["data"]


def _length(values) -> int:
    """Entries of a trace array in plotly's JSON: a list, or a typed array ``{"dtype", "bdata"}`` (base64)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).size
    return len(values or [])


def _points(chart) -> int:
    return sum(_length(trace.get("x")) for trace in _traces(chart))


def bench_neighborhood(runs_dir: Path, label: str, session: dict, draws: int) -> list[dict]:
    at = app(runs_dir, session)
    at.run()
    first = timed_run(at, lambda at: at.switch_page("views/neighborhood.py"))
    rows = [{"dataset": label, "step": "first view (fanout; samplers built)", "seconds": [first]}]
    for mode in (FANOUT, WALK, BOTH):
        timed_run(at, lambda at, mode=mode: at.radio(key="neighborhood_mode").set_value(mode))
        seconds = [timed_run(at, lambda at: at.button(key="neighborhood_resample").click()) for _ in range(draws)]
        rows.append({"dataset": label, "step": f"Resample, {mode}", "seconds": seconds})
    node = next(sub.value for sub in at.subheader)
    for row in rows:
        row["node"] = node
    return rows


def write_embedding_dataset(folder: Path, users: int, items: int) -> Path:
    graph = catalogue_graph(items, users * 6, users)
    path = folder / "interactions.csv"
    rows = np.stack([graph.user, graph.item], axis=1)
    with path.open("w") as sink:
        sink.write("user,item\n")
        np.savetxt(sink, rows, fmt="%d", delimiter=",")
    return path


def train_one_epoch(runs_dir: Path, dataset: str, run_id: str) -> float:
    command = [
        sys.executable, "-m", "engine", "train", "--dataset", dataset, "--model", "mf", "--epochs", "1", "--dim", "32",
        "--runs-dir", str(runs_dir), "--run-id", run_id, "--quiet", "--patience", "0",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def bench_embeddings_page(runs_dir: Path, label: str, session: dict) -> dict:
    session = {**session, "embeddings_method": "PCA"}  # UMAP would start a background job
    at = app(runs_dir, session)
    at.run()
    first = timed_run(at, lambda at: at.switch_page("views/embeddings.py"))
    fresh = app(runs_dir, session)
    fresh.run()
    new_session = timed_run(fresh, lambda at: at.switch_page("views/embeddings.py"))
    rerun = timed_run(fresh)
    charts = fresh.get("plotly_chart")
    drawn = _points(charts[0])
    caption = next(caption.value for caption in fresh.caption if "points" in caption.value)
    return {
        "dataset": label, "first_view_s": first, "new_session_s": new_session, "rerun_s": rerun, "drawn": drawn,
        "caption": caption, "spec_mb": len(charts[0].proto.spec) / 1e6,
    }  # fmt: skip


def bench_map_figure(points: int, repeats: int = 3) -> dict:
    """``embedding_view.map_figure`` + JSON on ``points`` random points in 4 categories (median of ``repeats``)."""
    from engine.analysis import Projection
    from engine.plots import embedding_view

    rng = np.random.default_rng(0)
    users = points // 2
    coords = rng.normal(size=(points, 2)).astype(np.float32)
    projection = Projection("pca", 1, coords, users, np.eye(2, dtype=np.float32), np.zeros(2, np.float32), -1)
    labels = np.array(["a", "b", "c", "d"], dtype=object)[rng.integers(0, 4, points)]
    hover = np.array([f"node {k}" for k in range(points)], dtype=object)
    seconds, size, drawn = [], 0, 0
    for _ in range(repeats):
        started = time.perf_counter()
        figure = embedding_view.map_figure(projection, labels, hover, title="map")
        spec = figure.to_json()
        seconds.append(time.perf_counter() - started)
        size, drawn = len(spec), sum(len(trace.x) for trace in figure.data)
    return {"points": points, "drawn": drawn, "seconds": statistics.median(seconds), "spec_mb": size / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sections", nargs="+", default=["data", "neighborhood", "embeddings"])
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--draws", type=int, default=5, help="Resample presses per sampler mode")
    parser.add_argument("--embedding-users", type=int, default=190_000)
    parser.add_argument("--embedding-items", type=int, default=10_000)
    parser.add_argument("--keep", help="folder for the generated data and the trained run, kept and reused")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    figures: dict = {}
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(args.keep or temporary)  # --keep: generated data and the trained run stay for the next run
        runs_dir = scratch / "runs"
        runs_dir.mkdir(parents=True, exist_ok=True)
        large = None
        if {"data", "neighborhood"} & set(args.sections):
            folder = scratch / "ml-10M100K"
            if not (folder / "ratings.dat").is_file():
                started = time.perf_counter()
                write_release(folder, "dat", args.interactions)
                print(f"wrote {args.interactions:,} interactions in {time.perf_counter() - started:.0f} s", flush=True)
            large = {keys.DATASET_PICK: "movielens-10m", keys.DATA_DIR: str(folder)}
        if "data" in args.sections:
            rows = [bench_data(runs_dir, "synthetic", SAMPLE), bench_data(runs_dir, "movielens-10m format", large)]
            figures["data"] = rows
            print("\nData page (AppTest server time; target ≤ 3 s once loaded)")
            print("| dataset | interactions | first open s (load + render) | new session, cached s | re-run s | "
                  "points in figures |\n|---|---|---|---|---|---|")  # fmt: skip
            for row in rows:
                print(
                    f"| {row['dataset']} | {row['interactions']} | {row['first_open_s']:.2f} | "
                    f"{row['new_session_s']:.2f} | {row['rerun_s']:.2f} | {row['figure_points']:,} |"
                )
            print(f"large / sample, new session: ×{rows[1]['new_session_s'] / rows[0]['new_session_s']:.1f}")
        if "neighborhood" in args.sections:
            rows = bench_neighborhood(runs_dir, "synthetic", SAMPLE, args.draws)
            rows += bench_neighborhood(runs_dir, "movielens-10m format", large, args.draws)
            figures["neighborhood"] = rows
            print("\nNeighborhood page, whole dataset (AppTest server time; target ≤ 1 s per draw)")
            print("| dataset | node | step | median s | max s |\n|---|---|---|---|---|")
            for row in rows:
                print(
                    f"| {row['dataset']} | {row['node']} | {row['step']} | {statistics.median(row['seconds']):.2f} | "
                    f"{max(row['seconds']):.2f} |"
                )
        if "embeddings" in args.sections:
            folder = scratch / f"embeddings-{args.embedding_users}x{args.embedding_items}"
            sample_runs = scratch / "sample-runs"
            train_s = None  # None: the run --keep kept from an earlier run of this script
            if not (runs_dir / "scale-mf" / "summary.json").is_file():
                folder.mkdir(exist_ok=True)
                path = write_embedding_dataset(folder, args.embedding_users, args.embedding_items)
                train_s = train_one_epoch(runs_dir, f"csv:{path}", "scale-mf")
            if not (sample_runs / "sample-mf" / "summary.json").is_file():
                sample_runs.mkdir(exist_ok=True)
                train_one_epoch(sample_runs, "synthetic", "sample-mf")
            rows = [
                bench_embeddings_page(sample_runs, "synthetic", {}),
                bench_embeddings_page(runs_dir, "generated CSV", {}),
            ]
            maps = [bench_map_figure(points) for points in (10_000, 200_000, 1_000_000)]
            figures["embeddings"] = {"pages": rows, "maps": maps, "train_s": train_s}
            trained = "kept from an earlier run" if train_s is None else f"1 epoch of MF in {train_s:.0f} s"
            print(f"\nEmbeddings page, PCA (AppTest server time); the large run: {trained}")
            print("| run's dataset | first view s | new session s | re-run s | points drawn | spec MB | caption |")
            print("|---|---|---|---|---|---|---|")
            for row in rows:
                print(
                    f"| {row['dataset']} | {row['first_view_s']:.2f} | {row['new_session_s']:.2f} | "
                    f"{row['rerun_s']:.2f} | {row['drawn']:,} | {row['spec_mb']:.1f} | {row['caption']} |"
                )
            print("\nmap_figure + to_json, random points in 4 categories (median of 3)")
            print("| points | drawn | seconds | JSON MB |\n|---|---|---|---|")
            for row in maps:
                print(f"| {row['points']:,} | {row['drawn']:,} | {row['seconds']:.2f} | {row['spec_mb']:.1f} |")
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
