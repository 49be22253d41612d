"""``python -m engine replay RUN_DIR --pyg-batch I``: a PyG loader batch logged into a run, in text or JSON.

The same reading the Neighborhood page gives: the seeds, each hop's sampled counts against the ``num_neighbors``
asked, the global ids, and the leakage check with its fix.
"""

from __future__ import annotations

import argparse
import json

from engine.analysis.pyg_batches import PygBatch, load_pyg_batches, pyg_batch_index
from engine.analysis.pyg_leakage import global_nodes, hop_counts, leakage, message_passing, seeds
from engine.cli.args import UserError, run_path
from engine.graph import InteractionGraph
from engine.runs.rundir import RunDir

MAX_LISTED = 12  # seeds and leaking edges named in the text output; --json lists all


def run_pyg_replay(args: argparse.Namespace) -> int:
    path = run_path(args.run_dir, ".")
    batch = pick_batch(path, args.epoch, args.pyg_batch)
    graph = run_dataset(path)
    if args.json:
        print(json.dumps(batch_json(path.name, batch, graph), indent=2))
        return 0
    print("\n".join(batch_lines(path.name, batch, graph)))
    return 0


def pick_batch(path, epoch: int | None, index: int) -> PygBatch:
    """Stored batch ``index`` of ``epoch`` (of the only epoch with one, when ``epoch`` is ``None``)."""
    stored = pyg_batch_index(path)
    if not stored:
        raise UserError(
            f"run {path.name} holds no PyG batches: log them with run.log_batch(epoch, index, batch) "
            "(engine.track) or engine.analysis.pyg_batches.save_pyg_batch"
        )
    epochs = sorted({e for e, _ in stored})
    if epoch is None and len(epochs) > 1:
        raise UserError(f"run {path.name} holds PyG batches of epochs {epochs}: pass --epoch")
    epoch = epochs[0] if epoch is None else epoch
    if (epoch, index) not in stored:
        held = [i for e, i in stored if e == epoch]
        raise UserError(
            f"run {path.name} holds no PyG batch {index} of epoch {epoch}; "
            + (f"it holds batches {held} of that epoch" if held else f"it holds batches of epochs {epochs}")
        )
    (batch,) = [b for b in load_pyg_batches(path, epoch) if b.index == index]
    return batch


def run_dataset(path) -> InteractionGraph | None:
    """The dataset graph named by the run's config, to name the batch's nodes; ``None`` when it names none."""
    from engine.datasets import load_dataset

    config = RunDir(path).read().config
    if not isinstance(config.get("dataset"), str):
        return None
    return load_dataset(config["dataset"], config.get("data_dir"))


def name_of(graph: InteractionGraph | None, node: int) -> str:
    if graph is None or not 0 <= node < graph.num_nodes:
        return f"node {node}"
    return graph.node_name(node)


def batch_kind(batch: PygBatch) -> str:
    link = any("edge_label_index" in s for s in batch.edges.values()) or any(
        "src_index" in s for s in batch.nodes.values()
    )
    return "link" if link else "node"


def batch_lines(run_id: str, batch: PygBatch, graph: InteractionGraph | None) -> list[str]:
    """The batch in words, one line per fact."""
    num_users = None if graph is None else graph.num_users
    seed_ids, result = seeds(batch, num_users), leakage(batch, num_users)
    kind = "HeteroData" if batch.hetero else "Data"
    lines = [
        f"run {run_id}: PyG batch {batch.index} of epoch {batch.epoch} ({kind}, {batch_kind(batch)} batch): "
        f"{seed_ids.size} seeds, {hop_count_words(batch)}",
        "  seeds: " + listed([name_of(graph, int(n)) for n in seed_ids]),
    ]
    for row in hop_counts(batch):
        asked = "all neighbors asked" if row.asked is None else f"{row.asked} asked"
        if not batch.num_neighbors:
            asked = "num_neighbors not logged"
        lines.append(
            f"  hop {row.hop}: {row.expanded} nodes expanded, {row.sampled} edges sampled ({asked}), "
            f"{row.new_nodes} new nodes"
        )
    nodes, _ = global_nodes(batch, num_users)
    shown = " ".join(map(str, nodes.tolist()[:60])) + (" ..." if nodes.size > 60 else "")
    lines.append(f"  global ids (n_id): {shown}")
    if batch_kind(batch) == "node":
        lines.append("  leakage: none possible: a node batch has no supervision edges")
    elif result.num_leaking == 0:
        lines.append(
            f"  leakage: none of its {result.src.size} positive supervision edges is a message-passing edge of the "
            "batch"
        )
    else:
        pairs = [
            f"{name_of(graph, int(s))}–{name_of(graph, int(d))}"
            for s, d in zip(result.src[result.leaking], result.dst[result.leaking], strict=True)
        ]
        lines.append(
            f"  LEAKAGE: {result.num_leaking} of its {result.src.size} positive supervision edges are also "
            f"message-passing edges of the batch (either direction): {listed(pairs)}"
        )
        lines.append(f"  fix: {result.fix}")
    return lines


def hop_count_words(batch: PygBatch) -> str:
    asked = "num_neighbors not logged" if not batch.num_neighbors else f"num_neighbors {batch.num_neighbors}"
    return f"{batch.num_hops} hops, {asked}"


def listed(names: list[str]) -> str:
    return ", ".join(names[:MAX_LISTED]) + (f" and {len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def batch_json(run_id: str, batch: PygBatch, graph: InteractionGraph | None) -> dict:
    """The batch as one JSON object: header, seeds, hops, nodes, edges, supervision edges and the leakage verdict."""
    num_users = None if graph is None else graph.num_users
    nodes, node_hop = global_nodes(batch, num_users)
    src, dst, edge_hop = message_passing(batch)
    result = leakage(batch, num_users)
    return {
        "run": run_id,
        "epoch": batch.epoch,
        "batch": batch.index,
        "kind": batch_kind(batch),
        "hetero": batch.hetero,
        "num_neighbors": batch.num_neighbors,
        "seeds": [{"id": int(n), "name": name_of(graph, int(n))} for n in seeds(batch, num_users)],
        "hops": [vars(row) for row in hop_counts(batch)],
        "nodes": [
            {"id": int(n), "name": name_of(graph, int(n)), "hop": int(h)}
            for n, h in zip(nodes.tolist(), node_hop.tolist(), strict=True)
        ],
        "edges": [
            {"src": int(nodes[s]), "dst": int(nodes[d]), "hop": int(h)}
            for s, d, h in zip(src.tolist(), dst.tolist(), edge_hop.tolist(), strict=True)
        ],
        "supervision": [
            {"src": int(s), "dst": int(d), "leaking": bool(k)}
            for s, d, k in zip(result.src.tolist(), result.dst.tolist(), result.leaking.tolist(), strict=True)
        ],
        "leaking": result.num_leaking,
        "fix": result.fix if result.num_leaking else None,
    }
