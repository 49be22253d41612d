"""Compile the sampler kernels once per process, ahead of the first draw.

Every kernel is ``@njit(cache=True)``: numba compiles it once per installation (about 25 s for the random walk and
10 s for the fanout hop on this project's 2-core machine) and writes the machine code to ``__pycache__`` beside the
source (or, where that folder is read-only, to numba's user-wide cache, ``NUMBA_CACHE_DIR`` if set). Even with the
cache on disk, a process still loads and links each kernel on its first call (about 1 s). :func:`start_warming`
does that on a background thread when the dashboard starts, on a two-node graph whose arrays have the same dtypes
as every real graph's, so the signatures compiled are exactly those the pages call.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd

from engine.graph import InteractionGraph
from engine.sampling.fanout import FanoutSampler
from engine.sampling.random_walk import RandomWalkSampler

SAMPLERS = ("fanout", "random walk")  # warmed in this order: the Neighborhood page opens on the fanout sampler
_warm = {sampler: threading.Event() for sampler in SAMPLERS}
_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm_samplers() -> float:
    """Compile (or load from numba's disk cache) the fanout, then the random-walk kernels; returns the seconds taken."""
    started = time.perf_counter()
    graph = InteractionGraph.from_frame(pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 1]}), name="warm-up")
    seeds = np.array([graph.num_users])
    for replace in (False, True):  # one signature, but both code paths run once
        FanoutSampler(graph, [2, 2], replace=replace).sample(seeds, seed=0)
    _warm["fanout"].set()
    walker = RandomWalkSampler(graph, num_walks=4, walk_length=2, top_t=2)
    walker.sample(seeds, seed=0, return_traces=True)
    walker.sample(seeds, seed=0)
    _warm["random walk"].set()
    return time.perf_counter() - started


def start_warming() -> None:
    """Warm the kernels on a daemon thread, once per process; later calls return at once."""
    global _thread
    with _lock:
        if _thread is None and not samplers_warm():
            _thread = threading.Thread(target=warm_samplers, name="warm-samplers", daemon=True)
            _thread.start()


def samplers_warm(sampler: str | None = None) -> bool:
    """Whether this process has compiled (or loaded) the kernels of ``sampler`` (one of :data:`SAMPLERS`; all when
    ``None``)."""
    return all(_warm[name].is_set() for name in ([sampler] if sampler else SAMPLERS))


def wait_until_warm(sampler: str | None = None, timeout: float | None = None) -> bool:
    """Start the warm-up if nothing has, and wait until ``sampler``'s kernels (all when ``None``) are ready."""
    start_warming()
    deadline = None if timeout is None else time.monotonic() + timeout
    for name in [sampler] if sampler else SAMPLERS:
        if not _warm[name].wait(None if deadline is None else max(0.0, deadline - time.monotonic())):
            return False
    return True


if __name__ == "__main__":  # `python -m engine.sampling.warmup`: fill numba's disk cache, e.g. at install time
    print(f"sampler kernels compiled or loaded from numba's disk cache in {warm_samplers():.1f} s")
