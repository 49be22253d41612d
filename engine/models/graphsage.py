"""GraphSAGE over the user–item graph, trained on the fanout sampler's message-flow blocks.

Hamilton, Ying and Leskovec, *Inductive Representation Learning on Large Graphs* (NeurIPS 2017).
Layer-0 vectors are the metadata features of :mod:`engine.features` projected to ``d`` (one projection
per node type) plus optional free ID vectors; ``L`` PyG :class:`~torch_geometric.nn.conv.SAGEConv`
layers (mean aggregation) run on the :class:`~engine.models.inputs.MessageFlow` blocks every batch brings
(:class:`~engine.models.inputs.FanoutSpec`: the loader draws them with the fanout sampler the Neighborhood
page draws). Inference is layer-wise over every neighbor, as in PyG's ``inference`` examples, so
:meth:`GraphSAGE.embeddings` is deterministic; each layer runs in chunks of destinations, so its memory follows the
nodes, not the edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import SAGEConv

from engine.features import item_features, user_features
from engine.graph import InteractionGraph
from engine.models.base import Recommender, TrainDefaults, free_table
from engine.models.inputs import FanoutSpec, LinkBatch
from engine.models.losses import bpr_loss, l2_penalty
from engine.models.search import Choices, Range


@dataclass
class GraphSAGEParams:
    """Hyper-parameters of :class:`GraphSAGE`."""

    num_layers: int = field(default=2, metadata={"help": "SAGEConv layers (= sampled hops)", "min": 1, "max": 4})
    fanout: int = field(default=10, metadata={"help": "neighbors sampled per node and hop", "min": 1, "max": 100})
    id_embeddings: bool = field(
        default=True, metadata={"help": "add a free ID vector to every node's projected features", "min": 0, "max": 1}
    )
    reg: float = field(default=1e-3, metadata={"help": "L2 penalty on the batch's outputs", "min": 0.0, "max": 1.0})


class GraphSAGE(Recommender):
    """GraphSAGE (Hamilton et al., NeurIPS 2017) with mean aggregation and the BPR loss.

    A new user (:meth:`embed_new_user`) is an extra node whose neighbors are the chosen items: its
    layer-0 vector is the average trained user's (mean user features, mean ID vector, since its own
    metadata is unknown) and every layer aggregates the items' trained layer outputs with the same
    ``SAGEConv`` weights — hence ``inductive_is_approximate`` (its own input is an average).

    Args:
        graph (InteractionGraph): Training graph; inference runs on its edges, training on blocks sampled from it.
        dim (int): Embedding size ``d`` (every layer's width).
        params (GraphSAGEParams): ``num_layers``, ``fanout``, ``id_embeddings``, ``reg``.
        seed (int): Seed of initialisation. (default: ``0``)
    """

    name = "graphsage"
    Params = GraphSAGEParams
    supports_inductive = True
    inductive_is_approximate = True
    default_train = TrainDefaults(epochs=30, lr=0.002, batch_size=2048, num_negatives=1)
    inference_messages: int = 1 << 18  # most edges whose messages inference holds at once: 64 MiB at d = 64
    search_space = {
        "lr": Range(1e-4, 1e-2, log=True),
        "batch_size": Choices((512, 1024, 2048, 4096)),
        "reg": Range(1e-6, 1e-1, log=True),
        "num_layers": Range(1, 3),
        "fanout": Range(5, 25),
    }

    def __init__(self, graph: InteractionGraph, dim: int, params: GraphSAGEParams, seed: int = 0) -> None:
        super().__init__(graph, dim, params, seed)
        users, items = torch.from_numpy(user_features(graph)), torch.from_numpy(item_features(graph))
        self.register_buffer("user_x", users, persistent=False)  # (U, F')
        self.register_buffer("item_x", items, persistent=False)  # (I, F)
        with torch.random.fork_rng(devices=[]):  # torch.nn layers draw from the global generator: seed it locally
            torch.manual_seed(seed)
            self.user_proj = torch.nn.Linear(users.shape[1], dim)
            self.item_proj = torch.nn.Linear(items.shape[1], dim)
            self.convs = torch.nn.ModuleList(SAGEConv(dim, dim) for _ in range(params.num_layers))
        if params.id_embeddings:
            # Sparse: a step updates the rows of its blocks' nodes only; the L2 penalty stays on the batch's outputs.
            self.id_emb = free_table(graph.num_nodes, dim, 0.1, self.generator(), sparse=True)
        # Inference's graph, both directions, sorted by destination: a CSR over destinations, cut into chunks.
        user = torch.from_numpy(graph.user)
        item = torch.from_numpy(graph.item) + graph.num_users
        src, dst = torch.cat([item, user]), torch.cat([user, item])  # (2E,), (2E,)
        order = torch.argsort(dst, stable=True)
        indptr = torch.zeros(graph.num_nodes + 1, dtype=torch.long)
        indptr[1:] = torch.bincount(dst, minlength=graph.num_nodes).cumsum(0)
        self.register_buffer("edge_src", src[order], persistent=False)  # (2E,) source of each edge, by destination
        self.register_buffer("dst_indptr", indptr, persistent=False)  # (U + I + 1,)

    @classmethod
    def sampling(cls, params: GraphSAGEParams) -> FanoutSpec:
        return FanoutSpec((params.fanout,) * params.num_layers)

    def _inputs(self, nodes: Tensor) -> Tensor:
        """Layer-0 vectors ``(N, d)`` of global ids ``nodes``."""
        is_user = nodes < self.num_users  # (N,)
        x = torch.empty(len(nodes), self.dim, device=self.device)
        x[is_user] = self.user_proj(self.user_x[nodes[is_user]])
        x[~is_user] = self.item_proj(self.item_x[nodes[~is_user] - self.num_users])
        return x + self.id_emb(nodes) if self.params.id_embeddings else x

    def _layer(self, index: int, x: tuple[Tensor, Tensor], edge_index: Tensor) -> Tensor:
        out = self.convs[index](x, edge_index)
        return out if index == len(self.convs) - 1 else F.relu(out)

    def embeddings(self) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            out = self._full_layers()[-1]  # (U + I, d)
        return out[: self.num_users].clone(), out[self.num_users :].clone()

    def _full_layers(self) -> list[Tensor]:
        """Every node's output at every layer ``[x_0, ..., x_L]``, each ``(U + I, d)``, over all neighbors.

        Layer by layer in chunks of destinations holding at most ``inference_messages`` edges (one hub may hold more),
        so the messages in memory at once are ``(inference_messages, d)``, not ``(2E, d)``: peak memory follows the
        nodes, not the edges. The mean of each destination is the same as over the whole edge list at once.
        """
        num_nodes = self.num_users + self.num_items
        layers = [self._inputs(torch.arange(num_nodes, device=self.device))]
        for index in range(len(self.convs)):
            x, out = layers[-1], None
            for start, end in self._chunks():
                first, last = int(self.dst_indptr[start]), int(self.dst_indptr[end])
                degree = self.dst_indptr[start + 1 : end + 1] - self.dst_indptr[start:end]  # (end - start,)
                dst = torch.repeat_interleave(torch.arange(end - start, device=self.device), degree)  # local ids
                part = self._layer(index, (x, x[start:end]), torch.stack([self.edge_src[first:last], dst]))
                out = x.new_empty(num_nodes, part.shape[1]) if out is None else out
                out[start:end] = part  # (end - start, d)
            layers.append(out)
        return layers

    def _chunks(self) -> list[tuple[int, int]]:
        """``[(start, end), ...]`` consecutive destination ranges covering every node, each holding at most
        ``inference_messages`` edges unless it is one node with more."""
        indptr, chunks, start = self.dst_indptr.cpu(), [], 0
        while start < len(indptr) - 1:
            end = int(torch.searchsorted(indptr, indptr[start] + self.inference_messages, right=True)) - 1
            chunks.append((start, max(end, start + 1)))
            start = chunks[-1][1]
        return chunks

    def loss(self, batch: LinkBatch) -> Tensor:
        flow = batch.blocks
        if flow is None or len(flow.num_dst) != len(self.convs):
            layers = None if flow is None else len(flow.num_dst)
            raise ValueError(
                f"'{type(self).__name__}' needs {len(self.convs)} message-flow blocks in its batch (got {layers}); "
                f"build batches with LinkBatchLoader(sampling={type(self).__name__}.sampling(params))"
            )
        x = self._inputs(flow.nodes)  # (S, d)
        for index, (num_dst, edge_index) in enumerate(zip(flow.num_dst, flow.edge_index, strict=True)):
            x = self._layer(index, (x, x[:num_dst]), edge_index)  # (num_dst, d)
        out = x[flow.seed_rows]  # (B + B + B n, d): users, positives, negatives
        size = len(batch.users)
        u, p = out[:size], out[size : 2 * size]  # (B, d), (B, d)
        n = out[2 * size :].reshape(size, -1, self.dim)  # (B, n, d)
        return bpr_loss((u * p).sum(-1), torch.einsum("bd,bnd->bn", u, n)) + self.params.reg * l2_penalty(u, p, n)

    def embed_new_user(self, items: Sequence[int] | np.ndarray) -> Tensor:
        items = self._new_user_items(items) + self.num_users
        with torch.no_grad():
            layers = self._full_layers()
            user = self.user_proj(self.user_x.mean(0, keepdim=True))  # (1, d)
            if self.params.id_embeddings:
                user = user + self.id_emb.weight[: self.num_users].mean(0, keepdim=True)
            edge_index = torch.stack([torch.arange(len(items)), torch.zeros(len(items), dtype=torch.long)])
            edge_index = edge_index.to(self.device)  # (2, n): every chosen item sends to the new user
            for index in range(len(self.convs)):
                user = self._layer(index, (layers[index][items], user), edge_index)  # (1, d)
            return user[0]
