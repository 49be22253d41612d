"""``python -m engine``: one argparse parser whose sub-commands live beside the code they drive."""

from __future__ import annotations

import argparse
import importlib
import sys

# Each module exposes ``register(subparsers)``, adding its sub-commands with ``set_defaults(func=...)``;
# ``func(args)`` returns the exit code.
COMMAND_MODULES = (
    "engine.datasets.cli",
    "engine.analysis.cli",
    "engine.training.cli",
    "engine.sampling.cli",
)


class UserError(Exception):
    """A mistake the user can fix; printed as one line without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="GNN RecSys Explorer engine")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
