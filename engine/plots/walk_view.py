"""The random-walk (PinSage) neighborhood of one node, drawn as the ranked importance list it is.

PinSage (Ying et al., KDD 2018) keeps, for each node, the ``T`` same-type nodes its random walks visit most, weighted
by visit count: an importance list, not a subgraph. The drawing puts that list first: the top-T sit in two columns
beside the centre, rank 1 on the right at the centre's height, rank 2 on the left, then outwards — the more visited,
the nearer the centre — each sized by its visits and labelled with its rank and title (the full title on hover).
The other-type nodes the walks passed through (users, from an item) are small and faded between them, with the
edges the walks took; hovering a node highlights its walks.
"""

from __future__ import annotations

import numpy as np

from engine import InteractionGraph
from engine.plots.graph_page import GraphView, new_network, node_tooltip, render, short_label
from engine.sampling import RandomWalkNeighbors

MAX_WALK_NODES = 60  # nodes drawn in all: the centre, the top-T, then the most walked-through other-type nodes
ROW = 64.0  # vertical distance between two top-T rows, in vis.js units: a node of the largest size and a label
RANK_X = 235.0  # distance of rank 1 and 2 from the centre: their labels clear the centre's
SLOPE = 0.15  # each row further from the centre's height sits this many units further out per unit of height
PASSER_X = 70.0  # how far from the centre's column the walked-through nodes sit, at most
TITLE_CHARS = 18  # a top-T label's title, cut with an ellipsis (the full title is in the tooltip)
CENTRE_CHARS = 14  # the centre's label, kept short so rank 1 and 2 can sit close beside it
CENTRE, TOP, PASSER = "#d62728", "#ff7f0e", "rgba(120,120,120,0.45)"
WALKED = {"color": "rgba(120,120,120,0.3)", "hover": "#ff7f0e", "highlight": "#d62728"}


def ranked_positions(count: int) -> np.ndarray:
    """``(count, 2)`` positions of ranks 1..count around a centre at the origin.

    Odd ranks go right, even ranks left; on each side the rows fill from the centre's height outwards (0, above,
    below, two above, …), and each row sits further out the further it is from the centre's height, so distance
    from the centre grows with rank. Rows are :data:`ROW` apart, so a label never reaches the next row's node.
    """
    index = np.arange(count)
    side = np.where(index % 2 == 0, 1.0, -1.0)
    slot = index // 2
    row = (slot + 1) // 2 * np.where(slot % 2 == 1, -1, 1)
    return np.stack([side * (RANK_X + SLOPE * ROW * np.abs(row)), ROW * row], axis=1).astype(float)


def random_walk_view(
    graph: InteractionGraph,
    walks: RandomWalkNeighbors,
    height: int = 560,
    max_nodes: int = MAX_WALK_NODES,
    restart_prob: float | None = None,
) -> GraphView:
    """Draw the top-T neighborhood of one seed and the walks behind it (``walks`` sampled with traces).

    Args:
        graph (InteractionGraph): The graph walked.
        walks (RandomWalkNeighbors): Output of ``RandomWalkSampler.sample(..., return_traces=True)``.
        height (int): Least canvas height, see :func:`engine.plots.graph_page.render`. (default: ``560``)
        max_nodes (int): Most nodes drawn; the top-T are always drawn, the least walked-through other nodes are
            left out with a note. (default: :data:`MAX_WALK_NODES`)
        restart_prob (float, optional): The sampler's restart probability, for the note. (default: ``None``)
    """
    if walks.traces is None:
        raise ValueError("random_walk_view needs walk traces: sample with return_traces=True")
    degree = graph.csr.degree()
    seed = int(walks.seeds[0])
    traces = walks.traces[0]  # (num_walks, 2 * walk_length + 1)
    valid = walks.neighbors[0] >= 0
    top = walks.neighbors[0][valid].tolist()
    counts, weights = walks.visit_counts[0][valid].tolist(), walks.weights[0][valid].tolist()
    passers, passes = np.unique(traces[:, 1::2][traces[:, 1::2] >= 0], return_counts=True)  # other-type nodes
    order = np.argsort(-passes, kind="stable")[: max(0, max_nodes - 1 - len(top))]
    drawn_passers = dict(zip(passers[order].tolist(), passes[order].tolist(), strict=True))
    steps = np.stack([traces[:, :-1], traces[:, 1:]], axis=-1).reshape(-1, 2)  # (num_walks * 2L, 2)
    kept = {seed, *top, *drawn_passers}
    steps = steps[(steps >= 0).all(axis=1) & (steps[:, 0] != steps[:, 1]) & np.isin(steps, list(kept)).all(axis=1)]
    pairs, times = np.unique(np.sort(steps, axis=1), axis=0, return_counts=True) if len(steps) else ([], [])

    net = new_network(height)
    kind, other = graph.node_type(seed), "item" if graph.node_type(seed) == "user" else "user"
    net.add_node(
        seed,
        label=short_label(graph, seed, CENTRE_CHARS),
        title=node_tooltip(graph, seed, int(degree[seed]), f"CENTRE: {len(traces)} walks start here"),
        shape="star",
        color={"background": CENTRE, "border": "#67000d"},
        size=26.0,
        x=0.0,
        y=0.0,
    )
    most = max(counts, default=1)
    for rank, (node, count, weight, (x, y)) in enumerate(
        zip(top, counts, weights, ranked_positions(len(top)), strict=True), start=1
    ):
        net.add_node(
            node,
            label=f"{rank}. {short_label(graph, node, TITLE_CHARS)}",
            title=node_tooltip(
                graph, node, int(degree[node]), f"rank {rank} of top-{len(top)}: {count} visits, weight {weight:.3f}"
            ),
            shape="square" if kind == "item" else "dot",
            color={"background": TOP, "border": "#7f2704"},
            borderWidth=2,
            size=float(8 + 10 * np.sqrt(count / most)),
            x=float(x),
            y=float(y),
        )
    place = {seed: (0.0, 0.0)} | {node["id"]: (node["x"], node["y"]) for node in net.nodes}
    for node, (x, y) in zip(drawn_passers, _passer_positions(drawn_passers, pairs, place), strict=True):
        net.add_node(
            node,
            label=" ",
            title=node_tooltip(
                graph, node, int(degree[node]), f"the walks passed through it {drawn_passers[node]} times"
            ),
            shape="dot" if other == "user" else "square",
            color={"background": PASSER, "border": PASSER},
            size=4.0,
            x=float(x),
            y=float(y),
        )
    for (a, b), count in zip(np.asarray(pairs).tolist(), list(times), strict=True):
        net.add_edge(int(a), int(b), color=WALKED, width=float(1 + np.log2(count)), title=f"walked {count} times")

    same_visited = len(np.unique(traces[:, 2::2][(traces[:, 2::2] >= 0) & (traces[:, 2::2] != seed)]))
    restart = (
        f"each walk restarts at the centre with probability {restart_prob:g} after every step"
        if restart_prob is not None
        else "a walk may restart at the centre early"
    )
    notes = [
        f"Top-{len(top)} of the {same_visited} {kind}s that {len(traces)} walks visited: the more visits, the nearer "
        f"the centre and the larger. A walk takes up to {traces.shape[1] // 2} steps {kind} → {other} → {kind}; "
        f"{restart}."
    ]
    if len(passers) > len(drawn_passers):
        notes.append(
            f"{len(passers) - len(drawn_passers)} more {other}s the walks passed through are not drawn "
            f"(drawing capped at {max_nodes} nodes; the most walked-through are kept)."
        )
    legend = [
        ("★ centre", CENTRE),
        (f"top-T {kind}: rank. title, size = visits", TOP),
        (f"{other}s the walks passed through", PASSER),
        ("— walked edge (hover a node to highlight its walks)", ""),
    ]
    options = {"interaction": {"hover": True, "tooltipDelay": 120, "hoverConnectedEdges": True}}
    return render(
        net,
        graph,
        legend=legend,
        notes=notes,
        counts=(len(pairs), 0, 0),
        height=height,
        layout="ranked",
        options=options,
    )


def _passer_positions(passers: dict[int, int], pairs, place: dict[int, tuple[float, float]]) -> np.ndarray:
    """``(P, 2)`` positions of the walked-through nodes: in the band between the centre and the two columns,
    each beside the mean height of the drawn nodes it was walked to, spread evenly so none sits on another."""
    if not passers:
        return np.zeros((0, 2))
    linked: dict[int, list[tuple[float, float]]] = {node: [] for node in passers}
    for a, b in np.asarray(pairs).tolist():
        for passer, end in ((a, b), (b, a)):
            if passer in linked and end in place:
                linked[passer].append(place[end])
    heights = np.array([np.mean([y for _, y in linked[n]]) if linked[n] else 0.0 for n in passers])
    sides = np.array([np.sign(np.mean([x for x, _ in linked[n]])) if linked[n] else 0.0 for n in passers])
    sides[sides == 0] = np.where(np.arange((sides == 0).sum()) % 2 == 0, 1.0, -1.0)
    reach = max((abs(y) for _, y in place.values()), default=0.0) or ROW
    positions = np.zeros((len(passers), 2))
    for side in (-1.0, 1.0):
        members = np.flatnonzero(sides == side)
        if not len(members):
            continue
        members = members[np.argsort(heights[members], kind="stable")]
        y = np.linspace(-reach, reach, len(members) + 2)[1:-1]
        positions[members, 1] = y
        positions[members, 0] = side * (PASSER_X * np.sqrt(np.clip(1 - (y / (reach * 1.15)) ** 2, 0, 1)) + 30)
    return positions
