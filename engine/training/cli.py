"""``python -m engine train | evaluate | runs``: start or resume a run, score a run, list runs.

Flags override a ``--config`` file, which overrides :class:`TrainConfig`'s defaults; every value is checked before
the run directory is created. The dashboard builds its subprocess with :func:`train_command`, so the Train page and
the CLI always agree.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from engine.cli import finite_number, whole_number
from engine.splits import SPLIT_METHODS
from engine.training.config import DEVICES, METRIC_NAMES, TrainConfig, resolve
from engine.training.rundir import CONFIG

RUNS_DIR = "runs"  # where run directories go unless --runs-dir says otherwise


def true_or_false(text: str) -> bool:
    """argparse type: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``), as :func:`train_command` writes a bool."""
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.strip().lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false (got {text!r})")
    return words[text.strip().lower()]


# (flag, TrainConfig field, type, help without choices and default: both are appended from the engine's own)
_CONFIG_FLAGS: tuple[tuple[str, str, type, str], ...] = (
    ("--dataset", "dataset", str, "dataset name, csv:PATH or lightgcn:DIR"),
    ("--data-dir", "data_dir", str, "folder holding the dataset's files"),
    ("--model", "model", str, "the recommender"),
    ("--epochs", "epochs", whole_number, "training epochs"),
    ("--dim", "dim", whole_number, "embedding dimension"),
    ("--lr", "lr", finite_number, "Adam learning rate"),
    ("--batch-size", "batch_size", whole_number, "training edges per step"),
    ("--negatives", "num_negatives", whole_number, "uniform negatives per positive"),
    ("--split", "split", str, "how test interactions are held out"),
    ("--test-ratio", "test_ratio", finite_number, "held-out share per user"),
    (
        "--val-ratio",
        "val_ratio",
        finite_number,
        "per-user validation share (curves, best epoch, stopping); 0: test-selected",
    ),
    ("--min-rating", "min_rating", finite_number, "keep interactions rated at least this"),
    ("--k-core", "k_core", whole_number, "drop users/items with fewer interactions, repeatedly; 0 = off"),
    ("--eval-every", "eval_every", whole_number, "evaluate every N epochs"),
    ("--patience", "patience", whole_number, "evaluations without improvement before stopping"),
    ("--monitor", "monitor", str, "metric picking the best epoch"),
    ("--seed", "seed", whole_number, "seed of split, model, batches, negatives"),
    ("--device", "device", str, "where to train"),
    ("--threads", "threads", whole_number, "torch CPU threads; a run repeats bit for bit with the same count"),
    (
        "--deterministic",
        "deterministic",
        true_or_false,
        "kernels that add in a fixed order; false: torch's defaults, with which two runs differ on several threads",
    ),
    ("--max-snapshots", "max_snapshots", whole_number, "embedding snapshots kept"),
)
_RESUMABLE = {"epochs", "device"}
# What a field left at None in TrainConfig means, for the help of its flag.
_NONE_MEANS = {"data_dir": "the dataset's own place", "min_rating": "keep all", "threads": "this process's torch count"}


def choices_text(name: str) -> str:
    """``: a, b, c`` for a field with named choices (model, split, monitor, device), else nothing."""
    from engine.models import MODELS

    choices = {"model": tuple(MODELS), "split": SPLIT_METHODS, "monitor": METRIC_NAMES, "device": DEVICES}
    return ": " + ", ".join(choices[name]) if name in choices else ""


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
    for flag, dest, kind, help_text in _CONFIG_FLAGS:
        metavar = flag.removeprefix("--").replace("-", "_").upper()
        help_text = f"{help_text}{choices_text(dest)} (default: {default_text(dest)})".replace("%", "%%")
        train.add_argument(flag, dest=dest, type=kind, default=None, metavar=metavar, help=help_text)
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
    train.add_argument("--runs-dir", default=RUNS_DIR, help="where run directories go (default: %(default)s)")
    train.add_argument("--run-id", help="name of the new run (default: <model>-<dataset>-<utc time>-<hex>)")
    train.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its last checkpoint")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
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

    runs = subparsers.add_parser("runs", help="table of the runs in a runs directory")
    runs.add_argument("--runs-dir", default=RUNS_DIR, help="the runs directory (default: %(default)s)")
    runs.add_argument("--json", action="store_true", help="print a JSON list")
    runs.set_defaults(func=run_runs)


def train_command(
    config: TrainConfig, runs_dir: str | Path, run_id: str | None = None, python: str = sys.executable
) -> list[str]:
    """The exact ``python -m engine train ...`` invocation for ``config`` (what the dashboard runs)."""
    command = [python, "-m", "engine", "train"]
    for flag, dest, _, _ in _CONFIG_FLAGS:
        value = getattr(config, dest)
        if value is not None:
            command += [flag, str(value)]
    command += ["--k", *map(str, config.ks)]
    for name, value in sorted(config.params.items()):
        command += ["--param", f"{name}={value}"]
    command += ["--runs-dir", str(runs_dir), "--quiet"]
    if run_id is not None:
        command += ["--run-id", run_id]
    return command


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Defaults, then ``--config``, then flags; resolved and checked."""
    config = TrainConfig.from_file(args.config) if args.config else TrainConfig()
    changes = {dest: getattr(args, dest) for _, dest, _, _ in _CONFIG_FLAGS if getattr(args, dest) is not None}
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
        extra = [
            flag for flag, dest, _, _ in _CONFIG_FLAGS if getattr(args, dest) is not None and dest not in _RESUMABLE
        ]
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
        path = train(config_from_args(args), args.runs_dir, args.run_id, progress=not args.quiet)
    from engine.training.rundir import read_run

    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun, rank 0 speaks for the run
        return 0
    state = read_run(path).state
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


def run_runs(args: argparse.Namespace) -> int:
    from engine.training.runstore import RunStore

    runs = RunStore(args.runs_dir).list()
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
                    }
                    for r in runs
                ]
            )
        )
        return 0
    if not runs:
        print(f"no runs in {args.runs_dir}")
        return 0
    rows = [("RUN", "MODEL", "DATASET", "STATE", "EPOCH", "NDCG@K (test)", "SELECTED", "UPDATED")]
    for run in runs:
        test = (run.summary or {}).get("test", {})
        ndcg_keys = sorted((key for key in test if key.startswith("ndcg@")), key=lambda key: int(key[5:]))
        ndcg = f"{ndcg_keys[-1]}={test[ndcg_keys[-1]]:.4f}" if ndcg_keys else "-"
        updated = run.status.get("updated_at")
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
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0
