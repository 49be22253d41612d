"""``python -m engine sample``: draw a neighborhood for named nodes and print it as JSON."""

from __future__ import annotations

import argparse
import json

from engine.cli.args import finite_number, whole_number
from engine.datasets import load_dataset
from engine.graph import InteractionGraph
from engine.sampling.fanout import FanoutSample, FanoutSampler, parse_fanouts
from engine.sampling.random_walk import RandomWalkNeighbors, RandomWalkSampler

SAMPLERS = ("fanout", "randomwalk")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="draw a fanout or random-walk neighborhood of nodes and print it as JSON",
        description="Draw the neighborhood a GraphSAGE fanout sampler or a PinSage random-walk sampler sees "
        "for one or more nodes, and print it as JSON. With --run it samples that run's training graph with the "
        "run's own sampler settings (a flag overrides one); without, the whole dataset graph.",
    )
    parser.add_argument("--dataset", help="dataset name, e.g. synthetic or movielens-latest-small (or give --run)")
    parser.add_argument("--data-dir", default=None, help="folder holding the MovieLens files")
    parser.add_argument(
        "--run", metavar="RUN_DIR", help="sample this GraphSAGE or PinSage run's training graph with its settings"
    )
    parser.add_argument(
        "--node", action="append", required=True, help="node name such as item:1193 or user:42; repeat for a batch"
    )
    parser.add_argument("--sampler", choices=SAMPLERS, help="which sampler (default: fanout, or the run's)")
    parser.add_argument("--seed", type=whole_number, default=0, help="random seed (default: %(default)s)")
    fanout, defaults = parser.add_argument_group("fanout sampler"), FanoutSampler.Settings()
    fanout.add_argument(
        "--fanouts",
        help=f"neighbors per hop, -1 = all (default: {','.join(map(str, defaults.fanouts))}, or the run's)",
    )
    fanout.add_argument(
        "--replace",
        action="store_true",
        default=None,
        help="draw neighbors with replacement (default: no, or the run's)",
    )
    walks, defaults = parser.add_argument_group("random-walk sampler"), RandomWalkSampler.Settings()
    for flag, kind, help_text in (
        ("--num-walks", whole_number, "walks per node"),
        ("--walk-length", whole_number, "most two-hop steps per walk"),
        ("--restart-prob", finite_number, "restart probability per step"),
        ("--top-t", whole_number, "neighbors kept per node"),
    ):
        default = getattr(defaults, flag.removeprefix("--").replace("-", "_"))
        walks.add_argument(flag, type=kind, help=f"{help_text} (default: {default}, or the run's)")
    walks.add_argument("--traces", action="store_true", help="include every walk in the output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.run is None and args.dataset is None:
        raise ValueError(
            "sample needs --dataset NAME (the whole dataset graph) or --run RUN_DIR (a run's training graph)"
        )
    if args.run is None:
        graph = load_dataset(args.dataset, args.data_dir)
        seeds = [graph.node_id(name) for name in args.node]
        header = {"graph": "dataset", "dataset": graph.name}
        settings = {"fanout": FanoutSampler.Settings(), "randomwalk": RandomWalkSampler.Settings()}
        sampler_name = args.sampler or "fanout"
    else:
        graph, seeds, header, sampler_name, settings = _run_graph(args)
    header |= {"sampler": sampler_name, "seed": args.seed}
    if sampler_name == "fanout":
        fanouts = settings["fanout"].fanouts if args.fanouts is None else parse_fanouts(args.fanouts)
        replace = settings["fanout"].replace if args.replace is None else args.replace
        sampler = FanoutSampler(graph, fanouts, replace=replace)
        unique = list(dict.fromkeys(seeds))
        body = fanout_json(graph, sampler.sample(unique, seed=args.seed))
        header |= {"fanouts": sampler.fanouts, "replace": sampler.replace}
    else:
        walk = {
            name: getattr(settings["randomwalk"], name) if getattr(args, name) is None else getattr(args, name)
            for name in ("num_walks", "walk_length", "restart_prob", "top_t")
        }
        sampler = RandomWalkSampler(graph, **walk)
        body = random_walk_json(graph, sampler.sample(seeds, seed=args.seed, return_traces=args.traces))
        header |= {
            "num_walks": sampler.num_walks,
            "walk_length": sampler.walk_length,
            "restart_prob": sampler.restart_prob,
            "top_t": sampler.top_t,
        }
    print(json.dumps(header | body, indent=2))
    return 0


def _run_graph(args: argparse.Namespace) -> tuple[InteractionGraph, list[int], dict, str, dict]:
    """A run's training graph, the seeds on it, the JSON header, the run's sampler and its settings."""
    from engine.loader.reopen import open_run_graph
    from engine.models.inputs import FanoutSpec

    run_graph = open_run_graph(args.run, dataset=args.dataset)
    model, spec = run_graph.config.model, run_graph.sampling()
    if spec is None:
        raise ValueError(
            f"run {run_graph.run_id} trained {model}, which samples no neighborhood: it propagates over every "
            "training edge (full-graph); sample the dataset graph without --run, or pick a graphsage or pinsage run"
        )
    sampler_name = "fanout" if isinstance(spec, FanoutSpec) else "randomwalk"
    if args.sampler is not None and args.sampler != sampler_name:
        raise ValueError(
            f"run {run_graph.run_id} trained {model} with the {sampler_name} sampler, never the {args.sampler} "
            f"sampler; drop --sampler or pass --sampler {sampler_name}"
        )
    if sampler_name == "fanout":
        settings = {"fanout": FanoutSampler.Settings(fanouts=tuple(spec.fanouts), replace=spec.replace)}
    else:
        settings = {
            "randomwalk": RandomWalkSampler.Settings(spec.num_walks, spec.walk_length, spec.restart_prob, spec.top_t)
        }
    seeds = [run_graph.training_node(name) for name in args.node]
    header = {"graph": "train", "run": run_graph.run_id, "model": model, "dataset": run_graph.config.dataset}
    return run_graph.train, seeds, header, sampler_name, settings


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


def random_walk_json(graph: InteractionGraph, result: RandomWalkNeighbors) -> dict:
    """Per seed: its top-T neighbors with visits and weights, and its walks when traced."""
    rows = []
    for b, seed in enumerate(result.seeds):
        valid = result.neighbors[b] >= 0
        row = {
            "seed": node_json(graph, seed),
            "neighbors": [
                node_json(graph, n) | {"visits": int(v), "weight": round(float(w), 6)}
                for n, v, w in zip(
                    result.neighbors[b, valid], result.visit_counts[b, valid], result.weights[b, valid], strict=True
                )
            ],
        }
        if result.traces is not None:
            row["traces"] = [[int(n) for n in walk if n >= 0] for walk in result.traces[b]]
        rows.append(row)
    return {"results": rows}
