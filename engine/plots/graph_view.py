"""Interactive drawings of what the fanout sampler gave the model for one node (pyvis / vis-network, all in-line).

The page around the drawing, and the security rules it follows, are in :mod:`engine.plots.graph_page`; the
random-walk drawing is :func:`engine.plots.walk_view.random_walk_view`.
"""

from __future__ import annotations

import numpy as np
from pyvis.network import Network

from engine import InteractionGraph
from engine.analysis.replay import ReplayedBatch
from engine.plots.graph_page import GraphView, new_network, node_tooltip, render, short_label
from engine.plots.walk_view import random_walk_view
from engine.sampling import FanoutSample

__all__ = ["LAYOUTS", "GraphView", "fanout_view", "radial_positions", "random_walk_view", "replay_view"]

HOP_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")
TYPE_SHAPES = {"user": "dot", "item": "square"}
TYPE_BORDERS = {"user": "#08306b", "item": "#7f2704"}
GHOST_COLOUR = "rgba(150,150,150,0.35)"
MAX_GHOST_EDGES = 300  # unsampled edges drawn in all; the rest are counted in the note
MAX_GHOST_PER_NODE = 12  # unsampled edges drawn per expanded node, so one hub cannot take them all
# "radial": positions computed here (a ring around the centre, each node near the node it was reached from), drawn at
# once — fanout samples are trees, so this reads well; "physics": vis.js lays the graph out unseen and shows it once
# its simulation settles (a blank frame of ~0.4 s meanwhile), kept as the peer the paint benchmark measures.
LAYOUTS = ("radial", "physics")
RING_GAP = 160.0  # least radius of the centre's ring, in vis.js units (fit() scales the drawing to the frame)
NODE_SPACING = 30.0  # arc length between neighboring nodes of one flower
FLOWER_RADIUS = 70.0  # least distance from a node to the nodes it reached
FLOWER_ARC = 1.4 * np.pi  # angle a flower spreads over, facing away from where its node was reached from


def fanout_view(graph: InteractionGraph, sample: FanoutSample, height: int = 560, layout: str = "radial") -> GraphView:
    """Draw a :class:`FanoutSample` of one seed: nodes by hop and type, sampled edges solid, the rest ghosted.

    Args:
        graph (InteractionGraph): The graph the sample was drawn from.
        sample (FanoutSample): Output of ``FanoutSampler.sample`` for one seed.
        height (int): Least canvas height, see :func:`engine.plots.graph_page.render`. (default: ``560``)
        layout (str): One of :data:`LAYOUTS`. (default: ``"radial"``, drawn at once)
    """
    degree = graph.csr.degree()
    net = new_network(height)
    drawn = set(sample.nodes.tolist())
    num_hops = len(sample.hop_counts)
    for node, hop in zip(sample.nodes.tolist(), sample.node_hop.tolist(), strict=True):
        _add_node(net, graph, node, hop, int(degree[node]), extra=f"hop: {hop}")
    pairs, multiplicity = np.unique(np.stack([sample.edge_src, sample.edge_dst]), axis=1, return_counts=True)
    hop_of = dict(zip(sample.nodes.tolist(), sample.node_hop.tolist(), strict=True))
    for (src, dst), times in zip(pairs.T.tolist(), multiplicity.tolist(), strict=True):
        hop = hop_of[dst] + 1
        title = f"sampled at hop {hop}" + (f", drawn {times} times (with replacement)" if times > 1 else "")
        net.add_edge(src, dst, color=HOP_COLOURS[min(hop, len(HOP_COLOURS) - 1)], width=1 + times, title=title)
    expanded = sample.nodes[sample.node_hop < num_hops]
    ghost_drawn, hidden = _ghost_edges(net, graph, expanded, pairs, drawn, degree)
    notes = [
        f"Hop {h + 1}: sampled {count} of {true} edges of the expanded nodes ({_share(count, true)})."
        for h, (count, true) in enumerate(zip(sample.hop_counts, sample.hop_degrees, strict=True))
    ]
    if hidden:
        notes.append(
            f"{hidden} more existing-but-unsampled edges are hidden "
            f"(drawing capped at {MAX_GHOST_PER_NODE} per node, {MAX_GHOST_EDGES} in all)."
        )
    if layout not in LAYOUTS:
        raise ValueError(f"'layout' must be one of {', '.join(LAYOUTS)} (got {layout!r})")
    if layout != "physics":
        for node, (x, y) in zip(net.nodes, radial_positions(net), strict=True):
            node.update(x=float(x), y=float(y))
    legend = [("★ centre", HOP_COLOURS[0])]
    legend += [(f"hop {h}", HOP_COLOURS[h]) for h in range(1, min(num_hops, len(HOP_COLOURS) - 1) + 1)]
    legend += [("● user", ""), ("■ item", ""), ("— sampled edge", ""), ("- - existing edge, not sampled", "")]
    counts = (pairs.shape[1], ghost_drawn, hidden)
    return render(net, graph, legend=legend, notes=notes, counts=counts, height=height, layout=layout)


def replay_view(graph: InteractionGraph, batch: ReplayedBatch, height: int = 560) -> GraphView:
    """Draw what a replayed GraphSAGE batch fed one node (:func:`engine.analysis.replay.replay`), as a fanout sample
    of that node: the same drawing, hop colours and ghosted unsampled edges as a fresh draw."""
    num_hops = int(batch.edge_hop.max(initial=0))
    degree = graph.csr.degree()
    sample = FanoutSample(
        seeds=batch.nodes[:1],
        nodes=batch.nodes,
        node_hop=batch.node_hop,
        node_type=(batch.nodes >= graph.num_users).astype(np.int8),
        edge_src=batch.edge_src,
        edge_dst=batch.edge_dst,
        edge_hop=batch.edge_hop,
        hop_counts=[int((batch.edge_hop == hop).sum()) for hop in range(1, num_hops + 1)],
        hop_degrees=[int(degree[batch.nodes[batch.node_hop == hop - 1]].sum()) for hop in range(1, num_hops + 1)],
        blocks=[],
    )
    return fanout_view(graph, sample, height)


def radial_positions(net: Network) -> np.ndarray:
    """``(N, 2)`` positions of ``net.nodes`` (first node: the centre) from a breadth-first tree of the drawn edges.

    The centre's neighbors sit on a ring around it; every other node sits on an arc around the node it was first
    reached from, facing away from that node's own parent, with an arc radius that grows with the number of nodes
    on it so they do not overlap — the "flowers" a force layout settles into, computed in one pass. The ring is as
    large as the flowers around it need. Nodes the drawn edges do not connect to the centre go on an outer ring.
    """
    ids = [node["id"] for node in net.nodes]
    if not ids:
        return np.zeros((0, 2))
    index = {node: position for position, node in enumerate(ids)}
    neighbors: list[list[int]] = [[] for _ in ids]
    for edge in net.edges:
        a, b = index[edge["from"]], index[edge["to"]]
        neighbors[a].append(b)
        neighbors[b].append(a)
    parent = np.full(len(ids), -1)
    children: list[list[int]] = [[] for _ in ids]
    order, seen = [0], {0}
    for current in order:  # breadth-first: ``order`` grows while it is read
        for other in neighbors[current]:
            if other not in seen:
                seen.add(other)
                parent[other] = current
                children[current].append(other)
                order.append(other)
    # How far each node's flower reaches: its own arc radius plus the reach of its largest child's flower.
    arc = np.zeros(len(ids))
    reach = np.zeros(len(ids))
    for current in reversed(order):
        if children[current]:
            arc[current] = max(FLOWER_RADIUS, len(children[current]) * NODE_SPACING / FLOWER_ARC)
            reach[current] = arc[current] + max(reach[child] for child in children[current])
    positions = np.zeros((len(ids), 2))
    ring = children[0]
    if ring:
        # Each node of the ring gets the room its flower needs: a leaf one spacing, a flower its width.
        room = np.array([2 * reach[child] + NODE_SPACING for child in ring])
        ring_radius = max(RING_GAP, room.sum() / (2 * np.pi))
        angles = 2 * np.pi * (np.cumsum(room) - room / 2) / room.sum()
        for child, angle in zip(ring, angles.tolist(), strict=True):
            positions[child] = ring_radius * np.array([np.cos(angle), np.sin(angle)])
    for current in order[1:]:
        kids = children[current]
        if not kids:
            continue
        outward = positions[current] - positions[parent[current]]
        facing = np.arctan2(outward[1], outward[0])
        angles = facing + FLOWER_ARC * (np.arange(len(kids)) + 0.5 - len(kids) / 2) / max(len(kids), 1)
        for child, angle in zip(kids, angles.tolist(), strict=True):
            positions[child] = positions[current] + arc[current] * np.array([np.cos(angle), np.sin(angle)])
    stray = [position for position in range(len(ids)) if position not in seen]
    if stray:
        outer = np.abs(positions).max() + RING_GAP
        angles = np.linspace(0, 2 * np.pi, len(stray), endpoint=False)
        positions[stray] = outer * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return positions


def _add_node(net: Network, graph: InteractionGraph, node: int, hop: int, degree: int, *, extra: str) -> None:
    """A sampled node: coloured by hop, shaped by type, labelled at the centre and hop 1."""
    kind = graph.node_type(node)
    centre = hop == 0
    net.add_node(
        node,
        label=short_label(graph, node) if hop <= 1 else " ",
        title=node_tooltip(graph, node, degree, ("CENTRE\n" if centre else "") + extra),
        shape="star" if centre else TYPE_SHAPES[kind],
        color={"background": HOP_COLOURS[min(hop, len(HOP_COLOURS) - 1)], "border": TYPE_BORDERS[kind]},
        borderWidth=4 if centre else 1,
        size=30.0 if centre else 12.0,
    )


def _ghost_edges(
    net: Network,
    graph: InteractionGraph,
    expanded: np.ndarray,
    sampled_pairs: np.ndarray,
    drawn: set[int],
    degree: np.ndarray,
) -> tuple[int, int]:
    """Add unsampled existing edges of the expanded nodes, capped; returns (drawn, hidden)."""
    sampled = {(int(a), int(b)) for a, b in sampled_pairs.T.tolist()}
    sampled |= {(b, a) for a, b in sampled}
    csr = graph.csr
    total = drawn_count = 0
    seen: set[tuple[int, int]] = set()
    for node in expanded.tolist():
        neighbors = csr.neighbors(node)
        in_drawing = np.isin(neighbors, list(drawn))
        # Edges to nodes already drawn come first: they show structure without adding nodes.
        ordered = np.concatenate([neighbors[in_drawing], neighbors[~in_drawing]])
        per_node = 0
        for other in ordered.astype(np.int64).tolist():
            pair = (min(node, other), max(node, other))
            if (node, other) in sampled or pair in seen:
                continue
            seen.add(pair)
            total += 1
            if per_node >= MAX_GHOST_PER_NODE or drawn_count >= MAX_GHOST_EDGES:
                continue
            if other not in drawn:
                net.add_node(
                    other,
                    label=" ",
                    title=node_tooltip(graph, other, int(degree[other]), "not sampled"),
                    shape=TYPE_SHAPES[graph.node_type(other)],
                    color=GHOST_COLOUR,
                    size=6,
                )
                drawn.add(other)
            net.add_edge(node, other, color=GHOST_COLOUR, dashes=True, width=1, title="exists, not sampled")
            per_node += 1
            drawn_count += 1
    return drawn_count, total - drawn_count


def _share(count: int, true: int) -> str:
    return f"{100 * count / true:.0f}%" if true else "no edges"
