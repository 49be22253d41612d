"""Data commands: ``datasets``, ``stats --dataset NAME`` and ``generate-synthetic``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from engine.cli.args import whole_number
from engine.datasets.registry import CSV_PREFIX, LIGHTGCN_PREFIX, list_datasets, load_dataset
from engine.datasets.stats import PERCENTILES, dataset_stats
from engine.datasets.synthetic import generate_synthetic_data


def register(subparsers: argparse._SubParsersAction) -> None:
    datasets = subparsers.add_parser("datasets", help="list the datasets that can be loaded by name")
    datasets.set_defaults(func=_datasets)

    stats = subparsers.add_parser("stats", help="print a dataset's size, density, degrees and dropped rows")
    stats.add_argument("--dataset", required=True, help="a name from `datasets`, csv:PATH or lightgcn:DIR")
    stats.add_argument("--data-dir", default=None, help="folder holding the MovieLens files (default: cache)")
    stats.set_defaults(func=_stats)

    generate = subparsers.add_parser("generate-synthetic", help="write a synthetic dataset as CSV files")
    generate.add_argument("--out", required=True, type=Path, help="folder for interactions/items/users.csv")
    generate.add_argument("--users", type=whole_number, default=1000, help="number of users (default: %(default)s)")
    generate.add_argument("--items", type=whole_number, default=1000, help="number of items (default: %(default)s)")
    generate.add_argument(
        "--interactions", type=whole_number, default=50_000, help="target interactions (default: %(default)s)"
    )
    generate.add_argument(
        "--taste-groups", type=whole_number, default=8, help="number of taste groups (default: %(default)s)"
    )
    generate.add_argument("--seed", type=whole_number, default=0, help="random seed (default: %(default)s)")
    generate.set_defaults(func=_generate)


def _datasets(args: argparse.Namespace) -> int:
    infos = list_datasets()
    width = max(len(info.name) for info in infos)
    for info in infos:
        print(f"{info.name:<{width}}  {info.description}")
    print(f"{CSV_PREFIX + 'PATH':<{width}}  your own CSV: columns user,item[,rating][,timestamp], see README")
    benchmark = "a LightGCN benchmark folder (train.txt, test.txt); train it with --split fixed"
    print(f"{LIGHTGCN_PREFIX + 'DIR':<{width}}  {benchmark}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    stats = dataset_stats(load_dataset(args.dataset, data_dir=args.data_dir))
    print(f"dataset       {stats['name']}")
    print(f"users         {stats['users']:,}")
    print(f"items         {stats['items']:,}")
    print(f"interactions  {stats['interactions']:,}")
    print(f"density       {stats['density']:.4%}")
    header = "  ".join(f"{'p' + str(p):>6}" for p in PERCENTILES)
    print(f"degree        {'mean':>8}  {header}")
    for kind in ("user", "item"):
        summary = stats[f"{kind}_degree"]
        values = "  ".join(f"{summary[f'p{p}']:>6.0f}" for p in PERCENTILES)
        print(f"  {kind + 's':<11} {summary['mean']:>8.1f}  {values}")
    if stats["ratings"]:
        ratings = stats["ratings"]
        print(f"ratings       {ratings['min']:g}..{ratings['max']:g}, mean {ratings['mean']:.2f}")
    if stats["time_range"]:
        first, last = (time.strftime("%Y-%m-%d", time.gmtime(t)) for t in stats["time_range"])
        print(f"time range    {first} .. {last}")
    report = stats["load_report"]
    print(f"rows read     {report['rows_read']:,}")
    print(f"rows dropped  {report['rows_dropped']:,}")
    for reason, count in report["dropped"].items():
        print(f"  {count:,} {reason}")
    for note in report["notes"]:
        print(f"note          {note}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    data = generate_synthetic_data(
        args.users, args.items, args.interactions, seed=args.seed, num_taste_groups=args.taste_groups
    )
    seconds = time.perf_counter() - started
    paths = data.write(args.out)
    print(f"generated {len(data.interactions):,} interactions in {seconds:.1f} s")
    for path in paths:
        print(path)
    return 0
