"""``python -m engine experiment | compare``: run models x seeds (x grid points) on one split, then compare them."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.cli import finite_number, whole_number
from engine.training.cli import RUNS_DIR

if TYPE_CHECKING:
    from engine.experiments.spec import ExperimentSpec


def register(subparsers: argparse._SubParsersAction) -> None:
    experiment = subparsers.add_parser(
        "experiment",
        help="train every model x seed (x grid point) on one dataset, resumably; grouped under RUNS_DIR/experiments",
    )
    experiment.add_argument("--name", required=True, help="the experiment's name (its folder, its runs' prefix)")
    experiment.add_argument("--dataset", default="synthetic", help="dataset name or csv:PATH (default: %(default)s)")
    experiment.add_argument("--data-dir", help="folder holding the dataset's files")
    experiment.add_argument("--models", required=True, help="comma-separated models, e.g. mf,lightgcn")
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
    experiment.add_argument("--runs-dir", default=RUNS_DIR, help="the runs directory (default: %(default)s)")
    experiment.add_argument("--quiet", action="store_true", help="no progress bar")
    experiment.set_defaults(func=run_experiment_command)

    compare = subparsers.add_parser(
        "compare", help="mean, CI over seeds and paired per-user tests of runs against a baseline model"
    )
    compare.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="runs to compare (or --experiment)")
    compare.add_argument("--experiment", metavar="NAME", help="compare the runs of this experiment")
    compare.add_argument("--baseline", required=True, metavar="MODEL", help="the model the others are paired with")
    compare.add_argument("--k", type=whole_number, default=10, help="cut-off K (default: %(default)s)")
    compare.add_argument("--runs-dir", default=RUNS_DIR, help="where --experiment looks (default: %(default)s)")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.set_defaults(func=run_compare_command)


# ExperimentSpec.base fields and the flags that set them, in the order --help lists them
_BASE_FLAGS = (
    ("data_dir", "--data-dir"),
    ("split", "--split"),
    ("test_ratio", "--test-ratio"),
    ("val_ratio", "--val-ratio"),
    ("patience", "--patience"),
    ("device", "--device"),
)


def compare_command(name: str, runs_dir: str | Path, baseline: str, k: int, python: str = "python") -> str:
    """The ``python -m engine compare --experiment ...`` invocation that prints an experiment's comparison."""
    return shlex.join(
        [python, "-m", "engine", "compare", "--experiment", name, "--runs-dir", str(runs_dir), "--baseline", baseline]
        + ["--k", str(k)]
    )


def _integers(text: str, flag: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"{flag} expects comma-separated whole numbers such as 0,1,2 (got {text!r})") from None
    if any(value < 0 for value in values):
        raise ValueError(f"{flag} must not be negative (got {text!r})")
    return values


def spec_from_args(args: argparse.Namespace) -> ExperimentSpec:
    """The experiment the flags describe (only the flags given enter ``base``, so equal commands give equal specs)."""
    from engine.experiments.spec import ExperimentSpec, parse_grid

    models = [model.strip() for model in args.models.split(",") if model.strip()]
    if not models:
        raise ValueError(f"--models expects comma-separated model names such as mf,lightgcn (got {args.models!r})")
    given = {
        "data_dir": args.data_dir,
        "device": args.device,
        "split": args.split,
        "test_ratio": args.test_ratio,
        "val_ratio": args.val_ratio,
        "patience": args.patience,
    }
    base = {name: value for name, value in given.items() if value is not None}
    if args.ks:
        base["ks"] = sorted(set(args.ks))
    return ExperimentSpec(
        name=args.name,
        dataset=args.dataset,
        models=models,
        seeds=_integers(args.seeds, "--seeds"),
        grid=parse_grid(args.grid, models),
        epochs=args.epochs,
        base=base,
    )


def experiment_command(
    spec: ExperimentSpec | dict[str, Any], runs_dir: str | Path, python: str = sys.executable, quiet: bool = True
) -> list[str]:
    """The ``python -m engine experiment ...`` invocation whose :func:`spec_from_args` is ``spec``: what the dashboard
    runs (``--quiet``: it reads progress from the experiment's folder) and, with ``quiet=False``, what a report prints
    to reproduce or resume an experiment from the spec its ``experiment.json`` saved.

    Raises:
        ValueError: The spec was made through the Python API with shared settings no flag gives (e.g. ``dim``),
            which a command without them would not reproduce.
    """
    if isinstance(spec, dict):
        from engine.experiments.spec import ExperimentSpec

        spec = ExperimentSpec(**spec)
    extra = sorted(set(spec.base) - {name for name, _ in _BASE_FLAGS} - {"ks"})
    if extra:
        raise ValueError(
            f"experiment {spec.name!r} shares settings the experiment command has no flag for "
            f"({', '.join(f'{name}={spec.base[name]!r}' for name in extra)}); it was made with "
            "engine.experiments.run_experiment, and only that reproduces it"
        )
    command = [python, "-m", "engine", "experiment", "--name", spec.name, "--dataset", spec.dataset]
    command += [
        part for name, flag in _BASE_FLAGS if spec.base.get(name) is not None for part in (flag, str(spec.base[name]))
    ]
    command += ["--models", ",".join(spec.models), "--seeds", ",".join(map(str, spec.seeds))]
    for model, axes in spec.grid.items():
        for param, values in axes.items():
            command += ["--grid", f"{model}.{param}=" + ",".join(map(str, values))]
    if spec.epochs is not None:
        command += ["--epochs", str(spec.epochs)]
    if spec.base.get("ks"):
        command += ["--k", *map(str, spec.base["ks"])]
    return [*command, "--runs-dir", str(runs_dir), *(["--quiet"] if quiet else [])]


def run_experiment_command(args: argparse.Namespace) -> int:
    from engine.experiments.runner import ExperimentInterrupted, run_experiment

    spec = spec_from_args(args)
    models = spec.models
    try:
        document = run_experiment(spec, args.runs_dir, progress=not args.quiet)
    except ExperimentInterrupted as stopped:
        print(f"experiment {args.name} stopped: {stopped}", file=sys.stderr)
        return 1
    print(f"experiment {args.name}: {len(document['members'])} runs finished")
    print(f"compare them with: python -m engine compare --experiment {args.name} --runs-dir {args.runs_dir} "
          f"--baseline {models[0]}")  # fmt: skip
    print(spec.path(args.runs_dir))
    return 0


def run_compare_command(args: argparse.Namespace) -> int:
    from engine.experiments.results import comparison, render, runs_of_directories, runs_of_experiment

    if bool(args.experiment) == bool(args.run_dirs):
        raise ValueError("give either --experiment NAME or RUN_DIR ... (not both, not neither)")
    if args.experiment:
        runs, notes = runs_of_experiment(args.runs_dir, args.experiment)
    else:
        runs, notes = runs_of_directories(args.run_dirs), []
    summary = comparison(runs, args.baseline, args.k, notes)
    print(json.dumps(summary) if args.json else render(summary))
    return 0
