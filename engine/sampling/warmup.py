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

_warm = threading.Event()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm_samplers() -> float:
    """Compile (or load from numba's disk cache) the fanout and random-walk kernels; returns the seconds it took."""
    started = time.perf_counter()
    graph = InteractionGraph.from_frame(pd.DataFrame({"user": [0, 0, 1], "item": [0, 1, 1]}), name="warm-up")
    seeds = np.array([graph.num_users])
    for replace in (False, True):  # one signature, but both code paths run once
        FanoutSampler(graph, [2, 2], replace=replace).sample(seeds, seed=0)
    walker = RandomWalkSampler(graph, num_walks=4, walk_length=2, top_t=2)
    walker.sample(seeds, seed=0, return_traces=True)
    walker.sample(seeds, seed=0)
    _warm.set()
    return time.perf_counter() - started


def start_warming() -> None:
    """Warm the kernels on a daemon thread, once per process; later calls return at once."""
    global _thread
    with _lock:
        if _thread is None and not _warm.is_set():
            _thread = threading.Thread(target=warm_samplers, name="warm-samplers", daemon=True)
            _thread.start()


def samplers_warm() -> bool:
    """Whether this process has compiled (or loaded) the sampler kernels."""
    return _warm.is_set()


def wait_until_warm(timeout: float | None = None) -> bool:
    """Warm the kernels now if no thread is doing it, else wait for it; ``True`` once they are ready."""
    start_warming()
    return _warm.wait(timeout)
