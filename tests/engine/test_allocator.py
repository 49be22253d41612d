"""``python -m engine`` fixes glibc's mmap threshold: freed large blocks (evaluation's score matrices) go back to the
system, so the peak RSS of ranking does not grow with the number of chunks."""

from __future__ import annotations

import platform

import pytest

from engine.allocator import fix_mmap_threshold


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's M_MMAP_THRESHOLD is glibc's")
def test_glibc_accepts_the_fixed_threshold():
    assert fix_mmap_threshold() is True  # the peak it saves is measured by bench_scale.py --sections eval
