"""``python -m engine sample``: draw a neighborhood for named nodes and print it as JSON."""

from __future__ import annotations

import argparse
import json

from engine.cli import finite_number, whole_number
from engine.datasets import load_dataset
from engine.graph import InteractionGraph
from engine.sampling.fanout import FanoutSample, FanoutSampler, parse_fanouts
from engine.sampling.random_walk import RandomWalkNeighbours, RandomWalkSampler

SAMPLERS = ("fanout", "randomwalk")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="draw a fanout or random-walk neighborhood of nodes and print it as JSON",
        description="Draw the neighborhood a GraphSAGE fanout sampler or a PinSage random-walk sampler sees "
        "for one or more nodes, and print it as JSON.",
    )
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. synthetic or movielens-latest-small")
    parser.add_argument("--data-dir", default=None, help="folder holding the MovieLens files")
    parser.add_argument(
        "--node", action="append", required=True, help="node name such as item:1193 or user:42; repeat for a batch"
    )
    parser.add_argument("--sampler", choices=SAMPLERS, default="fanout", help="which sampler (default: %(default)s)")
    parser.add_argument("--seed", type=whole_number, default=0, help="random seed (default: %(default)s)")
    fanout, defaults = parser.add_argument_group("fanout sampler"), FanoutSampler.Settings()
    fanout.add_argument(
        "--fanouts",
        default=",".join(map(str, defaults.fanouts)),
        help="neighbours per hop, -1 = all (default: %(default)s)",
    )
    fanout.add_argument("--replace", action="store_true", help="draw neighbours with replacement")
    walks, defaults = parser.add_argument_group("random-walk sampler"), RandomWalkSampler.Settings()
    walks.add_argument(
        "--num-walks", type=whole_number, default=defaults.num_walks, help="walks per node (default: %(default)s)"
    )
    walks.add_argument(
        "--walk-length",
        type=whole_number,
        default=defaults.walk_length,
        help="most two-hop steps per walk (default: %(default)s)",
    )
    walks.add_argument(
        "--restart-prob",
        type=finite_number,
        default=defaults.restart_prob,
        help="restart probability per step (default: %(default)s)",
    )
    walks.add_argument(
        "--top-t", type=whole_number, default=defaults.top_t, help="neighbours kept per node (default: %(default)s)"
    )
    walks.add_argument("--traces", action="store_true", help="include every walk in the output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    graph = load_dataset(args.dataset, args.data_dir)
    seeds = [graph.node_id(name) for name in args.node]
    header = {"dataset": graph.name, "sampler": args.sampler, "seed": args.seed}
    if args.sampler == "fanout":
        sampler = FanoutSampler(graph, parse_fanouts(args.fanouts), replace=args.replace)
        unique = list(dict.fromkeys(seeds))
        body = fanout_json(graph, sampler.sample(unique, seed=args.seed))
        header |= {"fanouts": sampler.fanouts, "replace": sampler.replace}
    else:
        sampler = RandomWalkSampler(graph, args.num_walks, args.walk_length, args.restart_prob, args.top_t)
        body = random_walk_json(graph, sampler.sample(seeds, seed=args.seed, return_traces=args.traces))
        header |= {
            "num_walks": sampler.num_walks,
            "walk_length": sampler.walk_length,
            "restart_prob": sampler.restart_prob,
            "top_t": sampler.top_t,
        }
    print(json.dumps(header | body, indent=2))
    return 0


def node_json(graph: InteractionGraph, node: int) -> dict:
    """``{"id", "name", "type"}`` of a global id, plus ``"title"`` for items."""
    entry = {"id": int(node), "name": graph.node_name(int(node)), "type": graph.node_type(int(node))}
    if node >= graph.num_users:
        entry["title"] = graph.item_title(int(node) - graph.num_users)
    return entry


def fanout_json(graph: InteractionGraph, sample: FanoutSample) -> dict:
    """Nodes with their hop, edges with their hop, and sampled counts next to true degrees per hop."""
    return {
        "seeds": [node_json(graph, s) for s in sample.seeds],
        "nodes": [node_json(graph, n) | {"hop": int(h)} for n, h in zip(sample.nodes, sample.node_hop, strict=True)],
        "edges": [
            {"src": int(s), "dst": int(d), "hop": int(h)}
            for s, d, h in zip(sample.edge_src, sample.edge_dst, sample.edge_hop, strict=True)
        ],
        "hops": [
            {"hop": hop, "sampled": count, "degree": degree}
            for hop, (count, degree) in enumerate(zip(sample.hop_counts, sample.hop_degrees, strict=True), start=1)
        ],
    }


def random_walk_json(graph: InteractionGraph, result: RandomWalkNeighbours) -> dict:
    """Per seed: its top-T neighbours with visits and weights, and its walks when traced."""
    rows = []
    for b, seed in enumerate(result.seeds):
        valid = result.neighbours[b] >= 0
        row = {
            "seed": node_json(graph, seed),
            "neighbours": [
                node_json(graph, n) | {"visits": int(v), "weight": round(float(w), 6)}
                for n, v, w in zip(
                    result.neighbours[b, valid], result.visit_counts[b, valid], result.weights[b, valid], strict=True
                )
            ],
        }
        if result.traces is not None:
            row["traces"] = [[int(n) for n in walk if n >= 0] for walk in result.traces[b]]
        rows.append(row)
    return {"results": rows}
