"""The same config, seed and thread count give the same losses, metrics and weights, bit for bit, on the CPU.

What made two runs differ: on several CPU threads, the backward of a row gather ``x[index]`` (``index_put_`` with
``accumulate=True``) adds the gradient rows of a repeated index in whatever order the threads reach them. Every model
gathers rows with repeated ids — MF and LightGCN their users and items, GraphSAGE its input vectors and the seed rows
of its message-flow blocks, PinSage its computation graph's items — so the weights differed in their last bits after
the first step and the difference grew (issue 24: GraphSAGE's NDCG@10 on MovieLens-100K 0.3758 in one run, 0.3811 in
the next). PyG's ``SAGEConv`` (``index_select``, then ``scatter_add_``), the sparse products of
:mod:`engine.models.sparse` and the dense layers already add in a fixed order: once that kernel was switched, one
batch's gradients came out the same bits in every repeat, for every model, and on 1 thread as on 2.

``torch.use_deterministic_algorithms(True)`` switches ``index_put_`` to a sorted accumulation with a fixed order, which
is all the CPU needs (``tests/test_determinism.py``); README's Reproducibility section gives its cost per model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

# cuBLAS repeats its results only with a fixed workspace configuration (NVIDIA's "results reproducibility"); without
# this variable torch.use_deterministic_algorithms(True) raises on cuBLAS products (CUDA >= 10.2).
CUBLAS_WORKSPACE = ":4096:8"


@contextmanager
def reproducible(threads: int, deterministic: bool, device: torch.device) -> Iterator[None]:
    """Within the block, ``threads`` torch CPU threads and, with ``deterministic``, kernels that add in a fixed order.

    On CUDA the same switch is made with ``warn_only``: an op with no deterministic CUDA kernel (the evaluator's
    ``cumsum``, for one) still runs, and torch prints a warning that names it. The process's own settings come back
    when the block ends.

    Args:
        threads (int): ``torch.set_num_threads``; results are reproducible for a given count.
        deterministic (bool): ``torch.use_deterministic_algorithms``; ``False`` keeps torch's default kernels.
        device (torch.device): Where the run trains.
    """
    previous = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cuda = device.type == "cuda"
    if deterministic and cuda:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=cuda)
    try:
        yield
    finally:
        torch.set_num_threads(previous[0])
        torch.use_deterministic_algorithms(previous[1], warn_only=previous[2])
