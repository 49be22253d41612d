"""``python -m engine experiment | compare``: run models x seeds (x grid points) on one split, then compare them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from engine.cli.args import finite_number, whole_number
from engine.runs.names import DEFAULT_RUNS_DIR

if TYPE_CHECKING:
    from engine.experiments.spec import ExperimentSpec


def register(subparsers: argparse._SubParsersAction) -> None:
    experiment = subparsers.add_parser(
        "experiment",
        help="train every model x seed (x grid point) on one dataset, resumably; grouped under RUNS_DIR/experiments",
    )
    experiment.add_argument("--name", required=True, help="the experiment's name (its folder, its runs' prefix)")
    experiment.add_argument("--dataset", help="dataset name or csv:PATH (default: synthetic)")
    experiment.add_argument("--data-dir", help="folder holding the dataset's files")
    experiment.add_argument("--models", help="comma-separated models, e.g. mf,lightgcn (or --tuned)")
    experiment.add_argument(
        "--tuned",
        metavar="STUDY1,STUDY2",
        help="run each study's best configuration (python -m engine tune), one study per model; dataset, models, "
        "split and settings come from the studies, whose budgets must agree within 20%% on trials or on CPU-minutes",
    )
    experiment.add_argument(
        "--allow-unequal-budgets",
        action="store_true",
        help="with --tuned: run even when the studies' trials or CPU-minutes differ by more than 20%% (the comparison "
        "then opens with a warning)",
    )
    experiment.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default: %(default)s)")
    experiment.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="MODEL.PARAM=V1,V2",
        help="values to try (repeatable); each model must get as many grid points; chosen on validation",
    )
    experiment.add_argument("--epochs", type=whole_number, help="every run's epochs (default: each model's own)")
    experiment.add_argument("--k", dest="ks", type=whole_number, nargs="+", metavar="K", help="metric cut-offs")
    experiment.add_argument("--split", help="random, leave-one-out or temporal (default: random)")
    experiment.add_argument("--test-ratio", type=finite_number, help="held-out test share (default: 0.2)")
    experiment.add_argument(
        "--val-ratio", type=finite_number, help="validation share choosing epochs and grid points (default: 0.1)"
    )
    experiment.add_argument("--patience", type=whole_number, help="early-stopping patience, 0 = off (default: 5)")
    experiment.add_argument("--device", help="auto, cpu or cuda (default: auto)")
    experiment.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="the runs directory (default: %(default)s)")
    experiment.add_argument("--quiet", action="store_true", help="no progress bar")
    experiment.add_argument(
        "--refit",
        action="store_true",
        help="refit each model's chosen settings on train + validation per seed (test read once); compare those",
    )
    experiment.set_defaults(func=run_experiment_command)

    compare = subparsers.add_parser(
        "compare", help="mean, CI over seeds and paired per-user tests of runs against a baseline model"
    )
    compare.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="runs to compare (or --experiment)")
    compare.add_argument("--experiment", metavar="NAME", help="compare the runs of this experiment")
    compare.add_argument("--baseline", required=True, metavar="MODEL", help="the model the others are paired with")
    compare.add_argument("--k", type=whole_number, default=10, help="cut-off K (default: %(default)s)")
    compare.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="where --experiment looks (default: %(default)s)")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(func=run_compare_command)


# Flags a tuned comparison takes from its studies, so a value given with --tuned would be ignored: refused instead
TUNED_FROM_STUDIES = ("dataset", "data_dir", "models", "grid", "epochs", "ks", "split", "test_ratio", "val_ratio")
TUNED_FROM_STUDIES += ("patience",)


def spec_from_args(args: argparse.Namespace) -> ExperimentSpec:
    """The experiment the flags describe (only the flags given enter ``base``, so equal commands give equal specs)."""
    from engine.experiments.spec import ExperimentSpec

    if args.tuned is not None:
        from engine.experiments.tuned import tuned_spec

        given = [f"--{name.replace('_', '-')}" for name in TUNED_FROM_STUDIES if getattr(args, name) not in (None, [])]
        if given:
            raise ValueError(
                f"--tuned takes the dataset, models, split and training settings from its studies; leave out "
                f"{', '.join(given).replace('--ks', '--k')}"
            )
        return tuned_spec(
            args.runs_dir, args.name, args.tuned, args.seeds, args.allow_unequal_budgets, args.device, args.refit
        )
    if args.allow_unequal_budgets:
        raise ValueError("--allow-unequal-budgets goes with --tuned STUDY1,STUDY2 (budgets are those of studies)")
    if not args.models:
        raise ValueError("give --models MODEL1,MODEL2 (or --tuned STUDY1,STUDY2 for the studies' best configurations)")
    return ExperimentSpec.from_options(
        name=args.name,
        dataset=args.dataset or "synthetic",
        models=args.models,
        seeds=args.seeds,
        grid=args.grid,
        epochs=args.epochs,
        ks=args.ks,
        data_dir=args.data_dir,
        device=args.device,
        split=args.split,
        test_ratio=args.test_ratio,
        val_ratio=args.val_ratio,
        patience=args.patience,
        refit=args.refit,
    )


def run_experiment_command(args: argparse.Namespace) -> int:
    from engine.experiments.budgets import budget_lines, budget_problem, unequal_warning
    from engine.experiments.runner import ExperimentInterrupted, run_experiment

    spec = spec_from_args(args)
    models = spec.models
    try:
        document = run_experiment(spec, args.runs_dir, progress=not args.quiet)
    except ExperimentInterrupted as stopped:
        print(f"experiment {args.name} stopped: {stopped}", file=sys.stderr)
        return 1
    for line in budget_lines(spec.tuned):
        print(f"tuning budget: {line}")
    if (problem := budget_problem(spec.tuned)) is not None:
        print(unequal_warning(problem), file=sys.stderr)
    print(f"experiment {args.name}: {len(document['members'])} runs finished")
    print(f"compare them with: python -m engine compare --experiment {args.name} --runs-dir {args.runs_dir} "
          f"--baseline {models[0]}")  # fmt: skip
    print(spec.path(args.runs_dir))
    return 0


def run_compare_command(args: argparse.Namespace) -> int:
    from engine.experiments.results import comparison, experiment_comparison, render, runs_of_directories

    if bool(args.experiment) == bool(args.run_dirs):
        raise ValueError("give either --experiment NAME or RUN_DIR ... (not both, not neither)")
    if args.experiment:
        summary = experiment_comparison(args.runs_dir, args.experiment, args.baseline, args.k)
    else:
        summary = comparison(runs_of_directories(args.run_dirs), args.baseline, args.k)
    print(json.dumps(summary) if args.json else render(summary))
    return 0
