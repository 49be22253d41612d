"""``python -m engine split | replay``: what a run trained on, and what its training sampled for a node."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from engine.cli.args import UserError, whole_number
from engine.runs.names import SPLIT_PARTS


def register(subparsers: argparse._SubParsersAction) -> None:
    split = subparsers.add_parser(
        "split",
        help="print a run's train, validation or test edges as CSV user,item (the dataset's raw ids)",
        description="Print the edges a run trained (or was validated or tested) on, as recorded in its split.npz, "
        "as CSV with a user,item header and the dataset's own raw ids.",
    )
    split.add_argument("run_dir", metavar="RUN_DIR")
    split.add_argument("--part", choices=SPLIT_PARTS, default="train", help="which edges (default: %(default)s)")
    split.set_defaults(func=run_split)

    replay = subparsers.add_parser(
        "replay",
        help="the batches of an epoch in which a node was a seed, and the neighborhood training sampled for it",
        description="Recreate what training sampled: the batches of epoch E in which node N was a user, positive or "
        "negative, with the fanout blocks (GraphSAGE) or the epoch's random-walk neighborhood (PinSage) that fed it. "
        "With --pyg-batch I, read batch I a PyG loader returned and the run logged instead: its seeds, hops against "
        "num_neighbors, global ids, and whether a positive supervision edge is also a message-passing edge (leakage).",
    )
    replay.add_argument("run_dir", metavar="RUN_DIR")
    replay.add_argument("--epoch", type=whole_number, help="an epoch the run trained, from 1")
    replay.add_argument("--node", help="node name such as item:1193 or user:42")
    replay.add_argument(
        "--pyg-batch", type=whole_number, metavar="I", help="show PyG loader batch I logged into the run"
    )
    replay.add_argument("--json", action="store_true", help="print one JSON object with every batch's neighborhood")
    replay.set_defaults(func=run_replay)


def run_split(args: argparse.Namespace) -> int:
    from engine.loader.reopen import open_run_graph

    run_graph = open_run_graph(args.run_dir)
    users, items = run_graph.parts[args.part]
    user_ids = run_graph.dataset.users["user_id"].astype(str).to_numpy()
    item_ids = run_graph.dataset.items["item_id"].astype(str).to_numpy()
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["user", "item"])
    writer.writerows(zip(user_ids[users], item_ids[items], strict=True))
    if not run_graph.recorded:
        print(
            f"note: run {run_graph.run_id} predates split.npz; its split was rebuilt from its config", file=sys.stderr
        )
    return 0


def run_replay(args: argparse.Namespace) -> int:
    if args.pyg_batch is not None:
        from engine.cli.pyg_replay import run_pyg_replay

        return run_pyg_replay(args)
    if args.node is None or args.epoch is None:
        raise UserError("replay needs --epoch E and --node NAME, or --pyg-batch I for a PyG batch the run logged")
    from engine.analysis.replay import replay
    from engine.cli.sample import node_json
    from engine.loader.reopen import open_run_graph

    run_graph = open_run_graph(args.run_dir)
    node = run_graph.training_node(args.node)
    result = replay(run_graph, args.epoch, node)
    graph = run_graph.train
    if args.json:
        print(json.dumps(replay_json(run_graph, result, node_json), indent=2))
        return 0
    print(
        f"run {run_graph.run_id} ({run_graph.config.model}), epoch {result.epoch}: {graph.node_name(node)} was a seed "
        f"of {len(result.batches)} of {result.num_batches} batches"
    )

    def where(batch) -> str:
        return f"rank {batch.rank} batch {batch.index}" if run_graph.config.world_size > 1 else f"batch {batch.index}"

    for batch in result.batches:
        roles = ", ".join(f"{count} x {role}" for role, count in batch.roles.items() if count)
        hops = [int((batch.edge_hop == hop).sum()) for hop in range(1, int(batch.edge_hop.max(initial=0)) + 1)]
        print(
            f"  {where(batch)}: {roles}; {batch.nodes.size} nodes, {batch.edge_src.size} edges "
            f"(per hop {', '.join(map(str, hops)) or 'none'})"
        )
    return 0


def replay_json(run_graph, result, node_json) -> dict:
    """The replay as JSON: a header naming the run and the sampler settings, then one entry per batch."""
    graph = run_graph.train
    sampling = {key: value for key, value in vars(result.sampling).items()}
    sampling = {key: list(value) if isinstance(value, tuple) else value for key, value in sampling.items()}
    return {
        "run": run_graph.run_id,
        "model": run_graph.config.model,
        "graph": "train",
        "epoch": result.epoch,
        "node": node_json(graph, result.node),
        "sampler": "fanout" if "fanouts" in sampling else "randomwalk",
        "settings": sampling,
        "num_batches": result.num_batches,
        "batches": [
            {
                "batch": batch.index,
                "rank": batch.rank,
                "roles": batch.roles,
                "size": batch.size,
                "targets": [node_json(graph, int(target)) for target in batch.targets],
                "nodes": [
                    node_json(graph, int(n)) | {"hop": int(h)} for n, h in zip(batch.nodes, batch.node_hop, strict=True)
                ],
                "edges": [
                    {"src": int(s), "dst": int(d), "hop": int(h)}
                    | ({} if batch.edge_weight is None else {"weight": round(float(batch.edge_weight[j]), 6)})
                    for j, (s, d, h) in enumerate(zip(batch.edge_src, batch.edge_dst, batch.edge_hop, strict=True))
                ],
            }
            for batch in result.batches
        ],
    }
