"""CLI: ``python -m engine``, one module per command, their argument helpers in :mod:`engine.cli.args`."""

from __future__ import annotations

import importlib
import sys

from engine.cli.args import Parser, UserError

# Each module exposes ``register(subparsers)``, adding its sub-commands with ``set_defaults(func=...)``;
# ``func(args)`` returns the exit code. Imported by name so each command's imports stay its own.
COMMAND_MODULES = (
    "engine.cli.data",
    "engine.cli.project",
    "engine.cli.train",
    "engine.cli.runs",
    "engine.cli.tag",
    "engine.cli.diff",
    "engine.cli.run",
    "engine.cli.sample",
    "engine.cli.experiment",
    "engine.cli.tune",
    "engine.cli.report",
    "engine.cli.projector",
    "engine.cli.check_model",
)


def build_parser() -> Parser:
    parser = Parser(prog="python -m engine", description="GNN RecSys Explorer engine")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (UserError, ValueError, OSError) as error:
        print("error: " + " ".join(str(error).split()), file=sys.stderr)
        return 2
