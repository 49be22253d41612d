"""Random-walk importance neighborhoods with restart.

PinSage (Ying et al., "Graph Convolutional Neural Networks for Web-Scale Recommender Systems",
KDD 2018, arXiv 1806.01973) defines the neighbors of a node as the same-type nodes most often
visited by short random walks with restart from it, weighted by their normalised visit counts.
:class:`RandomWalkSampler` runs those walks over the bipartite user–item graph (item → user → item …,
or user → item → user … from a user) and keeps the top-T visited nodes, plus the traces on request.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import ClassVar

import numba
import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampler_settings import RandomWalkSettings
from engine.sampling.arrays import check_seed, compact_csr, global_ids, positive_int
from engine.sampling.rng import below, next_u64, stream, unit

# Caps checked before allocating or starting: total two-hop steps of one call (about a minute of
# walking on two cores), steps of one seed (its visit buffer), and entries of the traces array.
MAX_TOTAL_STEPS = 2_000_000_000
MAX_STEPS_PER_SEED = 10_000_000
MAX_TRACE_ENTRIES = 50_000_000
# Neighbors kept per seed: the (B, top_t) outputs are allocated before walking.
MAX_TOP_T = 10_000
# Walks of one seed advanced together, enough independent reads in flight to hide memory latency.
_LANES = 16


@dataclass(frozen=True)
class RandomWalkNeighbors:
    """Importance neighborhoods of a batch of seeds.

    Args:
        seeds (np.ndarray): The seeds, ``(B,)`` global ids.
        neighbors (np.ndarray): ``(B, T)`` global ids of the most visited same-type nodes, most visited
            first (ties by lower id), ``-1`` where fewer than ``T`` nodes were visited.
        visit_counts (np.ndarray): ``(B, T)`` int64 visits of each neighbor, ``0`` on padding.
        weights (np.ndarray): ``(B, T)`` float32 visit counts L1-normalised over the valid entries, ``0`` on padding.
        traces (np.ndarray | None): ``(B, num_walks, 2 * walk_length + 1)`` global ids of every walk,
            starting at the seed, ``-1`` after the walk restarted; ``None`` unless requested.
    """

    seeds: np.ndarray
    neighbors: np.ndarray
    visit_counts: np.ndarray
    weights: np.ndarray
    traces: np.ndarray | None = None


class RandomWalkSampler:
    """Top-T same-type neighbors by visit counts of random walks with restart (PinSage, arXiv 1806.01973).

    Each seed starts ``num_walks`` walks. A walk takes up to ``walk_length`` two-hop steps (to a node of
    the other type and back to the seed's type); after each step it lands on a same-type node, which
    counts as a visit unless it is the seed, and then restarts — ends, so the next walk begins at the
    seed — with probability ``restart_prob``. Visit counts therefore estimate personalised PageRank
    on the two-hop graph. Each seed's walks use the random stream keyed by ``(seed, node)``.

    Args:
        graph (InteractionGraph): The graph to walk.
        num_walks (int): Walks per seed. (default: ``Settings.num_walks``)
        walk_length (int): Most two-hop steps per walk. (default: ``Settings.walk_length``)
        restart_prob (float): Probability of restarting after each two-hop step, in ``[0, 1]``.
            (default: ``Settings.restart_prob``)
        top_t (int): Neighbors kept per seed, at most :data:`MAX_TOP_T`. (default: ``Settings.top_t``)
    """

    Settings: ClassVar[type[RandomWalkSettings]] = RandomWalkSettings  # the settings and their defaults

    def __init__(
        self,
        graph: InteractionGraph,
        num_walks: int = RandomWalkSettings.num_walks,
        walk_length: int = RandomWalkSettings.walk_length,
        restart_prob: float = RandomWalkSettings.restart_prob,
        top_t: int = RandomWalkSettings.top_t,
    ) -> None:
        name = type(self).__name__
        self.num_walks = positive_int(num_walks, "num_walks", name)
        self.walk_length = positive_int(walk_length, "walk_length", name)
        self.top_t = positive_int(top_t, "top_t", name, maximum=MAX_TOP_T)
        if isinstance(restart_prob, bool) or not isinstance(restart_prob, numbers.Real) or not 0 <= restart_prob <= 1:
            raise ValueError(f"'restart_prob' must be a number in [0, 1] for '{name}' (got {restart_prob!r})")
        if self.num_walks * self.walk_length > MAX_STEPS_PER_SEED:
            raise ValueError(
                f"num_walks * walk_length must be at most {MAX_STEPS_PER_SEED} for '{name}' "
                f"(got {self.num_walks} * {self.walk_length})"
            )
        self.restart_prob = float(restart_prob)
        self.graph = graph
        self._indptr, self._indices = compact_csr(graph, name)

    def sample(self, seeds: np.ndarray, seed: int = 0, return_traces: bool = False) -> RandomWalkNeighbors:
        """Walk from every seed and rank the visited nodes.

        Args:
            seeds (np.ndarray): Global node ids of either type, ``(B,)``; repeats are allowed.
            seed (int): Random seed. (default: ``0``)
            return_traces (bool): Also return every walk for drawing. (default: ``False``)
        """
        name = type(self).__name__
        seeds = global_ids(seeds, self.graph.num_nodes, name)
        seed = check_seed(seed, name)
        steps = seeds.size * self.num_walks * self.walk_length
        if steps > MAX_TOTAL_STEPS:
            raise ValueError(
                f"'{name}' would take {steps} steps for {seeds.size} seeds, above the cap of {MAX_TOTAL_STEPS}; "
                "pass the seeds in batches"
            )
        trace_shape = (seeds.size, self.num_walks, 2 * self.walk_length + 1) if return_traces else (0, 0, 0)
        if np.prod(trace_shape) > MAX_TRACE_ENTRIES:
            raise ValueError(
                f"traces of shape {trace_shape} exceed the cap of {MAX_TRACE_ENTRIES} entries for '{name}'; "
                "request traces for fewer seeds or walks"
            )
        traces = np.full(trace_shape, -1, dtype=np.int64)
        neighbors, visit_counts = _walk_and_rank(
            self._indptr,
            self._indices,
            seeds,
            self.num_walks,
            self.walk_length,
            self.restart_prob,
            self.top_t,
            seed,
            traces,
            return_traces,
            min(seeds.size, numba.get_num_threads()),
        )
        totals = visit_counts.sum(axis=1, keepdims=True)  # (B, 1)
        weights = np.divide(visit_counts, totals, out=np.zeros(visit_counts.shape), where=totals > 0)
        return RandomWalkNeighbors(
            seeds=seeds,
            neighbors=neighbors,
            visit_counts=visit_counts,
            weights=weights.astype(np.float32),
            traces=traces if return_traces else None,
        )


@njit(cache=True, nogil=True, parallel=True)
def _walk_and_rank(
    indptr, indices, seeds, num_walks, walk_length, restart_prob, top_t, seed, traces, keep_traces, num_chunks
):  # pragma: no cover - numba
    """Visit counts per seed, reduced to the ``top_t`` most visited nodes (ties by lower id).

    Seeds are split into ``num_chunks`` contiguous chunks; each chunk owns a dense count array over
    all nodes and resets only the entries it touched, so a seed costs its steps, not the graph size.
    A seed's walks advance ``_LANES`` at a time in lockstep: their memory reads are independent, so
    the CPU overlaps the cache misses that a one-walk-at-a-time loop would wait on in turn.
    """
    num_seeds, num_nodes = seeds.size, indptr.size - 1
    neighbors = np.full((num_seeds, top_t), -1, dtype=np.int64)
    visit_counts = np.zeros((num_seeds, top_t), dtype=np.int64)
    for chunk in prange(num_chunks):
        counts = np.zeros(num_nodes, dtype=np.int64)
        touched = np.empty(num_walks * walk_length, dtype=np.int64)
        lane_node = np.empty(_LANES, dtype=np.int64)
        lane_walk = np.empty(_LANES, dtype=np.int64)
        lane_steps = np.empty(_LANES, dtype=np.int64)
        for b in range(chunk * num_seeds // num_chunks, (chunk + 1) * num_seeds // num_chunks):
            origin = seeds[b]
            state = stream(seed, origin)
            num_touched = 0
            if keep_traces:
                traces[b, :, 0] = origin
            active = 0 if indptr[origin + 1] == indptr[origin] else min(_LANES, num_walks)
            for lane in range(active):
                lane_node[lane], lane_walk[lane], lane_steps[lane] = origin, lane, 0
            next_walk = active
            while active > 0:
                lane = 0
                while lane < active:
                    node = lane_node[lane]
                    state, bits = next_u64(state)
                    middle = indices[indptr[node] + below(bits, indptr[node + 1] - indptr[node])]
                    state, bits = next_u64(state)
                    node = indices[indptr[middle] + below(bits, indptr[middle + 1] - indptr[middle])]
                    step = lane_steps[lane]
                    if keep_traces:
                        traces[b, lane_walk[lane], 2 * step + 1] = middle
                        traces[b, lane_walk[lane], 2 * step + 2] = node
                    if node != origin:
                        if counts[node] == 0:
                            touched[num_touched] = node
                            num_touched += 1
                        counts[node] += 1
                    lane_node[lane], lane_steps[lane] = node, step + 1
                    ended = step + 1 == walk_length
                    if not ended and restart_prob > 0.0:
                        state, bits = next_u64(state)
                        ended = unit(bits) < restart_prob
                    if not ended:
                        lane += 1
                    elif next_walk < num_walks:
                        lane_node[lane], lane_walk[lane], lane_steps[lane] = origin, next_walk, 0
                        next_walk += 1
                        lane += 1
                    else:  # retire the lane: the last active lane takes its slot
                        active -= 1
                        lane_node[lane], lane_walk[lane] = lane_node[active], lane_walk[active]
                        lane_steps[lane] = lane_steps[active]
            visited = touched[:num_touched]
            # Sort key: more visits first, then lower id; counts <= num_walks * walk_length fit the product.
            keys = (num_walks * walk_length - counts[visited]) * num_nodes + visited
            order = np.argsort(keys)
            for t in range(min(top_t, num_touched)):
                neighbors[b, t] = visited[order[t]]
                visit_counts[b, t] = counts[visited[order[t]]]
            for node in visited:
                counts[node] = 0
    return neighbors, visit_counts
