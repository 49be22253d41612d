"""``python -m engine tag``: add and remove a run's tags and set its note (``tags.json``, never its config)."""

from __future__ import annotations

import argparse

from engine.cli.args import run_path
from engine.runs.names import DEFAULT_RUNS_DIR, MAX_RUN_NOTE_BYTES, MAX_TAG_CHARS


def register(subparsers: argparse._SubParsersAction) -> None:
    tag = subparsers.add_parser(
        "tag",
        help="add or remove a run's tags, set its note",
        description=f"Label a run: tags (one line, 1-{MAX_TAG_CHARS} characters each) and a free-text note (at most "
        f"{MAX_RUN_NOTE_BYTES} bytes), kept in the run's tags.json. Nothing is written when any input is refused.",
    )
    tag.add_argument("run", metavar="RUN", help="a run id in --runs-dir, or a run directory")
    tag.add_argument("--runs-dir", default=DEFAULT_RUNS_DIR, help="the runs directory (default: %(default)s)")
    tag.add_argument("--add", action="append", default=[], metavar="TAG", help="a tag to add (repeatable)")
    tag.add_argument("--remove", action="append", default=[], metavar="TAG", help="a tag to remove (repeatable)")
    tag.add_argument("--note", help="the run's note, replacing the old one ('' clears it)")
    tag.set_defaults(func=run_tag)


def run_tag(args: argparse.Namespace) -> int:
    from engine.runs.rundir import RunDir

    run = RunDir(run_path(args.run, args.runs_dir))
    document = run.edit_tags(args.add, args.remove, args.note)
    print(f"run {run.path.name}: tags {', '.join(document['tags']) or '(none)'}")
    if document["note"]:
        print(f"note: {document['note']}")
    return 0
