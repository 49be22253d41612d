"""``python -m engine report``: write the offline HTML report of a run or an experiment."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli.args import whole_number
from engine.runs.names import DEFAULT_RUNS_DIR


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write one self-contained HTML report (curves, map, neighborhood, comparison) that opens offline",
        description="Write the report of a run (a run directory, or a run id in --runs-dir) or of an experiment "
        "(its name) as one HTML file with every script in-line: summary, comparison with CIs (experiment), "
        "learning curves, the embedding map coloured by genre, a GraphSAGE or PinSage neighborhood, and the "
        "commands that reproduce it.",
    )
    parser.add_argument("target", metavar="RUN_DIR_OR_EXPERIMENT", help="a run directory, a run id or an experiment")
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write (its folder must exist)")
    parser.add_argument(
        "--runs-dir", default=DEFAULT_RUNS_DIR, help="where run ids and experiments are (default: %(default)s)"
    )
    parser.add_argument("--baseline", metavar="MODEL", help="experiment only: the model compared against (default: "
                        "the experiment's first)")  # fmt: skip
    parser.add_argument("--k", type=whole_number, help="experiment only: cut-off K (default: its smallest K)")
    parser.set_defaults(func=run_report_command)


def resolve_target(target: str, runs_dir: str | Path) -> tuple[str, Path | str]:
    """``("run", run_dir)`` or ``("experiment", name)`` for what the user named.

    Raises:
        ValueError: Neither a run directory, nor a run id in ``runs_dir``, nor an experiment there.
    """
    from engine.experiments.runner import list_experiments
    from engine.runs.names import RUN_ID_PATTERN

    path = Path(target)
    if path.is_dir():
        return "run", path
    if RUN_ID_PATTERN.fullmatch(target) and ".." not in target:
        if (Path(runs_dir) / target).is_dir():
            return "run", Path(runs_dir) / target
        if target in list_experiments(runs_dir):
            return "experiment", target
    experiments = list_experiments(runs_dir)
    known = f"; experiments there: {', '.join(experiments)}" if experiments else ""
    raise ValueError(
        f"{target!r} is no run directory, and no run or experiment of that name is in {runs_dir}{known}; "
        "`python -m engine runs` lists the runs"
    )


def refuse_run_folder(out: Path) -> None:
    """Raise when ``out`` lies in a run's or an experiment's folder, where it could replace the run's own files
    (``--out RUN/config.json`` once swapped a run's config for the HTML)."""
    from engine.runs.names import EXPERIMENT, MARKER

    for folder in out.resolve().parents:
        if (folder / MARKER).exists() or (folder / EXPERIMENT).exists():
            kind = "run" if (folder / MARKER).exists() else "experiment"
            raise ValueError(
                f"--out {out} is inside the {kind} folder {folder}, whose files the explorer owns; write the report "
                f"outside it, e.g. --out {folder.name}-report.html"
            )


def run_report_command(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {args.out} is a folder; give the HTML file to write, e.g. {out / 'report.html'}")
    if not out.parent.is_dir():
        raise ValueError(f"--out {args.out}: folder {out.parent} does not exist; create it first")
    refuse_run_folder(out)
    kind, where = resolve_target(args.target, args.runs_dir)
    from engine.report.builder import experiment_report, run_report
    from engine.runs.jsonio import write_text_atomic

    if kind == "run":
        if args.baseline or args.k:
            raise ValueError(f"--baseline and --k apply to an experiment; {args.target} is a run")
        document = run_report(where)
    else:
        document = experiment_report(args.runs_dir, str(where), args.baseline, args.k)
    write_text_atomic(out, document)
    print(f"report of {kind} {Path(where).name if kind == 'run' else where} -> {out} ({len(document) / 1e6:.1f} MB)")
    return 0
