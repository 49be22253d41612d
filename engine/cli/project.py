"""``python -m engine project``: cache 2-D maps of a run's embedding snapshots.

The dashboard's background job runs this module directly (``python -m engine.cli.project``), so a
projection never depends on the rest of the command line importing cleanly.
"""

from __future__ import annotations

import argparse
import sys

from engine.analysis.projection import METHODS, ProjectionError
from engine.analysis.store import ProjectionStore
from engine.cli.args import Parser, UserError, whole_number


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("project", help="project a run's embedding snapshots to 2-D (PCA or UMAP)")
    add_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (runs/<run-id>)")
    parser.add_argument("--method", choices=METHODS, default="umap", help="projection method (default: %(default)s)")
    parser.add_argument(
        "--epochs", default="all", help="comma-separated snapshot epochs, or 'all' (default: %(default)s)"
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="UMAP random state (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = ProjectionStore(args.run_dir)
    if not store.run_dir.is_dir():
        raise FileNotFoundError(f"run directory {args.run_dir!r} does not exist")
    epochs = store.epochs() if args.epochs == "all" else _parse_epochs(args.epochs)
    if not epochs:
        raise ProjectionError(f"run {store.run_dir.name!r} has no embedding snapshots to project")
    failed = 0
    for epoch in sorted(epochs):
        try:
            projection = store.compute(epoch, args.method, seed=args.seed)
            where = store.path(epoch, args.method)
            print(f"epoch {epoch}: {args.method} of {len(projection.coords)} points -> {where}")
        except ProjectionError as error:
            failed += 1
            print(f"epoch {epoch}: error: {error}", file=sys.stderr)
        finally:
            store.finish_pending(epoch, args.method)
    return 1 if failed else 0


def _parse_epochs(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise ProjectionError(f"--epochs must be 'all' or comma-separated integers (got {text!r})") from error


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m engine.cli.project", description=__doc__.splitlines()[0])
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (UserError, ProjectionError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
