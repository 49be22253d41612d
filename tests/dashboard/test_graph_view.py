"""Neighborhood drawings: honest counts, capped hubs, in-line resources, and titles that stay text."""

from __future__ import annotations

import itertools
import json
import re

import numpy as np
import pandas as pd
import pytest

from dashboard.plots.neighborhood_figures import stability
from engine import InteractionGraph
from engine.analysis import TopTStability, external_fetches
from engine.plots.graph_page import NODE_FONT_PX
from engine.plots.graph_view import LAYOUTS, MAX_GHOST_PER_NODE, RING_GAP, fanout_view, random_walk_view
from engine.sampling import FanoutSampler, RandomWalkSampler

HOSTILE = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", '<a href="javascript:alert(1)">x</a>']


@pytest.fixture(scope="module")
def hub_graph() -> InteractionGraph:
    """Item 0 is a hub seen by 12,000 users; items 1-5 have hostile titles; users 0-19 see a few more items."""
    rows = [(u, 0) for u in range(12_000)] + [(u, 1 + u % 5) for u in range(20)] + [(u, 6) for u in range(5)]
    titles = [f"Hub film {i}" for i in range(7)]
    titles[1:4] = HOSTILE
    items = pd.DataFrame({"item_id": range(7), "title": titles, "genres": ["Drama|<b>x</b>"] * 7})
    return InteractionGraph.from_frame(pd.DataFrame(rows, columns=["user", "item"]), items=items, name="hub")


@pytest.fixture(scope="module")
def synthetic() -> InteractionGraph:
    from engine.datasets import load_dataset

    return load_dataset("synthetic")


def vis_nodes(html: str) -> list[dict]:
    return json.loads(re.search(r"new vis\.DataSet\((\[.*?\])\);", html, re.S).group(1))


def test_fanout_view_of_a_hub_is_capped_with_honest_counts(hub_graph):
    hub = hub_graph.num_users  # item 0
    sample = FanoutSampler(hub_graph, [10, 3]).sample(np.array([hub]), seed=1)
    view = fanout_view(hub_graph, sample)
    nodes = vis_nodes(view.html)
    assert view.num_nodes == len(nodes)
    assert {n["id"] for n in nodes} >= set(sample.nodes.tolist())
    assert view.num_sampled_edges == len(set(zip(sample.edge_src.tolist(), sample.edge_dst.tolist(), strict=True)))
    assert view.num_ghost_edges <= MAX_GHOST_PER_NODE * int((sample.node_hop < 2).sum())
    # Every existing edge of the expanded nodes is either sampled, ghosted or counted as hidden.
    expanded = sample.nodes[sample.node_hop < 2]
    existing = int(hub_graph.csr.degree()[expanded].sum())
    sampled_pairs = {tuple(sorted(p)) for p in zip(sample.edge_src.tolist(), sample.edge_dst.tolist(), strict=True)}
    assert view.num_ghost_edges + view.hidden_edges <= existing
    assert view.num_ghost_edges + view.hidden_edges >= 12_000 - len(sampled_pairs)
    assert any("hidden" in note for note in view.notes)
    assert f'data-nodes="{view.num_nodes}"' in view.html
    centre = next(n for n in nodes if n["id"] == hub)
    assert centre["shape"] == "star" and "degree: 12000" in centre["title"]


def test_views_fetch_nothing_and_keep_titles_as_text(hub_graph):
    users = np.array([0])
    fanout = fanout_view(hub_graph, FanoutSampler(hub_graph, [-1, 2]).sample(users))
    walks = RandomWalkSampler(hub_graph, num_walks=50, top_t=5).sample(
        np.array([hub_graph.num_users + 1]), return_traces=True
    )
    walk = random_walk_view(hub_graph, walks)
    for view in (fanout, walk):
        assert external_fetches(view.html) == []
        assert "innerHTML" not in view.html.split("</style>")[-1]  # our page script never parses titles as HTML
        for hostile in HOSTILE:
            assert hostile not in view.html
        titles = " ".join(n["title"] for n in vis_nodes(view.html))
        assert HOSTILE[0] in titles  # the JSON decodes back to the literal title text
    assert "\\u003cscript\\u003e" in fanout.html


def test_walk_view_sizes_top_t_by_visits(hub_graph):
    seed = hub_graph.num_users + 1
    walks = RandomWalkSampler(hub_graph, num_walks=200, top_t=3).sample(np.array([seed]), return_traces=True)
    nodes = {n["id"]: n for n in vis_nodes(random_walk_view(hub_graph, walks).html)}
    top = [int(n) for n in walks.neighbors[0] if n >= 0]
    assert all(t in nodes for t in top)
    sizes = [nodes[t]["size"] for t in top]
    assert sizes == sorted(sizes, reverse=True)
    assert nodes[seed]["shape"] == "star"


def test_walk_view_needs_traces(hub_graph):
    walks = RandomWalkSampler(hub_graph, num_walks=5).sample(np.array([hub_graph.num_users]))
    with pytest.raises(ValueError, match="return_traces=True"):
        random_walk_view(hub_graph, walks)


def test_walk_view_caps_nodes(hub_graph):
    walks = RandomWalkSampler(hub_graph, num_walks=400, top_t=5).sample(
        np.array([hub_graph.num_users]), return_traces=True
    )
    view = random_walk_view(hub_graph, walks, max_nodes=40)
    assert len([n for n in vis_nodes(view.html) if n.get("size", 0) != 6]) <= 40
    assert any("not drawn" in note for note in view.notes)


def test_drawing_is_fitted_to_the_canvas_once_the_layout_settles(hub_graph):
    walks = RandomWalkSampler(hub_graph, num_walks=50, top_t=5).sample(
        np.array([hub_graph.num_users + 1]), return_traces=True
    )
    sample = FanoutSampler(hub_graph, [4, 3]).sample(np.array([hub_graph.num_users + 1]), seed=0)
    views = {layout: fanout_view(hub_graph, sample, layout=layout).html for layout in LAYOUTS}
    for layout, html in [*views.items(), ("ranked", random_walk_view(hub_graph, walks).html)]:
        settle = html.split("function settle() {", 1)[1].split("\n  }\n", 1)[0]
        assert "network.fit(" in settle and 'addEventListener("resize"' in html
        options = json.loads(re.search(r"\{nodes: nodes, edges: edges\},\s*(\{.*?\})\);", html, re.S).group(1))
        assert options["physics"]["enabled"] is (layout == "physics")
        if layout == "physics":  # vis.js lays it out and fits once its simulation settles
            assert 'network.once("stabilizationIterationsDone", settle)' in html
            assert options["physics"][options["physics"]["solver"]]["avoidOverlap"] > 0
        else:  # positions come with the nodes: drawn and fitted at once
            assert "settle();" in html and "fill();" in settle
            nodes = json.loads(re.search(r"new vis.DataSet\((\[.*?\])\);", html, re.S).group(1))
            assert all("x" in node and "y" in node for node in nodes)


def test_radial_layout_rings_the_centre_and_keeps_each_node_near_where_it_was_reached(hub_graph):
    sampler = FanoutSampler(hub_graph, [4, 3])
    sample = sampler.sample(np.array([hub_graph.num_users + 1]), seed=0)
    html = fanout_view(hub_graph, sample).html
    nodes = json.loads(re.search(r"new vis.DataSet\((\[.*?\])\);", html, re.S).group(1))
    position = {node["id"]: np.array([node["x"], node["y"]]) for node in nodes}
    centre = int(sample.nodes[0])
    assert np.allclose(position[centre], 0)
    hop1 = sample.nodes[sample.node_hop == 1].tolist()
    radii = [np.linalg.norm(position[node]) for node in hop1]
    assert max(radii) - min(radii) < 1e-6 and min(radii) >= RING_GAP  # one ring around the centre
    for node in sample.nodes[sample.node_hop == 2].tolist():  # on an arc around the hop-1 node that reached it
        nearest_hop1 = min(np.linalg.norm(position[node] - position[other]) for other in hop1)
        assert nearest_hop1 < np.linalg.norm(position[node])
    points = np.array(list(position.values()))
    gaps = np.linalg.norm(points[:, None] - points[None], axis=-1) + np.eye(len(points)) * 1e9
    assert gaps.min() > 5  # no two nodes on top of each other


def test_stability_axis_ticks_at_the_walk_budgets():
    axis = stability(TopTStability([25, 50, 100, 200, 400, 800], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 10)).layout.xaxis
    assert list(axis.tickvals) == [25, 50, 100, 200, 400, 800]
    assert list(axis.ticktext) == ["25", "50", "100", "200", "400", "800"]


def label_boxes(nodes: list[dict]) -> dict:
    """Generous boxes of vis-network's labels (centred under the node, 0.6 em per character), in layout units."""
    boxes = {}
    for node in nodes:
        if node["label"].strip():
            half = 0.6 * NODE_FONT_PX * len(node["label"]) / 2
            top = node["y"] + node["size"]
            boxes[node["id"]] = (node["x"] - half, top, node["x"] + half, top + 1.2 * NODE_FONT_PX)
    return boxes


@pytest.mark.parametrize("top_t", [3, 10, 20, 31])
def test_walk_view_ranks_the_top_t_around_the_centre_with_labels_that_do_not_overlap(synthetic, top_t):
    """Issue 25, 3: the top-T are the drawing, placed by rank, labelled with rank and title, never piled up."""
    graph = synthetic
    seed = graph.num_users + int(np.argmax(graph.item_degree()))
    walks = RandomWalkSampler(graph, top_t=top_t).sample(np.array([seed]), seed=0, return_traces=True)
    view = random_walk_view(graph, walks, restart_prob=0.5)
    nodes = {node["id"]: node for node in vis_nodes(view.html)}
    top = [int(n) for n in walks.neighbors[0] if n >= 0]
    assert (nodes[seed]["x"], nodes[seed]["y"]) == (0, 0) and nodes[seed]["shape"] == "star"
    distance = [np.hypot(nodes[n]["x"], nodes[n]["y"]) for n in top]
    for side in (0, 1):  # odd ranks right, even ranks left; further out as the rank grows
        assert distance[side::2] == sorted(distance[side::2])
        assert all((nodes[n]["x"] > 0) == (side == 0) for n in top[side::2])
    for rank, node in enumerate(top, start=1):
        assert nodes[node]["label"].startswith(f"{rank}. ")
        assert graph.item_title(node - graph.num_users) in nodes[node]["title"]  # full title on hover
    assert [nodes[n]["size"] for n in top] == sorted((nodes[n]["size"] for n in top), reverse=True)
    boxes = label_boxes([nodes[n] for n in [seed, *top]])
    for a, b in itertools.combinations(boxes.values(), 2):
        assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    others = [node for node in nodes.values() if node["id"] not in {seed, *top}]
    assert others and all(node["size"] < min(nodes[n]["size"] for n in top) for node in others)  # small and faded
    assert all(graph.node_type(node["id"]) == "user" and not node["label"].strip() for node in others)
    assert "restarts at the centre with probability 0.5" in view.notes[0]
    assert "step 1" not in view.html and "step 5" not in view.html  # no unexplained per-step legend
