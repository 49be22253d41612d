"""Retune every model's shipped defaults on *validation* NDCG@10, with the same budget per model.

Budget: every model gets the same number of configurations (``--configs``, default 5) on every dataset. The first
is the model's current defaults (its ``default_train`` and ``Params``, the incumbent); the others are distinct
draws, seeded (``--draw-seed``), from the model's small search space below (learning rate, L2 penalty, layers or
fanout where the model has them, and the most epochs, which early stopping on validation NDCG@10 at patience 5 may
cut short). The embedding dimension stays at the shared default 64: it is a trainer setting, not a per-model
default, so it is not something a model can ship. The same configurations are trained on every dataset.

Protocol: ``python -m engine train`` in a subprocess per run, one run at a time, exactly as the CLI runs it, with
``--split random --test-ratio 0.25 --k 10 --seed 0`` and the default ``--val-ratio 0.1``: each run carves its
validation slice from train, selects its epoch on validation NDCG@10, and reads test once at the end. This script
reads ONLY the summary's ``validation`` field (``ndcg@10`` of the selected epoch); test figures are never read, so
nothing here is chosen on test.

Selection rule (what ships): per model, among the configurations whose run on ``--time-on`` (ml-latest-small)
took less than ``--max-seconds`` (180) of wall time, the one with the best validation NDCG@10 averaged over the
datasets. A configuration that any dataset did not finish is out. It replaces the incumbent only if its mean beats
the incumbent's by at least ``--min-gain`` (0.002 NDCG@10): one seed cannot tell smaller gaps from noise, so a
near tie keeps the defaults.

A run that passes ``--timeout`` seconds of wall time is stopped and counts as over the time limit. Results are
appended to ``--results`` (JSON lines) as they come, and a rerun with the same file skips the runs already there,
so an interrupted tuning continues where it stopped.

Usage::

    OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python benchmarks/tune_defaults.py \\
        --dataset synthetic --dataset movielens-latest-small=../shared/data/ml-latest-small
    python benchmarks/tune_defaults.py --dataset synthetic --models mf --configs 3   # a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_models  # noqa: E402

from engine.models import MODELS  # noqa: E402
from engine.runs.config import TrainConfig  # noqa: E402

# Per model: trainer settings ("epochs", "lr") and Params fields, each with the values a draw picks from.
SEARCH_SPACES: dict[str, dict[str, list]] = {
    "mf": {
        "lr": [0.002, 0.005, 0.01, 0.02],
        "reg": [0.0, 1e-5, 1e-4, 1e-3],
        "epochs": [20, 50, 100],
    },
    "lightgcn": {
        "lr": [0.002, 0.005, 0.01, 0.02],
        "reg": [1e-5, 1e-4, 1e-3],
        "num_layers": [2, 3, 4],
        "epochs": [50, 100],
    },
    "graphsage": {
        "lr": [0.001, 0.002, 0.005, 0.01],
        "reg": [1e-4, 1e-3, 1e-2],
        "num_layers": [1, 2],
        "fanout": [5, 10, 20],
        "epochs": [30, 50],
    },
    "pinsage": {
        "lr": [0.001, 0.003, 0.01],
        "reg": [1e-4, 1e-3, 1e-2],
        "num_layers": [1, 2],
        "epochs": [8, 16],
    },
}
TRAINER_KEYS = ("epochs", "lr")
PROTOCOL = {"split": "random", "test_ratio": 0.25, "ks": [10], "seed": 0, "patience": 5}
METRIC = "ndcg@10"


def incumbent(model: str) -> dict:
    """The model's current defaults for the keys of its search space."""
    cls = MODELS[model]
    params = cls.Params()
    return {
        key: getattr(cls.default_train, key) if key in TRAINER_KEYS else getattr(params, key)
        for key in SEARCH_SPACES[model]
    }


def configurations(model: str, count: int, seed: int) -> list[dict]:
    """``count`` distinct configurations: the incumbent, then seeded stratified draws from the model's space.

    Stratified (a Latin-hypercube-like draw): for each key, the draws walk through shuffled copies of its values,
    so every value of every key appears about equally often, however small ``count`` is.
    """
    space = SEARCH_SPACES[model]
    size = 1
    for values in space.values():
        size *= len(values)
    if count > size:
        raise SystemExit(f"{model}'s search space has {size} configurations; --configs {count} asks for more")
    rng = random.Random(f"{seed}-{model}")
    chosen = [incumbent(model)]
    while len(chosen) < count:
        columns = {}
        for key, values in space.items():
            column: list = []
            while len(column) < count - 1:
                column += rng.sample(values, len(values))
            columns[key] = column
        draws = [{key: columns[key][i] for key in space} for i in range(count - 1)]
        for draw in draws:
            if draw not in chosen and len(chosen) < count:
                chosen.append(draw)
    return chosen


def label(config: dict) -> str:
    return " ".join(
        f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}" for key, value in config.items()
    )


def train_one(
    model: str, dataset: str, data_dir: str | None, config: dict, runs_dir: Path, run_id: str, timeout: float
) -> dict:
    """One CLI run; returns validation NDCG@10, train and wall seconds, epochs run and the selected epoch."""
    config_obj = TrainConfig(
        dataset=dataset,
        data_dir=data_dir,
        model=model,
        params={key: value for key, value in config.items() if key not in TRAINER_KEYS},
        **{key: value for key, value in config.items() if key in TRAINER_KEYS},
        **PROTOCOL,
    )
    started = time.perf_counter()
    try:
        run = bench_models.train_one(config_obj, runs_dir, run_id, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"timeout": True, "wall_seconds": time.perf_counter() - started}
    summary = run["summary"]
    return {
        "timeout": False,
        "validation": summary["validation"][METRIC],  # the selected epoch's validation figure; test is not read
        "train_seconds": summary["train_seconds"],
        "wall_seconds": run["wall"],
        "epochs_run": summary["epochs_run"],
        "best_epoch": summary["best_epoch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dataset",
        action="append",
        required=True,
        metavar="NAME[=DIR]",
        help="dataset (repeatable), e.g. synthetic or movielens-latest-small=../shared/data/...",
    )
    parser.add_argument("--models", nargs="+", default=list(SEARCH_SPACES), choices=list(SEARCH_SPACES))
    parser.add_argument("--configs", type=int, default=5, help="configurations per model, the incumbent included")
    parser.add_argument("--draw-seed", type=int, default=0, help="seed of the configuration draws")
    parser.add_argument(
        "--time-on",
        default=None,
        help="dataset whose wall time must stay under --max-seconds (default: the last --dataset)",
    )
    parser.add_argument("--max-seconds", type=float, default=180.0)
    parser.add_argument(
        "--min-gain",
        type=float,
        default=0.002,
        help="smallest gain in mean validation NDCG@10 over the incumbent that changes the defaults",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="stop a run after this many wall seconds")
    parser.add_argument("--runs-dir", type=Path, default=Path(tempfile.gettempdir()) / "tune-defaults")
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="JSON lines of finished runs (default: RUNS_DIR/results.jsonl); runs already there are not trained again",
    )
    args = parser.parse_args()
    if args.configs < 1:
        parser.error("--configs must be at least 1")
    datasets = [(item.split("=", 1)[0], item.split("=", 1)[1] if "=" in item else None) for item in args.dataset]
    names = [name for name, _ in datasets]
    time_on = args.time_on or names[-1]
    if time_on not in names:
        parser.error(f"--time-on {time_on!r} is not one of the datasets {names}")
    args.runs_dir.mkdir(parents=True, exist_ok=True)
    results_path = args.results or args.runs_dir / "results.jsonl"
    done: dict[tuple, dict] = {}
    if results_path.exists():
        for line in results_path.read_text().splitlines():
            record = json.loads(line)
            done[(record["model"], record["dataset"], json.dumps(record["config"], sort_keys=True))] = record

    grid = {model: configurations(model, args.configs, args.draw_seed) for model in args.models}
    print(
        f"protocol: {PROTOCOL}, val-ratio 0.1, dim 64; score: validation {METRIC} (test never read); "
        f"{args.configs} configurations per model; time limit {args.max_seconds:g} s wall on {time_on}",
        flush=True,
    )
    for name, data_dir in datasets:
        for model in args.models:
            for index, config in enumerate(grid[model]):
                key = (model, name, json.dumps(config, sort_keys=True))
                if key in done:
                    continue
                run_id = f"tune-{model}-{name}-{index}"
                started = time.strftime("%H:%M:%S")
                result = train_one(model, name, data_dir, config, args.runs_dir / name, run_id, args.timeout)
                record = {"model": model, "dataset": name, "index": index, "config": config, **result}
                done[key] = record
                with results_path.open("a") as out:
                    out.write(json.dumps(record) + "\n")
                shown = "timeout" if result["timeout"] else f"{result['validation']:.4f}"
                print(
                    f"[{started}] {name} {model} #{index} {label(config)}: val {METRIC} {shown}, "
                    f"wall {result['wall_seconds']:.0f} s",
                    flush=True,
                )

    print()
    chosen_all = {}
    for model in args.models:
        print(f"== {model} (#0 = current defaults)")
        header = "| # | config | " + " | ".join(f"val {METRIC} {n}" for n in names) + " | mean | "
        header += " | ".join(f"train s / wall s / epochs (best) {n}" for n in names) + " |"
        print(header)
        print("|" + "---|" * (3 + 2 * len(names)))
        rows = []
        for index, config in enumerate(grid[model]):
            records = [done.get((model, n, json.dumps(config, sort_keys=True))) for n in names]
            finished = all(r is not None and not r["timeout"] for r in records)
            mean = statistics.fmean(r["validation"] for r in records) if finished else None
            timed = next(r for n, r in zip(names, records, strict=True) if n == time_on)
            fits = finished and timed["wall_seconds"] < args.max_seconds
            rows.append((index, config, mean, fits))
            cells = [("—" if r is None else "timeout" if r["timeout"] else f"{r['validation']:.4f}") for r in records]
            times = [
                "—"
                if r is None or r["timeout"]
                else f"{r['train_seconds']:.0f} / {r['wall_seconds']:.0f} / {r['epochs_run']} ({r['best_epoch']})"
                for r in records
            ]
            mean_cell = "—" if mean is None else f"{mean:.4f}" + ("" if fits else " (over time)")
            print(
                f"| {index} | {label(config)} | " + " | ".join(cells) + f" | {mean_cell} | " + " | ".join(times) + " |"
            )
        eligible = [row for row in rows if row[3]]
        if not eligible:
            print(f"{model}: no configuration finished under {args.max_seconds:g} s on {time_on}; defaults stay\n")
            continue
        best = max(eligible, key=lambda row: row[2])
        incumbent_mean = rows[0][2] if rows[0][3] else None
        gain = None if incumbent_mean is None else best[2] - incumbent_mean
        if best[0] == 0:
            verdict = "current defaults stay"
        elif gain is not None and gain < args.min_gain:
            verdict = f"gain below --min-gain {args.min_gain:g}: current defaults stay"
        else:
            verdict = "ship it"
            chosen_all[model] = best[1]
        delta = "" if gain is None else f", {gain:+.4f} vs #0"
        print(f"chosen for {model}: #{best[0]} {label(best[1])} (mean val {METRIC} {best[2]:.4f}{delta}): {verdict}\n")
    print("to ship:", json.dumps(chosen_all))


if __name__ == "__main__":
    main()
