"""A fixed threshold above which glibc's ``malloc`` maps memory of its own, so freed large blocks go back to the
system at once.

glibc raises that threshold each time a mapped block is freed (up to 32 MiB), after which blocks of that size come
from the heap, where a freed block stays part of the process. Evaluation allocates score matrices of tens to
hundreds of MiB chunk after chunk; with the moving threshold ranking 10k users against 100k items added 2,123 MiB
to the peak RSS, with a fixed 1 MiB threshold 593 MiB (``python benchmarks/bench_scale.py --sections eval``).
``python -m engine`` sets it before any command runs; other platforms, or a libc without ``mallopt``, are left alone.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
MMAP_THRESHOLD_BYTES = 1 << 20


def fix_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Map every block of at least ``threshold`` bytes and stop glibc from moving that bound; ``True`` when glibc
    accepted it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, int(threshold)) == 1
