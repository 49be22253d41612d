"""How long the Neighborhood drawing stays blank: time from loading a drawing to its first fitted paint, in Chromium.

Peer: the same drawing laid out by vis.js's own physics in the browser before anything is shown (``layout="physics"``,
what the page did before), against positions computed on the server (``layout="radial"``, what fanout drawings use;
random-walk drawings are always placed by rank, ``"ranked"``), in the same run, on the sample data's most popular
item (fanout 10, 5 and 200 random walks, the samplers' defaults). Times are from loading the drawing's HTML to its
first paint and to its settled, fitted drawing.

    python benchmarks/bench_graph_paint.py [--repeats 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.datasets import load_dataset  # noqa: E402
from engine.plots.graph_view import LAYOUTS, fanout_view, random_walk_view  # noqa: E402
from engine.sampling import FanoutSampler, RandomWalkSampler  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    graph = load_dataset("synthetic")
    hub = graph.num_users + int(np.argmax(graph.item_degree()))
    fanout = FanoutSampler(graph, FanoutSampler.Settings().fanouts).sample(np.array([hub]), seed=0)
    walks = RandomWalkSampler(graph).sample(np.array([hub]), seed=0, return_traces=True)
    results = []
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 700})
        for view_name, build, layouts in (
            ("fanout", lambda layout: fanout_view(graph, fanout, layout=layout), LAYOUTS),
            ("random walk", lambda layout: random_walk_view(graph, walks), ("ranked",)),
        ):
            for layout in layouts:
                started = time.perf_counter()
                view = build(layout)
                server_ms = (time.perf_counter() - started) * 1000
                path = Path(folder) / f"{view_name}-{layout}.html".replace(" ", "-")
                path.write_text(view.html)
                drawn, settled = [], []
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    page.goto(path.as_uri())
                    page.wait_for_selector("#graph-meta[data-drawn='true']", state="attached", timeout=120_000)
                    drawn.append((time.perf_counter() - started) * 1000)
                    page.wait_for_selector("#graph-meta[data-settled='true']", state="attached", timeout=120_000)
                    settled.append((time.perf_counter() - started) * 1000)
                results.append(
                    {
                        "view": view_name,
                        "layout": layout,
                        "nodes": view.num_nodes,
                        "server_ms": round(server_ms, 1),
                        "paint_ms": round(statistics.median(drawn), 1),
                        "settled_ms": round(statistics.median(settled), 1),
                    }
                )
        browser.close()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'view':<12} {'layout':<8} {'nodes':>5} {'build ms':>9} {'first paint ms':>15} {'settled ms':>11}")
    for row in results:
        print(
            f"{row['view']:<12} {row['layout']:<8} {row['nodes']:>5} {row['server_ms']:>9} {row['paint_ms']:>15} "
            f"{row['settled_ms']:>11}"
        )
    for view_name, layout in (("fanout", "radial"), ("random walk", "force")):  # what the page draws each with
        rows = {row["layout"]: row for row in results if row["view"] == view_name}
        blank = {name: rows[name]["server_ms"] + rows[name]["paint_ms"] for name in rows}
        print(
            f"{view_name}: {layout} / physics, build + time to first paint = {blank[layout] / blank['physics']:.2f} "
            f"({blank[layout]:.0f} ms vs {blank['physics']:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
