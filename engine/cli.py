"""``python -m engine``: one argparse parser whose sub-commands live beside the code they drive."""

from __future__ import annotations

import argparse
import importlib
import math
import re
import sys
from typing import NoReturn

# Each module exposes ``register(subparsers)``, adding its sub-commands with ``set_defaults(func=...)``;
# ``func(args)`` returns the exit code.
COMMAND_MODULES = (
    "engine.datasets.cli",
    "engine.analysis.cli",
    "engine.training.cli",
    "engine.training.run_cli",
    "engine.sampling.cli",
    "engine.experiments.cli",
    "engine.report.cli",
)


class UserError(Exception):
    """A mistake the user can fix; printed as one line without a traceback."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are one :class:`UserError` line, and that reads ``-1,-1`` as a value.

    argparse before Python 3.13 takes a word starting with ``-`` for an option unless it is a single negative
    number, so ``--fanouts -1,-1`` was refused while ``--fanouts=-1,-1`` worked; Python 3.13's rule (a ``-`` then
    a digit starts a value) is applied on every version.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"-\.?\d")

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see {self.prog} --help)")


def whole_number(text: str) -> int:
    """argparse type: an integer written in digits; ``1e3`` or ``2.5`` is refused rather than rounded."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number such as 10 (got {text!r})") from None


def finite_number(text: str) -> float:
    """argparse type: a finite real number; ``nan`` and ``inf`` are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.5 (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number (got {text!r})")
    return value


def build_parser() -> argparse.ArgumentParser:
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
