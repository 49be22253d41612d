"""``python -m engine runs``: the runs of a runs directory as a table or JSON, filtered by ``--where`` and ``--tag``."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from engine.runs.names import DEFAULT_RUNS_DIR
from engine.runs.query import WHERE_FIELDS

NOTE_CHARS = 30  # the table shows the first line of a note, cut to this


def register(subparsers: argparse._SubParsersAction) -> None:
    runs = subparsers.add_parser("runs", help="table of the runs in a runs directory")
    runs.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="the runs directory (default: %(default)s)")
    runs.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help=f"only runs whose FIELD is VALUE (repeatable, all must hold); FIELD: {', '.join(WHERE_FIELDS)}",
    )
    runs.add_argument("--tag", action="append", default=[], help="only runs with this tag (repeatable)")
    runs.add_argument("--json", action="store_true", help="print a JSON list")
    runs.set_defaults(func=run_runs)


def experiment_members(runs_dir: str | Path) -> dict[str, list[str]]:
    """Run id -> the experiments listing it; an experiment whose file cannot be read lists none."""
    from engine.experiments.runner import list_experiments, read_experiment

    members: dict[str, list[str]] = {}
    for name in list_experiments(runs_dir):
        try:
            document = read_experiment(runs_dir, name)
        except ValueError:
            continue
        for member in document.get("members") or []:
            if isinstance(member, dict) and isinstance(member.get("run_id"), str):
                members.setdefault(member["run_id"], []).append(name)
    return members


def run_runs(args: argparse.Namespace) -> int:
    from engine.runs.query import filter_runs, parse_where
    from engine.runs.runstore import RunStore

    where = parse_where(args.where) + [("tag", tag) for tag in args.tag]
    runs = RunStore(args.runs_dir).list()
    if where:
        needs_experiments = any(field == "experiment" for field, _ in where)
        runs = filter_runs(runs, where, experiment_members(args.runs_dir) if needs_experiments else None)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "run_id": r.run_id,
                        "path": str(r.path),
                        "state": r.state,
                        "config": r.config,
                        "status": r.status,
                        "summary": r.summary,
                        "protocol": r.protocol,
                        "damaged": r.damaged,
                        "outside": r.outside,
                        "tags": r.tags,
                        "note": r.note,
                    }
                    for r in runs
                ]
            )
        )
        return 0
    if not runs:
        print(f"no runs in {args.runs_dir}" + (" match " + " ".join(f"{f}={v}" for f, v in where) if where else ""))
        return 0
    rows = [("RUN", "MODEL", "DATASET", "STATE", "EPOCH", "NDCG@K (test)", "SELECTED", "UPDATED", "TAGS", "NOTE")]
    for run in runs:
        test = (run.summary or {}).get("test", {})
        ndcg_keys = sorted((key for key in test if key.startswith("ndcg@")), key=lambda key: int(key[5:]))
        ndcg = f"{ndcg_keys[-1]}={test[ndcg_keys[-1]]:.4f}" if ndcg_keys else "-"
        updated = run.status.get("updated_at")
        note = run.note.splitlines()[0] if run.note.strip() else ""
        rows.append(
            (
                run.run_id
                + (" (damaged)" if run.damaged else "")
                + (" (outside the runs directory)" if run.outside else ""),
                str(run.config.get("model", "?")),
                str(run.config.get("dataset", "?")),
                run.state,
                f"{run.status.get('epoch', 0)}/{run.status.get('total_epochs', '?')}",
                ndcg,
                run.protocol,
                time.strftime("%Y-%m-%d %H:%M", time.localtime(updated)) if isinstance(updated, (int, float)) else "-",
                ",".join(run.tags) or "-",
                note if len(note) <= NOTE_CHARS else note[: NOTE_CHARS - 1] + "…",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0
