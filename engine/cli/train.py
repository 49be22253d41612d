"""``python -m engine train | evaluate``: start or resume a run, score a run.

Flags override a ``--config`` file, which overrides :class:`TrainConfig`'s defaults; every value is checked before
the run directory is created. The dashboard builds its subprocess with :func:`engine.commands.train_command`, from
the same flag table, so the Train page and the CLI always agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from engine.cli.args import finite_number, true_or_false, whole_number
from engine.commands import CONFIG_FLAGS, RESUMABLE
from engine.runs.config import DEVICES, METRIC_NAMES, TrainConfig, resolve
from engine.runs.names import CONFIG, DEFAULT_RUNS_DIR
from engine.splits import SPLIT_METHODS

# The argparse type of each kind of flag in engine.commands.CONFIG_FLAGS.
_TYPES = {"int": whole_number, "real": finite_number, "str": str, "bool": true_or_false}
# What a field left at None in TrainConfig means, for the help of its flag.
_NONE_MEANS = {"data_dir": "the dataset's own place", "min_rating": "keep all", "threads": "this process's torch count"}


def choices_text(name: str) -> str:
    """``: a, b, c`` for a field with named choices (model, split, monitor, device), else nothing."""
    from engine.models import MODELS

    choices = {"model": tuple(MODELS), "split": SPLIT_METHODS, "monitor": METRIC_NAMES, "device": DEVICES}
    own = ", or your own Recommender subclass as package.module:ClassName" if name == "model" else ""
    return ": " + ", ".join(choices[name]) + own if name in choices else ""


def default_text(name: str) -> str:
    """The ``(default: ...)`` part of a flag's help, read from :class:`TrainConfig` and the models' defaults."""
    from engine.models import MODELS

    default = {f.name: f for f in dataclasses.fields(TrainConfig)}[name]
    value = default.default_factory() if default.default is dataclasses.MISSING else default.default
    if isinstance(value, list):
        return " ".join(map(str, value))
    if value is not None:
        return str(value)
    if name in _NONE_MEANS:
        return _NONE_MEANS[name]
    return "the model's: " + ", ".join(f"{key} {getattr(cls.default_train, name)}" for key, cls in MODELS.items())


def register(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train a model; prints the run directory on its last line")
    for flag, dest, kind, help_text in CONFIG_FLAGS:
        metavar = flag.removeprefix("--").replace("-", "_").upper()
        help_text = f"{help_text}{choices_text(dest)} (default: {default_text(dest)})".replace("%", "%%")
        train.add_argument(flag, dest=dest, type=_TYPES[kind], default=None, metavar=metavar, help=help_text)
    train.add_argument(
        "--k",
        dest="ks",
        type=whole_number,
        nargs="+",
        metavar="K",
        help=f"metric cut-offs (default: {default_text('ks')})",
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a model hyper-parameter (repeatable), e.g. --param num_layers=3",
    )
    train.add_argument("--config", help=f"JSON config file (e.g. another run's {CONFIG}); flags override it")
    train.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="where run directories go (default: %(default)s)")
    train.add_argument("--run-id", help="name of the new run (default: <model>-<dataset>-<utc time>-<hex>)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its last checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    train.add_argument(
        "--refit",
        action="store_true",
        help="then train the settings again on train + validation for the best epoch, testing once; prints that run",
    )
    train.set_defaults(func=run_train)

    evaluate = subparsers.add_parser("evaluate", help="metrics of a trained run on its test (or validation) split")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument(
        "--split", choices=("test", "val"), default="test", help="held-out slice (default: %(default)s)"
    )
    evaluate.add_argument(
        "--k", dest="ks", type=whole_number, nargs="+", metavar="K", help="cut-offs (default: the run's)"
    )
    evaluate.add_argument("--device", default="cpu", help="cpu, cuda or auto (default: %(default)s)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.set_defaults(func=run_evaluate)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then ``--config``, then flags; resolved and checked."""
    config = TrainConfig.from_file(args.config) if args.config else TrainConfig()
    changes = {dest: getattr(args, dest) for _, dest, _, _ in CONFIG_FLAGS if getattr(args, dest) is not None}
    if args.ks is not None:
        changes["ks"] = list(args.ks)
    if args.param:
        if not isinstance(config.params, dict):
            raise ValueError(f"'params' in {args.config} must be a JSON object of NAME: VALUE (got {config.params!r})")
        changes["params"] = {**config.params, **parse_params(args.param)}
    return resolve(dataclasses.replace(config, **changes))


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--param expects NAME=VALUE (got {pair!r}), e.g. --param num_layers=3")
        params[name.strip()] = value.strip()
    return params


def run_train(args: argparse.Namespace) -> int:
    from engine.training.trainer import resume, train

    if args.resume:
        extra = [flag for flag, dest, _, _ in CONFIG_FLAGS if getattr(args, dest) is not None and dest not in RESUMABLE]
        extra += [
            flag
            for flag, given in (
                ("--k", args.ks),
                ("--param", args.param),
                ("--config", args.config),
                ("--run-id", args.run_id),
            )
            if given
        ]
        if extra:
            raise ValueError(
                f"--resume continues a run with its saved config; only --epochs and --device may change "
                f"(got {', '.join(extra)})"
            )
        if not Path(args.resume).is_dir():
            raise FileNotFoundError(f"run directory {args.resume} does not exist")
        path = resume(args.resume, epochs=args.epochs, device=args.device, progress=not args.quiet)
    else:
        config = config_from_args(args)
        if args.refit and config.val_ratio <= 0:
            raise ValueError("--refit retrains the epoch chosen on validation, so it needs --val-ratio above 0")
        path = train(config, args.runs_dir, args.run_id, progress=not args.quiet)
    from engine.runs.rundir import read_run

    state = read_run(path).state
    selected = None
    if args.refit and state == "finished":
        from engine.training.refit import refit

        selected, path = path, refit(path, progress=not args.quiet)
        state = read_run(path).state
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun, rank 0 speaks for the run
        return 0
    if selected is not None:
        print(f"selected on validation: {selected}; refit on train + validation (test read once):", file=sys.stderr)
    if state != "finished":
        resume_command = "torchrun --nproc-per-node N -m engine" if os.environ.get("WORLD_SIZE") else "python -m engine"
        print(f"run {state}; continue it with: {resume_command} train --resume {path}", file=sys.stderr)
    print(path)
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from engine.training.evaluation import EvalData, evaluate
    from engine.training.load import load_run

    if not Path(args.run_dir).is_dir():
        raise FileNotFoundError(f"run directory {args.run_dir} does not exist")
    loaded = load_run(args.run_dir, device=args.device)
    data = EvalData.from_split(loaded.split)
    if args.split == "val" and not data.has_validation:
        raise ValueError(f"run {loaded.run.run_id} has no validation slice (val_ratio 0); use --split test")
    ks = args.ks or loaded.config.ks
    user_emb, item_emb = loaded.model.embeddings()
    metrics = evaluate(user_emb, item_emb, data, args.split, ks, loaded.config.eval_batch_size)
    if args.json:
        print(json.dumps({"run_id": loaded.run.run_id, "epoch": loaded.epoch, "split": args.split, **metrics}))
        return 0
    print(
        f"{loaded.run.run_id}  model {loaded.config.model}  epoch {loaded.epoch}  {args.split} "
        f"({metrics['users']} users)"
    )
    for key, value in metrics.items():
        if key != "users":
            print(f"  {key:<14} {value:.4f}")
    return 0
