"""Graph samplers in numba over the CSR of an :class:`~engine.graph.InteractionGraph`.

One implementation serves training and the dashboard, so what is drawn is what is trained on:
fanout neighbourhoods and message-flow blocks (GraphSAGE), random-walk importance neighbourhoods
(PinSage), and uniform and personalised-PageRank hard negatives.
"""

from engine.sampling.fanout import Block, FanoutSample, FanoutSampler
from engine.sampling.negatives import hard_negatives, uniform_negatives
from engine.sampling.pagerank import personalized_pagerank
from engine.sampling.random_walk import RandomWalkNeighbours, RandomWalkSampler, random_walks

__all__ = [
    "Block",
    "FanoutSample",
    "FanoutSampler",
    "RandomWalkNeighbours",
    "RandomWalkSampler",
    "hard_negatives",
    "personalized_pagerank",
    "random_walks",
    "uniform_negatives",
]
