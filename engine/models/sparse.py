"""Sparse-dense products whose backward pass uses a precomputed transpose.

PyTorch's backward of ``csr @ dense`` transposes the CSR matrix on every call, and the backward of a
row gather (``x[index]``) scatters with a sort on CPU; both dominated training steps here. Models that
multiply by a fixed sparse matrix build it and its transpose once and call :func:`spmm`.
"""

from __future__ import annotations

import warnings

import torch
from torch import Tensor


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, adj: Tensor, adj_t: Tensor, x: Tensor) -> Tensor:
        ctx.adj_t = adj_t
        return torch.sparse.mm(adj, x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, None, Tensor]:
        return None, None, torch.sparse.mm(ctx.adj_t, grad)


def spmm(adj: Tensor, adj_t: Tensor, x: Tensor) -> Tensor:
    """``adj @ x`` with gradient ``adj_t @ grad`` for ``x``; ``adj (R, C)`` and ``adj_t (C, R)`` sparse CSR."""
    return _SpMM.apply(adj, adj_t, x)


def csr_pair(rows: Tensor, cols: Tensor, values: Tensor, shape: tuple[int, int]) -> tuple[Tensor, Tensor]:
    """A sparse matrix and its transpose, both CSR, from COO triplets (``(nnz,)`` each)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        adj = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, shape).coalesce().to_sparse_csr()
        adj_t = torch.sparse_coo_tensor(torch.stack([cols, rows]), values, shape[::-1]).coalesce().to_sparse_csr()
    return adj, adj_t
