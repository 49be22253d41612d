"""Seeds and counter-based random streams for numba kernels (splitmix64, Steele et al., OOPSLA 2014).

:func:`derive_seed` turns ``(seed, epoch, batch)`` into the seed of one epoch's or one batch's draws, so any
batch can be replayed from those numbers alone. Every kernel draws from a stream keyed by ``(seed, key)`` where
``key`` is a node id or a row index, never by a thread id, so a result depends only on the seed and the input —
not on how many threads ran it or in which order. A stream is one ``uint64`` state; each draw advances it by the
golden gamma and returns the splitmix64 finaliser of the new state.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_KEY_SALT = np.uint64(0xD1B54A32D192ED03)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO_POW_M53 = 1.0 / 9007199254740992.0


def derive_seed(*keys: int) -> int:
    """A 32-bit seed that depends on every key, e.g. ``derive_seed(seed, epoch, batch)`` for one batch's draws.

    Args:
        *keys (int): Non-negative integers; ``(seed, epoch)`` and ``(seed, epoch, 0)`` give unrelated seeds.
    """
    return int(np.random.SeedSequence([int(key) for key in keys]).generate_state(1)[0])


@njit(cache=True, nogil=True, inline="always")
def mix64(z: np.uint64) -> np.uint64:
    """splitmix64's finaliser: a bijective avalanche of 64 bits."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, nogil=True, inline="always")
def stream(seed: int, key: int) -> np.uint64:
    """Initial state of the stream for ``(seed, key)``; distinct keys give unrelated streams."""
    return mix64(mix64(np.uint64(seed) ^ _KEY_SALT) + np.uint64(key) * _GAMMA)


@njit(cache=True, nogil=True, inline="always")
def next_u64(state: np.uint64) -> tuple[np.uint64, np.uint64]:
    """Advance ``state``; returns ``(new_state, 64 random bits)``."""
    state = state + _GAMMA
    return state, mix64(state)


@njit(cache=True, nogil=True, inline="always")
def below(bits: np.uint64, n: int) -> int:
    """Map 64 random bits to ``[0, n)`` (Lemire's multiply-shift on the high word; ``n < 2**32``)."""
    return np.int64(((bits >> _S32) * (np.uint64(n) & _LOW32)) >> _S32)


@njit(cache=True, nogil=True, inline="always")
def unit(bits: np.uint64) -> float:
    """Map 64 random bits to a float in ``[0, 1)`` with 53 bits of precision."""
    return np.float64(bits >> _S11) * _TWO_POW_M53


@njit(cache=True, nogil=True)
def floyd(state: np.uint64, population: int, take: int) -> tuple[np.uint64, np.ndarray]:  # pragma: no cover - numba
    """Floyd's algorithm: ``take`` distinct ranks in ``[0, population)`` from the stream ``state``, in draw order.

    For ``j`` in ``population - take .. population - 1`` it picks ``t`` in ``[0, j]``, or ``j`` when ``t`` was picked
    already; O(take^2) with no scratch of the population's size, so it suits small draws from long rows.

    Returns:
        ``(state, picks (take,) int64)``: the advanced stream and the ranks.
    """
    picks = np.empty(take, dtype=np.int64)
    for n in range(take):
        j = population - take + n
        state, bits = next_u64(state)
        t = below(bits, j + 1)
        for q in range(n):
            if picks[q] == t:
                t = j
                break
        picks[n] = t
    return state, picks
