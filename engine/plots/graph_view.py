"""Interactive drawings of what a sampler gave the model for one node (pyvis / vis-network, all in-line).

The drawing is built with pyvis and rendered through our own small template rather than pyvis's:
pyvis's template always links Bootstrap from a CDN (the page must work offline) and switches its
tooltips to ``innerHTML`` as soon as a title contains ``href`` (a dataset title could then run
script). Here node data reaches the page only as JSON through Jinja's ``tojson`` (which escapes
``<``, ``>``, ``&`` and quotes) and vis-network shows string tooltips with ``innerText``; every
other string in the page is HTML-escaped by Jinja's autoescape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import numpy as np
import pyvis
from pyvis.network import Network

from engine import InteractionGraph
from engine.sampling import FanoutSample, RandomWalkNeighbours
from engine.training.replay import ReplayedBatch

HOP_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")
TYPE_SHAPES = {"user": "dot", "item": "square"}
TYPE_BORDERS = {"user": "#08306b", "item": "#7f2704"}
GHOST_COLOUR = "rgba(150,150,150,0.35)"
MAX_GHOST_EDGES = 300  # unsampled edges drawn in all; the rest are counted in the note
MAX_GHOST_PER_NODE = 12  # unsampled edges drawn per expanded node, so one hub cannot take them all
MAX_WALK_NODES = 150  # nodes drawn from walk traces, most visited first
NODE_FONT_PX = 22  # label size before fit() scales the drawing to the frame
# "radial": positions computed here (a ring around the centre, each node near the node it was reached from), drawn at
# once — fanout samples are trees, so this reads well; "force": a force-directed layout computed here (networkx's
# Fruchterman-Reingold, started from the radial one), drawn at once — for random walks, whose graph is no tree and
# which a radial layout draws as one crowded ring; "physics": vis.js lays the graph out unseen and shows it once its
# simulation settles (a blank frame of ~0.4 s meanwhile), kept as the peer the paint benchmark measures.
LAYOUTS = ("radial", "force", "physics")
FORCE_ITERATIONS = 60  # Fruchterman-Reingold steps: ~0.1 s for a 300-node drawing
# Optimal distance between nodes as a multiple of networkx's default (1 / sqrt(N)): the top-T items are drawn large
# and sit at the dense centre, where the default spacing piles them and their labels on each other.
FORCE_SPACING = 2.5
RING_GAP = 160.0  # least radius of the centre's ring, in vis.js units (fit() scales the drawing to the frame)
NODE_SPACING = 30.0  # arc length between neighbouring nodes of one flower
FLOWER_RADIUS = 70.0  # least distance from a node to the nodes it reached
FLOWER_ARC = 1.4 * np.pi  # angle a flower spreads over, facing away from where its node was reached from
VIS_LIB = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"

TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>{{ vis_css | safe }}</style>
<script>{{ vis_js | safe }}</script>
<style>
 body { margin: 0; font-family: sans-serif; }
 #network { width: 100%; height: {{ height }}px; border: 1px solid #ddd; }
 .legend { font-size: 12px; padding: 4px 6px; color: #333; }
 .legend span { margin-right: 12px; white-space: nowrap; }
 .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: middle; }
 .vis-tooltip { white-space: pre-line; max-width: 360px; }
</style></head>
<body>
<div id="graph-meta" data-nodes="{{ num_nodes }}" data-sampled-edges="{{ num_sampled_edges }}"
     data-ghost-edges="{{ num_ghost_edges }}" data-hidden-edges="{{ hidden_edges }}"></div>
<div class="legend">{% for label, colour in hop_legend %}<span><i class="swatch" style="background:{{ colour }}"></i>
{{ label }}</span>{% endfor %}<span>● user</span><span>■ item</span>
<span>— sampled edge</span><span style="color:#aaa">— existing edge, not sampled</span></div>
{% for note in notes %}<div class="legend">{{ note }}</div>{% endfor %}
<div id="network"></div>
<script>
  var nodes = new vis.DataSet({{ nodes | tojson }});
  var edges = new vis.DataSet({{ edges | tojson }});
  var network = new vis.Network(document.getElementById("network"), {nodes: nodes, edges: edges},
                                {{ options | tojson }});
  // Fit once the layout has settled (and whenever the frame is resized, as Streamlit does after the first
  // paint), so the drawing fills and is centred in the canvas instead of keeping its mid-layout framing.
  // A precomputed layout is about a disc: stretch it to the frame's aspect, so a tall or wide frame is filled.
  function fill() {
    var canvas = document.querySelector("#network canvas").getBoundingClientRect();
    var positions = network.getPositions(), ids = Object.keys(positions);
    if (!ids.length || !canvas.width || !canvas.height) { return; }
    var xs = ids.map(function (id) { return positions[id].x; });
    var ys = ids.map(function (id) { return positions[id].y; });
    var width = Math.max.apply(null, xs) - Math.min.apply(null, xs) || 1;
    var height = Math.max.apply(null, ys) - Math.min.apply(null, ys) || 1;
    var stretch = (canvas.height / canvas.width) * (width / height);
    // One update of the data set redraws once; moveNode per node would redraw every edge for every node.
    nodes.update(ids.map(function (id) {
      return {id: nodes.get(id) ? id : Number(id), x: positions[id].x, y: positions[id].y * stretch};
    }));
  }
  var settled = false;
  function settle() {
    if (settled) { return; }
    settled = true;
    network.setOptions({physics: false});
    {% if layout != "physics" %}fill();{% endif %}
    network.fit({animation: false});
    document.getElementById("graph-meta").dataset.settled = "true";
  }
  network.once("afterDrawing", function () { document.getElementById("graph-meta").dataset.drawn = "true"; });
  {% if layout == "physics" %}network.once("stabilizationIterationsDone", settle);{% else %}settle();{% endif %}
  window.addEventListener("resize", function () {
    {% if layout != "physics" %}fill();{% endif %}
    network.fit({animation: false});
  });
</script>
</body></html>
"""


@dataclass
class GraphView:
    """A rendered neighborhood and the honest counts behind it.

    Args:
        html (str): A complete, self-contained HTML document (nothing fetched from the network).
        num_nodes (int): Nodes drawn.
        num_sampled_edges (int): Distinct sampled (or walked) edges drawn solid.
        num_ghost_edges (int): Existing but unsampled edges drawn ghosted.
        hidden_edges (int): Existing but unsampled edges not drawn because of the caps.
        notes (list[str]): Plain-text remarks shown above the drawing (caps, hidden counts).
    """

    html: str
    num_nodes: int
    num_sampled_edges: int
    num_ghost_edges: int
    hidden_edges: int
    notes: list[str] = field(default_factory=list)


def node_tooltip(graph: InteractionGraph, node: int, degree: int, extra: str = "") -> str:
    """Plain text shown on hover: name, title and genres for items, metadata for users, degree."""
    lines = [graph.node_name(node)]
    if node >= graph.num_users:
        item = node - graph.num_users
        lines.append(graph.item_title(item))
        if "genres" in graph.items.columns and isinstance(graph.items["genres"].iat[item], str):
            lines.append(f"genres: {graph.items['genres'].iat[item]}")
    else:
        for column in ("age", "gender", "occupation", "taste_group"):
            if column in graph.users.columns:
                lines.append(f"{column}: {graph.users[column].iat[node]}")
    lines.append(f"degree: {degree}")
    if extra:
        lines.append(extra)
    return "\n".join(lines)


def short_label(graph: InteractionGraph, node: int, width: int = 24) -> str:
    text = graph.item_title(node - graph.num_users) if node >= graph.num_users else graph.node_name(node)
    return text if len(text) <= width else text[: width - 1] + "…"


def fanout_view(graph: InteractionGraph, sample: FanoutSample, height: int = 560, layout: str = "radial") -> GraphView:
    """Draw a :class:`FanoutSample` of one seed: nodes by hop and type, sampled edges solid, the rest ghosted.

    Args:
        graph (InteractionGraph): The graph the sample was drawn from.
        sample (FanoutSample): Output of ``FanoutSampler.sample`` for one seed.
        height (int): Drawing height in pixels. (default: ``560``)
        layout (str): One of :data:`LAYOUTS`. (default: ``"radial"``, drawn at once)
    """
    degree = graph.csr.degree()
    net = _network(height)
    drawn = set(sample.nodes.tolist())
    num_hops = len(sample.hop_counts)
    for node, hop in zip(sample.nodes.tolist(), sample.node_hop.tolist(), strict=True):
        _add_node(net, graph, node, hop, int(degree[node]), label_hop=1, extra=f"hop: {hop}")
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
    return _render(net, graph, num_hops, pairs.shape[1], ghost_drawn, hidden, notes, height, layout=layout)


def replay_view(graph: InteractionGraph, batch: ReplayedBatch, height: int = 560) -> GraphView:
    """Draw what a replayed GraphSAGE batch fed one node (:func:`engine.training.replay.replay`), as a fanout sample
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


def random_walk_view(
    graph: InteractionGraph,
    walks: RandomWalkNeighbours,
    height: int = 560,
    max_nodes: int = MAX_WALK_NODES,
    layout: str = "force",
) -> GraphView:
    """Draw the walks of one seed (``walks`` sampled with ``return_traces=True``).

    The top-T neighbours are sized by visit count and outlined; the other-type nodes the walks passed
    through are drawn small; walked edges are solid with width by traversals; existing edges among the
    drawn nodes that no walk took are ghosted.

    Args:
        graph (InteractionGraph): The graph walked.
        walks (RandomWalkNeighbours): Output of ``RandomWalkSampler.sample(..., return_traces=True)``.
        height (int): Drawing height in pixels. (default: ``560``)
        max_nodes (int): Most nodes drawn; the least visited are left out with a note. (default: ``150``)
        layout (str): One of :data:`LAYOUTS`. (default: ``"force"``, see there why)
    """
    if walks.traces is None:
        raise ValueError("random_walk_view needs walk traces: sample with return_traces=True")
    degree = graph.csr.degree()
    seed = int(walks.seeds[0])
    traces = walks.traces[0]  # (num_walks, 2 * walk_length + 1)
    steps = np.stack([traces[:, :-1], traces[:, 1:]], axis=-1).reshape(-1, 2)  # (num_walks * 2L, 2)
    steps = steps[(steps >= 0).all(axis=1) & (steps[:, 0] != steps[:, 1])]
    positions = np.broadcast_to(np.arange(traces.shape[1]), traces.shape)
    valid = traces >= 0
    visited, visits = np.unique(traces[valid], return_counts=True)
    first_step = {int(n): int(positions[valid][traces[valid] == n].min()) for n in visited}
    top = walks.neighbours[0][walks.neighbours[0] >= 0]
    top_counts = dict(zip(top.tolist(), walks.visit_counts[0][: len(top)].tolist(), strict=True))
    keep = [seed, *[n for n in top.tolist() if n != seed]]
    by_visits = visited[np.argsort(-visits, kind="stable")]
    keep += [int(n) for n in by_visits if int(n) not in set(keep)][: max(0, max_nodes - len(keep))]
    kept = set(keep)
    left_out = len(visited) - len(kept & set(visited.tolist()))
    net = _network(height)
    max_count = max(top_counts.values(), default=1)
    for node in keep:
        count = top_counts.get(node)
        hop = first_step.get(node, 0)
        extra = f"first reached after {hop} steps" + (f"\nvisits: {count} (top-T)" if count is not None else "")
        size = 12 + 28 * np.sqrt(count / max_count) if count is not None else None
        _add_node(net, graph, node, hop, int(degree[node]), label_hop=-1, extra=extra, size=size, top=count is not None)
    steps = steps[np.isin(steps, keep).all(axis=1)]
    walked = np.unique(np.sort(steps, axis=1), axis=0, return_counts=True) if len(steps) else (np.zeros((0, 2)), [])
    for (a, b), times in zip(walked[0].tolist(), list(walked[1]), strict=True):
        net.add_edge(int(a), int(b), color="#444444", width=1 + np.log2(times), title=f"walked {times} times")
    pairs = walked[0].T.astype(np.int64) if len(walked[0]) else np.zeros((2, 0), dtype=np.int64)
    ghost_drawn, hidden = _ghost_edges(net, graph, np.array(keep), pairs, kept, degree, only_between_drawn=True)
    notes = [f"{len(top)} top-T neighbours from {traces.shape[0]} walks; size = visit count."]
    if left_out:
        notes.append(f"{left_out} rarely visited nodes are not drawn (drawing capped at {max_nodes} nodes).")
    if hidden:
        notes.append(f"{hidden} more existing-but-unwalked edges among drawn nodes are hidden.")
    steps_drawn = max((first_step.get(node, 0) for node in keep), default=0)
    return _render(
        net, graph, steps_drawn, len(walked[0]), ghost_drawn, hidden, notes, height, walk=True, layout=layout
    )


def radial_positions(net: Network) -> np.ndarray:
    """``(N, 2)`` positions of ``net.nodes`` (first node: the centre) from a breadth-first tree of the drawn edges.

    The centre's neighbours sit on a ring around it; every other node sits on an arc around the node it was first
    reached from, facing away from that node's own parent, with an arc radius that grows with the number of nodes
    on it so they do not overlap — the "flowers" a force layout settles into, computed in one pass. The ring is as
    large as the flowers around it need. Nodes the drawn edges do not connect to the centre go on an outer ring.
    """
    ids = [node["id"] for node in net.nodes]
    if not ids:
        return np.zeros((0, 2))
    index = {node: position for position, node in enumerate(ids)}
    neighbours: list[list[int]] = [[] for _ in ids]
    for edge in net.edges:
        a, b = index[edge["from"]], index[edge["to"]]
        neighbours[a].append(b)
        neighbours[b].append(a)
    parent = np.full(len(ids), -1)
    children: list[list[int]] = [[] for _ in ids]
    order, seen = [0], {0}
    for current in order:  # breadth-first: ``order`` grows while it is read
        for other in neighbours[current]:
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


def force_positions(net: Network) -> np.ndarray:
    """``(N, 2)`` force-directed positions of ``net.nodes``: Fruchterman-Reingold from the radial layout, seeded.

    Only the nodes the drawn edges connect to the centre are laid out by force (a node without a drawn edge would be
    pushed off to the edge of the canvas and shrink everything else when the drawing is fitted); the others go on a
    ring just outside them, as in the radial layout. Scaled to the radial layout's size, so node spacing and label
    size read the same as in a fanout drawing.
    """
    import networkx as nx

    start = radial_positions(net)
    if len(start) < 3:
        return start
    extent = float(np.abs(start).max()) or RING_GAP
    index = {node["id"]: position for position, node in enumerate(net.nodes)}
    graph = nx.Graph()
    graph.add_nodes_from(range(len(index)))
    graph.add_edges_from((index[edge["from"]], index[edge["to"]]) for edge in net.edges)
    linked = sorted(nx.node_connected_component(graph, 0))
    placed = nx.spring_layout(
        graph.subgraph(linked),
        pos={position: start[position] / extent for position in linked},
        k=FORCE_SPACING / np.sqrt(len(linked)),
        iterations=FORCE_ITERATIONS,
        seed=0,
        center=(0, 0),
    )
    positions = np.zeros_like(start)
    bulk = np.array([placed[position] for position in linked])  # about [-1, 1]
    # A chain of rarely walked nodes stretches a force layout far out; fitting it would shrink the bulk. Beyond the
    # 90th percentile radius distances grow logarithmically: the chain stays visible, the bulk fills the canvas.
    radius = np.linalg.norm(bulk, axis=1)
    knee = float(np.percentile(radius, 90)) or 1.0
    far = radius > knee
    bulk[far] *= (knee * (1 + np.log(radius[far] / knee)) / radius[far])[:, None]
    positions[linked] = bulk / (np.abs(bulk).max() or 1.0) * extent
    stray = sorted(set(range(len(start))) - set(linked))
    if stray:
        outer = float(np.linalg.norm(positions[linked], axis=1).max()) + RING_GAP / 2
        angles = np.linspace(0, 2 * np.pi, len(stray), endpoint=False)
        positions[stray] = outer * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return positions


def _network(height: int) -> Network:
    return Network(height=f"{height}px", width="100%", cdn_resources="in_line")


def _add_node(
    net: Network,
    graph: InteractionGraph,
    node: int,
    hop: int,
    degree: int,
    *,
    label_hop: int,
    extra: str,
    size: float | None = None,
    top: bool = False,
) -> None:
    kind = graph.node_type(node)
    centre = hop == 0
    colour = HOP_COLOURS[min(hop, len(HOP_COLOURS) - 1)]
    net.add_node(
        node,
        label=short_label(graph, node) if centre or hop <= label_hop or top else " ",
        title=node_tooltip(graph, node, degree, ("CENTRE\n" if centre else "") + extra),
        shape="star" if centre else TYPE_SHAPES[kind],
        color={"background": colour, "border": TYPE_BORDERS[kind]},
        borderWidth=4 if top or centre else 1,
        size=float(size if size is not None else (30 if centre else 12)),
    )


def _ghost_edges(
    net: Network,
    graph: InteractionGraph,
    expanded: np.ndarray,
    sampled_pairs: np.ndarray,
    drawn: set[int],
    degree: np.ndarray,
    only_between_drawn: bool = False,
) -> tuple[int, int]:
    """Add unsampled existing edges of the expanded nodes, capped; returns (drawn, hidden)."""
    sampled = {(int(a), int(b)) for a, b in sampled_pairs.T.tolist()}
    sampled |= {(b, a) for a, b in sampled}
    csr = graph.csr
    total = drawn_count = 0
    seen: set[tuple[int, int]] = set()
    for node in expanded.tolist():
        neighbours = csr.neighbours(node)
        in_drawing = np.isin(neighbours, list(drawn))
        # Edges to nodes already drawn come first: they show structure without adding nodes.
        ordered = np.concatenate([neighbours[in_drawing], [] if only_between_drawn else neighbours[~in_drawing]])
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


@cache
def _vis_assets() -> tuple[str, str]:
    return (VIS_LIB / "vis-network.min.js").read_text(), (VIS_LIB / "vis-network.css").read_text()


def _render(
    net: Network,
    graph: InteractionGraph,
    num_hops: int,
    sampled_edges: int,
    ghost_edges: int,
    hidden: int,
    notes: list[str],
    height: int,
    walk: bool = False,
    layout: str = "radial",
) -> GraphView:
    vis_js, vis_css = _vis_assets()
    if layout not in LAYOUTS:
        raise ValueError(f"'layout' must be one of {', '.join(LAYOUTS)} (got {layout!r})")
    if layout != "physics":
        positions = radial_positions(net) if layout == "radial" else force_positions(net)
        for node, (x, y) in zip(net.nodes, positions, strict=True):
            node.update(x=float(x), y=float(y))
    options = {
        "physics": {
            # forceAtlas2 scales repulsion by degree, so hubs spread their leaves out, and its central gravity
            # keeps nodes without a drawn edge near the rest instead of drifting off the canvas.
            "solver": "forceAtlas2Based",
            "forceAtlas2Based": {
                "gravitationalConstant": -80,
                "centralGravity": 0.02,
                "springLength": 70,
                "springConstant": 0.08,
                "avoidOverlap": 0.8,
            },
            "stabilization": {"enabled": layout == "physics", "iterations": 400, "updateInterval": 50, "fit": True},
            "enabled": layout == "physics",
        },
        "interaction": {"hover": True, "tooltipDelay": 120},
        # fit() shrinks a drawing of 100+ nodes to about half scale: labels start large enough to stay readable.
        "nodes": {"font": {"size": NODE_FONT_PX, "strokeWidth": 4, "strokeColor": "#ffffff"}},
        "edges": {"smooth": False},
        "layout": {"improvedLayout": len(net.nodes) <= 100},  # vis's improved layout gives up on larger graphs
    }
    unit = "step" if walk else "hop"
    colours = range(1, min(num_hops, len(HOP_COLOURS) - 1) + 1)
    hop_legend = [("★ centre", HOP_COLOURS[0])] + [(f"{unit} {h}", HOP_COLOURS[h]) for h in colours]
    environment = jinja2.Environment(autoescape=True)
    html = environment.from_string(TEMPLATE).render(
        title=f"neighborhood in {graph.name}",
        vis_js=vis_js,
        vis_css=vis_css,
        height=height,
        nodes=net.nodes,
        edges=net.edges,
        options=options,
        num_nodes=len(net.nodes),
        num_sampled_edges=sampled_edges,
        num_ghost_edges=ghost_edges,
        hidden_edges=hidden,
        hop_legend=hop_legend,
        notes=notes,
        layout=layout,
    )
    return GraphView(html, len(net.nodes), sampled_edges, ghost_edges, hidden, notes)
