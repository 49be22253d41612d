"""Graph samplers in numba over the CSR of an :class:`~engine.graph.InteractionGraph`.

One implementation serves training and the dashboard, so what is drawn is what is trained on:
fanout neighbourhoods and message-flow blocks (GraphSAGE), random-walk importance neighbourhoods
(PinSage), and uniform and personalised-PageRank hard negatives.
"""

from engine.sampling.fanout import Block, FanoutSample, FanoutSampler
from engine.sampling.random_walk import RandomWalkNeighbours, RandomWalkSampler, random_walks

__all__ = [
    "Block",
    "FanoutSample",
    "FanoutSampler",
    "RandomWalkNeighbours",
    "RandomWalkSampler",
    "random_walks",
]
