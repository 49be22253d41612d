"""Default settings of the samplers, in one light module (no numba) that samplers, models and pages all read.

Models may not import :mod:`engine.sampling` (the loader samples for them), yet PinSage's walk defaults are the
random-walk sampler's; both read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FanoutSettings:
    """Settings of a :class:`FanoutSampler` used without a model; these defaults are the only ones:
    ``python -m engine sample`` and the Neighborhood page read them."""

    fanouts: tuple[int, ...] = (10, 5)  # neighbors per node at each hop, -1 = all
    replace: bool = False  # draw neighbors with replacement


@dataclass(frozen=True)
class RandomWalkSettings:
    """Walk settings of a :class:`RandomWalkSampler`; these defaults are the only ones: ``python -m engine sample``,
    the Neighborhood page, the resampling statistics and :class:`~engine.models.pinsage.PinSageParams` read them."""

    num_walks: int = 200  # walks per seed
    walk_length: int = 4  # most two-hop steps per walk
    restart_prob: float = 0.5  # probability of restarting after each two-hop step, in [0, 1]
    top_t: int = 10  # neighbors kept per seed
