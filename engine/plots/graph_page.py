"""The self-contained vis-network page every neighborhood drawing is rendered into, and what the drawings share.

The drawing is built with pyvis and rendered through our own small template rather than pyvis's:
pyvis's template always links Bootstrap from a CDN (the page must work offline) and switches its
tooltips to ``innerHTML`` as soon as a title contains ``href`` (a dataset title could then run
script). Here node data reaches the page only as JSON through Jinja's ``tojson`` (which escapes
``<``, ``>``, ``&`` and quotes) and vis-network shows string tooltips with ``innerText``; every
other string in the page is HTML-escaped by Jinja's autoescape.

The page is a column: legend and notes on top, the canvas taking whatever height is left, so the drawing fits the
frame it is shown in (a Streamlit iframe, the report's iframe, a browser window for an exported file) whatever the
number of note lines. Once laid out, the drawing is fitted to the canvas; a precomputed layout is first stretched
to the canvas's aspect — only ever spread, never squeezed, so labels that clear each other keep clearing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import pyvis
from pyvis.network import Network

from engine import InteractionGraph

NODE_FONT_PX = 22  # label size before fit() scales the drawing to the frame
VIS_LIB = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"

TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ title }}</title>
<style>{{ vis_css | safe }}</style>
<script>{{ vis_js | safe }}</script>
<style>
 html, body { height: 100%; }
 body { margin: 0; font-family: sans-serif; display: flex; flex-direction: column; }
 #network { flex: 1 1 auto; min-height: {{ min_height }}px; border: 1px solid #ddd; }
 .legend { font-size: 12px; padding: 4px 6px; color: #333; flex: none; }
 .legend span { margin-right: 12px; white-space: nowrap; }
 .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 3px; vertical-align: middle; }
 .vis-tooltip { white-space: pre-line; max-width: 360px; }
</style></head>
<body>
<div id="graph-meta" data-nodes="{{ num_nodes }}" data-sampled-edges="{{ num_sampled_edges }}"
     data-ghost-edges="{{ num_ghost_edges }}" data-hidden-edges="{{ hidden_edges }}"></div>
<div class="legend">{% for label, colour in legend %}<span>{% if colour %}<i class="swatch"
style="background:{{ colour }}"></i>{% endif %}{{ label }}</span>{% endfor %}</div>
{% for note in notes %}<div class="legend">{{ note }}</div>{% endfor %}
<div id="network"></div>
<script>
  var nodes = new vis.DataSet({{ nodes | tojson }});
  var edges = new vis.DataSet({{ edges | tojson }});
  var network = new vis.Network(document.getElementById("network"), {nodes: nodes, edges: edges},
                                {{ options | tojson }});
  var laidOut = null;  // the precomputed positions, before any stretch
  // Stretch the precomputed layout to the canvas's aspect, so a tall or wide frame is filled: spread the
  // shorter side, never squeeze the longer one (a squeeze would pile labels that cleared each other).
  function fill() {
    var canvas = document.querySelector("#network canvas").getBoundingClientRect();
    if (laidOut === null) { laidOut = network.getPositions(); }
    var ids = Object.keys(laidOut);
    if (!ids.length || !canvas.width || !canvas.height) { return; }
    var xs = ids.map(function (id) { return laidOut[id].x; });
    var ys = ids.map(function (id) { return laidOut[id].y; });
    var width = Math.max.apply(null, xs) - Math.min.apply(null, xs) || 1;
    var height = Math.max.apply(null, ys) - Math.min.apply(null, ys) || 1;
    var stretch = (canvas.height / canvas.width) * (width / height);
    var sx = stretch < 1 ? 1 / stretch : 1, sy = stretch > 1 ? stretch : 1;
    // One update of the data set redraws once; moveNode per node would redraw every edge for every node.
    nodes.update(ids.map(function (id) {
      return {id: nodes.get(id) ? id : Number(id), x: laidOut[id].x * sx, y: laidOut[id].y * sy};
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
    """An item's title (a user's name), cut to ``width`` characters with an ellipsis."""
    text = graph.item_title(node - graph.num_users) if node >= graph.num_users else graph.node_name(node)
    return text if len(text) <= width else text[: width - 1] + "…"


def new_network(height: int) -> Network:
    return Network(height=f"{height}px", width="100%", cdn_resources="in_line")


@cache
def _vis_assets() -> tuple[str, str]:
    return (VIS_LIB / "vis-network.min.js").read_text(), (VIS_LIB / "vis-network.css").read_text()


def render(
    net: Network,
    graph: InteractionGraph,
    *,
    legend: list[tuple[str, str]],
    notes: list[str],
    counts: tuple[int, int, int],
    height: int,
    layout: str,
    options: dict | None = None,
) -> GraphView:
    """The page of ``net`` (positions already on its nodes unless ``layout == "physics"``).

    Args:
        legend (list[tuple[str, str]]): ``(text, swatch colour)`` entries; an empty colour draws no swatch.
        notes (list[str]): Lines of plain text under the legend.
        counts (tuple[int, int, int]): Sampled edges drawn, unsampled edges drawn ghosted, unsampled edges hidden.
        height (int): The canvas fills the height the frame has left under the legend and notes, and never
            shrinks below ``min(height, 320)`` pixels (a frame too short for that scrolls instead of clipping).
        layout (str): ``"physics"`` lets vis.js lay the graph out; anything else means the positions are set.
        options (dict, optional): vis-network options merged over the defaults here. (default: ``None``)
    """
    vis_js, vis_css = _vis_assets()
    sampled, ghosts, hidden = counts
    physics = layout == "physics"
    merged = {
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
            "stabilization": {"enabled": physics, "iterations": 400, "updateInterval": 50, "fit": True},
            "enabled": physics,
        },
        "interaction": {"hover": True, "tooltipDelay": 120},
        # fit() shrinks a drawing of 100+ nodes to about half scale: labels start large enough to stay readable.
        "nodes": {"font": {"size": NODE_FONT_PX, "strokeWidth": 4, "strokeColor": "#ffffff"}},
        "edges": {"smooth": False},
        "layout": {"improvedLayout": len(net.nodes) <= 100},  # vis's improved layout gives up on larger graphs
        **(options or {}),
    }
    html = (
        jinja2.Environment(autoescape=True)
        .from_string(TEMPLATE)
        .render(
            title=f"neighborhood in {graph.name}",
            vis_js=vis_js,
            vis_css=vis_css,
            min_height=min(height, 320),
            nodes=net.nodes,
            edges=net.edges,
            options=merged,
            num_nodes=len(net.nodes),
            num_sampled_edges=sampled,
            num_ghost_edges=ghosts,
            hidden_edges=hidden,
            legend=legend,
            notes=notes,
            layout=layout,
        )
    )
    return GraphView(html, len(net.nodes), sampled, ghosts, hidden, notes)
