"""Sampling: our graph samplers in numba over the CSR of an :class:`~engine.graph.InteractionGraph`.

One implementation serves training and the dashboard, so what is drawn is what is trained on:
fanout neighborhoods and message-flow blocks (GraphSAGE), random-walk importance neighborhoods
(PinSage), and uniform and personalised-PageRank hard negatives.

numba's OpenMP workers spin at the barrier that ends every parallel region. On a machine shared with
other processes a spinning or descheduled worker stalls each region for a scheduler tick — measured
here: a 7k-edge fanout hop took 21 ms at load 7 on two cores, against 45 us with passive waiting — so
importing the samplers asks for passive waiting unless the user set ``OMP_WAIT_POLICY`` already. The
variable is read when OpenMP loads, i.e. at the first parallel numba call of the process.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from engine.sampling.fanout import Block, FanoutSample, FanoutSampler, parse_fanouts
from engine.sampling.negatives import hard_negatives, uniform_negatives
from engine.sampling.pagerank import personalized_pagerank
from engine.sampling.pools import history_pools
from engine.sampling.random_walk import RandomWalkNeighbors, RandomWalkSampler
from engine.sampling.rng import derive_seed

__all__ = [
    "Block",
    "FanoutSample",
    "FanoutSampler",
    "RandomWalkNeighbors",
    "RandomWalkSampler",
    "derive_seed",
    "hard_negatives",
    "history_pools",
    "parse_fanouts",
    "personalized_pagerank",
    "uniform_negatives",
]
