"""``python -m engine check-model package.module:ClassName``: the model contract run on your own Recommender."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "check-model",
        help="run the model contract on your own Recommender subclass (package.module:ClassName)",
        description="Build the class on a small graph with a known answer and check what every model of the engine "
        "passes: embeddings' shapes, a trainable loss, seen items masked, determinism by seed, learning the known "
        "answer, checkpoint round trip, and cold start or a clear refusal. Exit status 1 when a check fails.",
    )
    check.add_argument("model", metavar="package.module:ClassName")
    check.set_defaults(func=run_check_model)


def run_check_model(args: argparse.Namespace) -> int:
    import torch

    from engine.training.contract import check_model

    with torch.random.fork_rng():
        torch.set_num_threads(1)  # tiny tensors: one thread is fastest and repeatable
        checks = check_model(args.model)  # a name that imports nothing raises: one error line
    for check in checks:
        print(f"{'ok  ' if check.passed else 'FAIL'} {check.name}: {check.message}")
    failed = [check for check in checks if not check.passed]
    if failed:
        print(f"{args.model}: {len(failed)} check(s) failed; --model {args.model} needs them to pass")
        return 1
    print(f"{args.model} passes the model contract: train it with python -m engine train --model {args.model}")
    return 0
