"""``python -m engine tune``: an Optuna study of one model on one dataset; prints one line per trial, then the run
directory of the refit (``--refit``) or of the best trial on the last line (``--json``: the study's summary)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.cli.args import finite_number, whole_number
from engine.runs.names import DEFAULT_RUNS_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    tune = subparsers.add_parser(
        "tune",
        help="search a model's hyper-parameters on the validation slice (Optuna: TPE, median pruning); resumable",
    )
    tune.add_argument("--name", required=True, help="the study's name; the same command again continues it")
    tune.add_argument("--dataset", default="synthetic", help="dataset name or csv:PATH (default: %(default)s)")
    tune.add_argument("--data-dir", help="folder holding the dataset's files")
    tune.add_argument("--model", required=True, help="mf, lightgcn, graphsage or pinsage")
    tune.add_argument(
        "--trials", type=whole_number, default=20, help="finished or pruned trials the study must hold (default: 20)"
    )
    tune.add_argument("--timeout", type=finite_number, help="start no trial after this many seconds")
    tune.add_argument(
        "--cpu-minutes",
        type=finite_number,
        help="the study's CPU budget, summed over its trials (every process, every run of the command): no trial "
        "starts once it is spent and the trial that spends it stops at its next evaluated epoch",
    )
    tune.add_argument(
        "--storage",
        metavar="URL",
        help="a database several tune processes share, e.g. postgresql://USER@HOST:PORT/DB (password from "
        "PGPASSWORD or ~/.pgpass); default: a journal file in RUNS_DIR/studies",
    )
    tune.add_argument("--refit", action="store_true", help="at the end, train the best on train + validation")
    tune.add_argument("--metric", default="ndcg@20", help="validation metric to maximise (default: %(default)s)")
    tune.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME=LOW:HIGH|V1,V2",
        help="narrow the model's search space (repeatable), e.g. --space lr=1e-4:1e-2 --space num_layers=1,2",
    )
    tune.add_argument("--epochs", type=whole_number, help="most epochs per trial (default: the model's)")
    tune.add_argument("--dim", type=whole_number, default=64, help="embedding dimension (default: %(default)s)")
    tune.add_argument("--seed", type=whole_number, default=0, help="seed of the split, trials and TPE (default: 0)")
    tune.add_argument("--split", default="random", help="random, leave-one-out, temporal or fixed (default: random)")
    tune.add_argument("--test-ratio", type=finite_number, default=0.2, help="held-out test share (default: 0.2)")
    tune.add_argument("--val-ratio", type=finite_number, default=0.1, help="validation share (default: 0.1)")
    tune.add_argument("--k", dest="ks", type=whole_number, nargs="+", metavar="K", help="cut-offs, the metric's last")
    tune.add_argument("--patience", type=whole_number, help="early-stopping patience per trial (default: 5)")
    tune.add_argument("--device", default="auto", help="auto, cpu or cuda (default: %(default)s)")
    tune.add_argument(
        "--pruner-startup", type=whole_number, default=5, help="trials finished before any is pruned (default: 5)"
    )
    tune.add_argument(
        "--defaults-first",
        action="store_true",
        help="a new study's first trial is the model's defaults, so it says whether they hold on the same budget",
    )
    tune.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="where runs and studies go (default: %(default)s)")
    tune.add_argument("--json", action="store_true", help="print the study's summary as one JSON object")
    tune.add_argument("--quiet", action="store_true", help="no per-trial progress bar")
    tune.set_defaults(func=run_tune)


def settings_from_args(args: argparse.Namespace):
    """The :class:`~engine.tuning.runner.TuneSettings` the flags describe."""
    from engine.runs.config import TrainConfig
    from engine.tuning.runner import TuneSettings

    base = TrainConfig(
        dataset=args.dataset,
        data_dir=args.data_dir,
        model=args.model,
        epochs=args.epochs,
        dim=args.dim,
        split=args.split,
        test_ratio=args.test_ratio,
        val_ratio=args.val_ratio,
        seed=args.seed,
        device=args.device,
        **({"ks": list(args.ks)} if args.ks else {}),
        **({"patience": args.patience} if args.patience is not None else {}),
    )
    return TuneSettings(
        name=args.name,
        base=base,
        metric=args.metric,
        space=args.space,
        trials=args.trials,
        timeout=args.timeout,
        cpu_minutes=args.cpu_minutes,
        storage=args.storage,
        refit=args.refit,
        pruner_startup=args.pruner_startup,
        defaults_first=args.defaults_first,
        ks_given=bool(args.ks),
    )


def run_tune(args: argparse.Namespace) -> int:
    import optuna

    from engine.runs.rundir import RunDir
    from engine.tuning.runner import prepare, run_study
    from engine.tuning.studies import study_info

    settings = settings_from_args(args)
    prepare(settings)  # every bad flag is one error line before anything is created
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # each trial is reported once, below
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    try:
        info = run_study(settings, args.runs_dir, report=say, progress=not args.quiet and not args.json)
    except KeyboardInterrupt as stopped:
        kept = study_info(args.runs_dir, settings.name)
        print(
            f"study {settings.name} stopped ({stopped or 'Ctrl-C'}); {kept.trials} finished or pruned trial(s) kept; "
            "run the same command to continue it",
            file=sys.stderr,
        )
        return 130
    run_id = info.refit_run or info.best_run
    if run_id is None:
        raise ValueError(f"study {settings.name!r} has no finished trial ({info.failed} failed, {info.pruned} pruned)")
    path = Path(args.runs_dir) / run_id
    summary = RunDir(path).read().summary or {}
    if args.json:
        print(json.dumps({**info.to_dict(), "run_dir": str(path), "run_summary": summary}, default=str))
        return 0
    print(
        f"study {info.name}: {info.done} finished, {info.pruned} pruned, {info.failed} failed trial(s); "
        f"{info.cpu_seconds / 60:.1f} CPU-minutes"
    )
    shown = ", ".join(f"{name}={value:.3g}" if isinstance(value, float) else f"{name}={value}"
                      for name, value in sorted(info.best_params.items()))  # fmt: skip
    print(f"best: trial {info.best_trial}, validation {info.metric} {info.best_value:.4f} ({shown})")
    if info.refit_run:
        test = summary.get("test") or {}
        print(f"refit on train + validation: test {info.metric} {test.get(info.metric, float('nan')):.4f}")
    print(path)
    return 0
