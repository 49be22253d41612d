"""Our fanout sampler behind PyG's sampler interface, so PyG's own loaders build batches without pyg-lib.

PyG's ``NodeLoader`` and ``LinkLoader`` (the classes under ``NeighborLoader`` and ``LinkNeighborLoader``) accept any
:class:`torch_geometric.sampler.BaseSampler`. :class:`FanoutPygSampler` draws with :class:`FanoutSampler` and returns
PyG's :class:`~torch_geometric.sampler.SamplerOutput` (or :class:`~torch_geometric.sampler.HeteroSamplerOutput`), so
the loader's own code attaches ``n_id``, ``e_id``, ``num_sampled_nodes``, ``num_sampled_edges``, ``batch_size``,
``input_id``, ``edge_label_index`` and ``edge_label`` exactly as it does for its ``NeighborSampler``. Link batches go
through PyG's own ``edge_sample`` (negative sampling, seed de-duplication, label indices).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import torch
from torch_geometric.data import Data, HeteroData
from torch_geometric.sampler import (
    BaseSampler,
    EdgeSamplerInput,
    HeteroSamplerOutput,
    NegativeSampling,
    NodeSamplerInput,
    SamplerOutput,
)
from torch_geometric.sampler.neighbor_sampler import edge_sample, node_sample

from engine.graph import InteractionGraph
from engine.sampling.fanout import FanoutSample, FanoutSampler


class FanoutPygSampler(BaseSampler):
    """:class:`FanoutSampler` (GraphSAGE, arXiv 1706.02216) as a PyG ``BaseSampler`` over a user–item graph.

    Hop ``h`` expands the nodes first reached at hop ``h - 1`` and draws ``num_neighbors[h]`` of each one's neighbors
    (``-1``: all), as PyG's ``NeighborSampler`` does; messages flow from the drawn neighbor (``edge_index[0]``) to the
    expanded node (``edge_index[1]``). Each call draws a fresh seed from ``torch``'s generator, so
    ``torch.manual_seed`` makes a loader's batches reproducible.

    Args:
        data (Data | HeteroData): The graph. A ``Data`` holds users as nodes ``[0, num_users)`` and items after them,
            with ``edge_index`` holding every user–item edge in both directions; a ``HeteroData`` holds two node
            types and an edge type each way between them (as ``T.ToUndirected()`` makes).
        num_neighbors (Sequence[int]): Neighbors drawn per expanded node at each hop, e.g. ``[10, 5]``.
        num_users (int, optional): Users of a homogeneous ``data``; required for a ``Data``. (default: ``None``)
        replace (bool): Draw with replacement. (default: ``False``)
        exclude_target_edges (bool): Leave a link batch's own input edges out of every hop, in both directions, so
            no supervision edge is also a message-passing edge of its batch. (default: ``False``, as PyG)
    """

    def __init__(
        self,
        data: Data | HeteroData,
        num_neighbors: Sequence[int],
        num_users: int | None = None,
        replace: bool = False,
        exclude_target_edges: bool = False,
    ) -> None:
        name = type(self).__name__
        if isinstance(data, HeteroData):
            self.types = _bipartite_types(data, name)
            user_type, forward, item_type, backward = self.types
            num_users, num_items = data[user_type].num_nodes, data[item_type].num_nodes
            user, item = data[forward].edge_index.numpy()
            self._edge_ids = {  # (src, dst) global keys -> column of its edge type's edge_index
                forward: _edge_lookup(user, item + num_users, num_users + num_items),
                backward: _edge_lookup(
                    data[backward].edge_index[0].numpy() + num_users,
                    data[backward].edge_index[1].numpy(),
                    num_users + num_items,
                ),
            }
        elif isinstance(data, Data):
            if num_users is None or isinstance(num_users, bool) or not 0 < int(num_users) < data.num_nodes:
                raise ValueError(
                    f"'num_users' must say how many of the {data.num_nodes} nodes of a homogeneous Data are users "
                    f"(nodes [0, num_users) users, the rest items) for '{name}' (got {num_users!r})"
                )
            self.types = None
            num_users, num_items = int(num_users), data.num_nodes - int(num_users)
            src, dst = data.edge_index.numpy()
            forward = (src < num_users) & (dst >= num_users)
            if not (forward | ((src >= num_users) & (dst < num_users))).all():
                raise ValueError(
                    f"'{name}' samples a user–item graph: every edge of data.edge_index must join a user "
                    f"(id < {num_users}) and an item (got {int((~forward).sum())} user–user or item–item edges)"
                )
            user, item = src[forward], dst[forward]
            self._edge_ids = {None: _edge_lookup(src, dst, data.num_nodes)}
        else:
            raise TypeError(f"'{name}' samples a torch_geometric Data or HeteroData (got {type(data).__name__})")
        if np.unique(user * (num_users + num_items) + item).size != user.size:
            raise ValueError(f"'{name}' needs each user–item edge once per direction (data has repeated edges)")
        self.num_users, self.num_items = num_users, num_items
        self.graph = InteractionGraph(user, item - (num_users if self.types is None else 0), num_users, num_items)
        if self.types is None:
            backward_count = int((src >= num_users).sum())
        else:
            backward_count = data[self.types[3]].num_edges
        if backward_count != user.size:
            raise ValueError(
                f"'{name}' samples an undirected user–item graph: data must hold every edge in both directions "
                f"(got {user.size} user->item and {backward_count} item->user edges; apply T.ToUndirected())"
            )
        self.sampler = FanoutSampler(self.graph, num_neighbors, replace=replace)
        self.exclude_target_edges = bool(exclude_target_edges)

    @property
    def num_neighbors(self) -> list[int]:
        return list(self.sampler.fanouts)

    def sample_from_nodes(self, index: NodeSamplerInput, **kwargs) -> SamplerOutput | HeteroSamplerOutput:
        self._check_input(index.time, index.input_type)
        return node_sample(index, self._sample)

    def sample_from_edges(
        self, index: EdgeSamplerInput, neg_sampling: NegativeSampling | None = None
    ) -> SamplerOutput | HeteroSamplerOutput:
        self._check_input(index.time, index.input_type)
        exclude = None
        if self.exclude_target_edges:
            src, dst = index.row.numpy(), index.col.numpy()
            if self.types is None:  # global ids, either direction
                src, dst = np.minimum(src, dst), np.maximum(src, dst) - self.num_users
            elif index.input_type == self.types[3]:  # item -> user
                src, dst = dst, src
            exclude = self._graph_edges(src, dst)
        num_nodes = self.num_users + self.num_items
        if self.types is not None:
            num_nodes = {self.types[0]: self.num_users, self.types[2]: self.num_items}
        return edge_sample(index, partial(self._sample, exclude=exclude), num_nodes, False, None, neg_sampling)

    def _check_input(self, time, input_type) -> None:
        name = type(self).__name__
        if time is not None:
            raise ValueError(f"'{name}' does not sample in time: drop 'time_attr' / 'input_time' from the loader")
        if self.types is not None and input_type not in (self.types[0], self.types[2], self.types[1], self.types[3]):
            raise ValueError(f"'{name}' samples {self.types[0]!r} and {self.types[2]!r} nodes (got {input_type!r})")

    def _graph_edges(self, user: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Edge ids of :attr:`graph` of the (user, item) pairs that are edges; other pairs are skipped."""
        keys = self.graph.user * self.num_items + self.graph.item  # (E,) sorted
        wanted = user.astype(np.int64) * self.num_items + item.astype(np.int64)
        position = np.clip(np.searchsorted(keys, wanted), 0, max(keys.size - 1, 0))
        return position[keys[position] == wanted] if keys.size else np.empty(0, dtype=np.int64)

    def _sample(self, seed, seed_time, exclude: np.ndarray | None = None) -> SamplerOutput | HeteroSamplerOutput:
        """PyG's ``sample_fn``: ``seed`` is a tensor of node ids, or ``{node type: tensor}`` for a HeteroData."""
        if isinstance(seed, dict):
            parts = [seed.get(self.types[0], torch.empty(0, dtype=torch.long))]
            parts.append(seed.get(self.types[2], torch.empty(0, dtype=torch.long)) + self.num_users)
            seeds = torch.cat(parts).numpy()
        else:
            seeds = seed.numpy()
        if np.unique(seeds).size != seeds.size:
            raise ValueError(
                f"'{type(self).__name__}' samples distinct seeds; the loader gave repeated ones (use disjoint=False "
                "and distinct input nodes)"
            )
        random_seed = int(torch.randint(0, 2**62, (1,)).item())
        sample = self.sampler.sample(seeds.astype(np.int64), seed=random_seed, exclude_edges=exclude)
        return self._output(sample) if self.types is None else self._hetero_output(sample)

    def _output(self, sample: FanoutSample) -> SamplerOutput:
        local = {int(node): position for position, node in enumerate(sample.nodes.tolist())}
        row = np.fromiter((local[n] for n in sample.edge_src.tolist()), np.int64, sample.edge_src.size)
        col = np.fromiter((local[n] for n in sample.edge_dst.tolist()), np.int64, sample.edge_dst.size)
        edge = self._edge_ids[None](sample.edge_src, sample.edge_dst)
        return SamplerOutput(
            node=torch.from_numpy(sample.nodes),
            row=torch.from_numpy(row),
            col=torch.from_numpy(col),
            edge=torch.from_numpy(edge),
            num_sampled_nodes=np.bincount(sample.node_hop, minlength=len(sample.hop_counts) + 1).tolist(),
            num_sampled_edges=list(sample.hop_counts),
        )

    def _hetero_output(self, sample: FanoutSample) -> HeteroSamplerOutput:
        user_type, forward, item_type, backward = self.types
        num_hops = len(sample.hop_counts)
        is_user = sample.nodes < self.num_users
        nodes, hops, local = {}, {}, np.empty(sample.nodes.size, dtype=np.int64)
        for node_type, mask, offset in ((user_type, is_user, 0), (item_type, ~is_user, self.num_users)):
            nodes[node_type] = torch.from_numpy(sample.nodes[mask] - offset)
            hops[node_type] = np.bincount(sample.node_hop[mask], minlength=num_hops + 1).tolist()
            local[mask] = np.arange(int(mask.sum()))
        position = {int(node): at for at, node in enumerate(sample.nodes.tolist())}
        src_at = np.fromiter((position[n] for n in sample.edge_src.tolist()), np.int64, sample.edge_src.size)
        dst_at = np.fromiter((position[n] for n in sample.edge_dst.tolist()), np.int64, sample.edge_dst.size)
        rows, cols, edges, counts = {}, {}, {}, {}
        into_item = sample.edge_dst >= self.num_users  # user -> item messages belong to the forward edge type
        for edge_type, mask in ((forward, into_item), (backward, ~into_item)):
            rows[edge_type] = torch.from_numpy(local[src_at[mask]])
            cols[edge_type] = torch.from_numpy(local[dst_at[mask]])
            edges[edge_type] = torch.from_numpy(self._edge_ids[edge_type](sample.edge_src[mask], sample.edge_dst[mask]))
            counts[edge_type] = np.bincount(sample.edge_hop[mask] - 1, minlength=num_hops).tolist()
        return HeteroSamplerOutput(
            node=nodes, row=rows, col=cols, edge=edges, num_sampled_nodes=hops, num_sampled_edges=counts
        )


def _bipartite_types(data: HeteroData, owner: str) -> tuple[str, tuple, str, tuple]:
    """``(user type, user->item edge type, item type, item->user edge type)`` of a two-type ``HeteroData``."""
    forward = next((edge_type for edge_type in data.edge_types if edge_type[0] != edge_type[2]), None)
    backward = None
    if forward is not None:
        backward = next((e for e in data.edge_types if (e[0], e[2]) == (forward[2], forward[0])), None)
    if len(data.node_types) != 2 or forward is None or backward is None or len(data.edge_types) != 2:
        raise ValueError(
            f"'{owner}' samples a HeteroData with two node types and one edge type each way between them, as "
            f"T.ToUndirected() makes (got node types {data.node_types} and edge types {data.edge_types})"
        )
    return forward[0], forward, forward[2], backward


def _edge_lookup(src: np.ndarray, dst: np.ndarray, num_nodes: int):
    """A function mapping ``(src, dst)`` global-id pairs to the columns of ``edge_index`` that hold them."""
    keys = src.astype(np.int64) * num_nodes + dst.astype(np.int64)  # (m,)
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]

    def columns(edge_src: np.ndarray, edge_dst: np.ndarray) -> np.ndarray:
        wanted = edge_src.astype(np.int64) * num_nodes + edge_dst.astype(np.int64)
        return order[np.searchsorted(sorted_keys, wanted)]

    return columns


def interaction_data(graph: InteractionGraph) -> Data:
    """``graph`` as the homogeneous PyG ``Data`` :class:`FanoutPygSampler` samples: nodes are its global ids (users,
    then items) and ``edge_index`` ``(2, 2E)`` holds every user->item edge, then every item->user edge."""
    user, item = torch.from_numpy(graph.user), torch.from_numpy(graph.item + graph.num_users)
    return Data(edge_index=torch.stack([torch.cat([user, item]), torch.cat([item, user])]), num_nodes=graph.num_nodes)
