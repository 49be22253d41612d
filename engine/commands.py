"""The engine's command lines as data: the flags of ``train`` and the invocations the dashboard starts and the reports
print (``train``, ``train --resume``, ``experiment``, ``compare``), built from a config or a spec in one place, so the
Train page, the report's *Reproduce* section and the CLI always agree."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the spec's module imports the models' registry (torch); a command line needs only its fields
    from engine.experiments.spec import ExperimentSpec
    from engine.runs.config import TrainConfig

# (flag, TrainConfig field, kind: "int", "real", "str" or "bool", help without choices and default: both are appended
# from the engine's own by the train command's parser)
CONFIG_FLAGS: tuple[tuple[str, str, str, str], ...] = (
    ("--dataset", "dataset", "str", "dataset name, csv:PATH or lightgcn:DIR"),
    ("--data-dir", "data_dir", "str", "folder holding the dataset's files"),
    ("--model", "model", "str", "the recommender"),
    ("--epochs", "epochs", "int", "training epochs"),
    ("--dim", "dim", "int", "embedding dimension"),
    ("--lr", "lr", "real", "Adam learning rate"),
    ("--batch-size", "batch_size", "int", "training edges per step"),
    ("--negatives", "num_negatives", "int", "uniform negatives per positive"),
    ("--split", "split", "str", "how test interactions are held out"),
    ("--test-ratio", "test_ratio", "real", "held-out share per user"),
    (
        "--val-ratio",
        "val_ratio",
        "real",
        "per-user validation share (curves, best epoch, stopping); 0: test-selected",
    ),
    ("--min-rating", "min_rating", "real", "keep interactions rated at least this"),
    ("--k-core", "k_core", "int", "drop users/items with fewer interactions, repeatedly; 0 = off"),
    ("--eval-every", "eval_every", "int", "evaluate every N epochs"),
    ("--patience", "patience", "int", "evaluations without improvement before stopping"),
    ("--monitor", "monitor", "str", "metric picking the best epoch"),
    ("--seed", "seed", "int", "seed of split, model, batches, negatives"),
    ("--device", "device", "str", "where to train"),
    ("--threads", "threads", "int", "torch CPU threads; a run repeats bit for bit with the same count"),
    (
        "--deterministic",
        "deterministic",
        "bool",
        "kernels that add in a fixed order; false: torch's defaults, with which two runs differ on several threads",
    ),
    ("--max-snapshots", "max_snapshots", "int", "embedding snapshots kept"),
)
RESUMABLE = {"epochs", "device"}


def train_command(
    config: TrainConfig, runs_dir: str | Path, run_id: str | None = None, python: str = sys.executable
) -> list[str]:
    """The exact ``python -m engine train ...`` invocation for ``config`` (what the dashboard runs)."""
    command = [python, "-m", "engine", "train"]
    for flag, dest, _, _ in CONFIG_FLAGS:
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


def resume_command(run_dir: str | Path, python: str = sys.executable, epochs: int | None = None) -> list[str]:
    """The exact ``python -m engine train --resume RUN_DIR [--epochs N]`` invocation that continues a run (what
    Resume runs); ``epochs`` is the new total, for a run resumed with more epochs than it planned."""
    more = ["--epochs", str(int(epochs))] if epochs is not None else []
    return [python, "-m", "engine", "train", "--resume", str(Path(run_dir).resolve()), *more, "--quiet"]


def tune_command(
    name: str,
    dataset: str,
    model: str,
    runs_dir: str | Path,
    options: dict[str, Any] | None = None,
    space: tuple[str, ...] | list[str] = (),
    refit: bool = False,
    python: str = sys.executable,
) -> list[str]:
    """The ``python -m engine tune ...`` invocation of a study (what the dashboard starts; the same command resumes
    it). ``options`` maps other ``tune`` flags without their dashes to values (``{"trials": 20, "data_dir": …}``:
    ``trials``, ``timeout``, ``epochs``, ``data_dir``, ``metric``, ``seed``, ``storage``, ``split``, ``test_ratio``,
    ``val_ratio``, ``dim``, ``device``); ``None`` values are left out."""
    command = [python, "-m", "engine", "tune", "--name", name, "--dataset", dataset, "--model", model]
    for key, value in (options or {}).items():
        if value is not None:
            command += ["--" + key.replace("_", "-"), str(value)]
    for text in space:
        command += ["--space", text]
    return [*command, *(["--refit"] if refit else []), "--runs-dir", str(runs_dir), "--quiet"]


# ExperimentSpec.base fields and the flags that set them, in the order --help lists them
BASE_FLAGS = (
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


def experiment_command(
    spec: ExperimentSpec | dict[str, Any], runs_dir: str | Path, python: str = sys.executable, quiet: bool = True
) -> list[str]:
    """The ``python -m engine experiment ...`` invocation whose :meth:`ExperimentSpec.from_options` is ``spec``: what
    the dashboard runs (``--quiet``: it reads progress from the experiment's folder) and, with ``quiet=False``, what a
    report prints to reproduce or resume an experiment from the spec its ``experiment.json`` saved.

    Raises:
        ValueError: The spec was made through the Python API with shared settings no flag gives (e.g. ``dim``),
            which a command without them would not reproduce.
    """
    if isinstance(spec, dict):
        from engine.experiments.spec import ExperimentSpec

        spec = ExperimentSpec(**spec)
    if spec.tuned:
        return tuned_experiment_command(spec, runs_dir, python, quiet)
    extra = sorted(set(spec.base) - {name for name, _ in BASE_FLAGS} - {"ks"})
    if extra:
        raise ValueError(
            f"experiment {spec.name!r} shares settings the experiment command has no flag for "
            f"({', '.join(f'{name}={spec.base[name]!r}' for name in extra)}); it was made with "
            "engine.experiments.run_experiment, and only that reproduces it"
        )
    command = [python, "-m", "engine", "experiment", "--name", spec.name, "--dataset", spec.dataset]
    command += [
        part for name, flag in BASE_FLAGS if spec.base.get(name) is not None for part in (flag, str(spec.base[name]))
    ]
    command += ["--models", ",".join(spec.models), "--seeds", ",".join(map(str, spec.seeds))]
    for model, axes in spec.grid.items():
        for param, values in axes.items():
            command += ["--grid", f"{model}.{param}=" + ",".join(map(str, values))]
    if spec.epochs is not None:
        command += ["--epochs", str(spec.epochs)]
    if spec.base.get("ks"):
        command += ["--k", *map(str, spec.base["ks"])]
    if spec.refit:
        command += ["--refit"]
    return [*command, "--runs-dir", str(runs_dir), *(["--quiet"] if quiet else [])]


def tuned_experiment_command(spec: ExperimentSpec, runs_dir: str | Path, python: str, quiet: bool) -> list[str]:
    """``python -m engine experiment --tuned STUDY1,STUDY2 …`` for a tuned comparison's ``spec``: the studies in the
    spec's model order, its seeds, ``--allow-unequal-budgets`` when its budgets differ (else it would be refused)."""
    from engine.experiments.budgets import budget_problem

    studies = ",".join(str(spec.tuned[model]["study"]) for model in spec.models)
    command = [python, "-m", "engine", "experiment", "--name", spec.name, "--tuned", studies]
    command += ["--seeds", ",".join(map(str, spec.seeds))]
    if budget_problem(spec.tuned):
        command.append("--allow-unequal-budgets")
    if spec.base.get("device") is not None:
        command += ["--device", str(spec.base["device"])]
    if spec.refit:
        command.append("--refit")
    return [*command, "--runs-dir", str(runs_dir), *(["--quiet"] if quiet else [])]
