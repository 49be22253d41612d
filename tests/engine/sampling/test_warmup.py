"""The sampler kernels are compiled once, cached on disk, and warmed ahead of the first draw (issue 25, point 6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# In a fresh process: warm the kernels, then take the draws the Neighborhood page takes on a real-sized graph.
SCRIPT = """
import json, time
import numpy as np, pandas as pd
from engine import InteractionGraph
from engine.sampling import FanoutSampler, RandomWalkSampler, warmup
from engine.sampling.fanout import _sample_hop
from engine.sampling.random_walk import _walk_and_rank

kernels = {"random walk": _walk_and_rank, "fanout hop": _sample_hop}
warm_seconds = warmup.warm_samplers()
compiled = {name: len(kernel.signatures) for name, kernel in kernels.items()}
rng = np.random.default_rng(0)
frame = pd.DataFrame({"user": rng.integers(0, 3000, 40_000), "item": rng.integers(0, 900, 40_000)})
graph = InteractionGraph.from_frame(frame.drop_duplicates())
item = np.array([graph.num_users + 7])
started = time.perf_counter()
RandomWalkSampler(graph).sample(item, seed=3, return_traces=True)
FanoutSampler(graph, [10, 10], replace=True).sample(item, seed=3)
FanoutSampler(graph, [10, 10]).sample(item, seed=3)
print(json.dumps({
    "warm": warmup.samplers_warm(),
    "warm_seconds": warm_seconds,
    "first_draw_seconds": time.perf_counter() - started,
    "new_signatures": {name: len(kernel.signatures) - compiled[name] for name, kernel in kernels.items()},
    "cache_hits": {name: sum(kernel.stats.cache_hits.values()) for name, kernel in kernels.items()},
}))
"""


def fresh_process() -> dict:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_warm_up_compiles_what_the_draws_call_and_the_next_process_loads_it_from_disk():
    fresh_process()  # compiles once if this checkout has no cache yet, and writes it
    result = fresh_process()
    assert result["warm"]
    # The warm-up's two-node graph has the dtypes of every graph: the real draws compile nothing new.
    assert result["new_signatures"] == {"random walk": 0, "fanout hop": 0}
    # A second process loads the machine code numba cached on disk instead of compiling it again.
    assert result["cache_hits"]["random walk"] >= 1 and result["cache_hits"]["fanout hop"] >= 1, result
    assert result["first_draw_seconds"] < 5, result


def test_start_warming_once_and_wait():
    from engine.sampling import warmup

    warmup.start_warming()
    warmup.start_warming()
    assert warmup.wait_until_warm("fanout", timeout=600) and warmup.samplers_warm("fanout")
    assert warmup.wait_until_warm(timeout=600)
    assert warmup.samplers_warm() and warmup.samplers_warm("random walk")
