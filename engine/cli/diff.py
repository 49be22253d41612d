"""``python -m engine diff``: the config fields two runs differ in, model parameters included, side by side."""

from __future__ import annotations

import argparse
import json

from engine.cli.args import UserError, run_path
from engine.runs.names import DEFAULT_RUNS_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    diff = subparsers.add_parser(
        "diff",
        help="the config fields two runs differ in, side by side",
        description="Compare two runs' config.json, with the model's parameters as params.<name>: each field that "
        "differs, with both values.",
    )
    diff.add_argument("run_a", metavar="RUN_A", help="a run id in --runs-dir, or a run directory")
    diff.add_argument("run_b", metavar="RUN_B", help="a run id in --runs-dir, or a run directory")
    diff.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="the runs directory (default: %(default)s)")
    diff.add_argument("--json", action="store_true", help="print one JSON object")
    diff.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    from engine.runs.query import config_diff, shown_value
    from engine.runs.rundir import read_run

    runs = [read_run(run_path(name, args.runs_dir)) for name in (args.run_a, args.run_b)]
    for run in runs:
        if not run.config:
            raise UserError(f"run {run.run_id!r} has no readable config.json ({'; '.join(run.damaged)})")
    a, b = runs
    rows = config_diff(a.config, b.config)
    if args.json:
        differ = [{"field": field, "a": value_a, "b": value_b} for field, value_a, value_b in rows]
        print(json.dumps({"a": a.run_id, "b": b.run_id, "identical": not rows, "differ": differ}))
        return 0
    if not rows:
        print(f"runs {a.run_id} and {b.run_id} have identical configs")
        return 0
    table = [("FIELD", a.run_id, b.run_id)] + [(field, shown_value(x), shown_value(y)) for field, x, y in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0
