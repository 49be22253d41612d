"""Synthetic-data generation time at growing sizes (issue 2: 10M interactions well under a minute).

Prints, per size: seconds to draw the tables, seconds to build the graph directly (what
``generate_synthetic`` does), and seconds for the generic peer ``InteractionGraph.from_frame`` on the same
tables, with their ratio. Run from the repository root::

    python benchmarks/bench_synthetic.py                      # 1M and 10M interactions
    python benchmarks/bench_synthetic.py --interactions 100000
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.datasets import generate_synthetic_data  # noqa: E402
from engine.graph import InteractionGraph  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (other processes slow every figure)")
    print(f"{'interactions':>12} {'users':>8} {'items':>7} {'tables s':>9} {'graph s':>8} {'total s':>8} "
          f"{'from_frame s':>13} {'from_frame/graph':>17}")  # fmt: skip
    for total in args.interactions:
        users, items = max(total // 50, 10), max(total // 200, 100)  # ~50 per user, ~200 per item
        started = time.perf_counter()
        data = generate_synthetic_data(users, items, total, seed=args.seed)
        tables = time.perf_counter() - started
        started = time.perf_counter()
        graph = data.to_graph()
        direct = time.perf_counter() - started
        started = time.perf_counter()
        InteractionGraph.from_frame(data.interactions, users=data.users, items=data.items)
        peer = time.perf_counter() - started
        print(f"{graph.num_edges:>12,} {users:>8,} {items:>7,} {tables:>9.1f} {direct:>8.1f} {tables + direct:>8.1f} "
              f"{peer:>13.1f} {peer / direct:>16.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
