"""Argument helpers every command shares: one-line user errors, and argparse types that refuse what they cannot read."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path
from typing import NoReturn


class UserError(Exception):
    """A mistake the user can fix; printed as one line without a traceback."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose mistakes are one :class:`UserError` line, and that reads ``-1,-1`` as a value.

    argparse before Python 3.13 takes a word starting with ``-`` for an option unless it is a single negative
    number, so ``--fanouts -1,-1`` was refused while ``--fanouts=-1,-1`` worked; Python 3.13's rule (a ``-`` then
    a digit starts a value) is applied on every version.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"-\.?\d")

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see {self.prog} --help)")


def whole_number(text: str) -> int:
    """argparse type: an integer written in digits; ``1e3`` or ``2.5`` is refused rather than rounded."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number such as 10 (got {text!r})") from None


def finite_number(text: str) -> float:
    """argparse type: a finite real number; ``nan`` and ``inf`` are refused."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.5 (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number (got {text!r})")
    return value


def true_or_false(text: str) -> bool:
    """argparse type: ``true``/``false`` (also ``1``/``0``, ``yes``/``no``), as :func:`engine.commands.train_command`
    writes a bool."""
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.strip().lower() not in words:
        raise argparse.ArgumentTypeError(f"expected true or false (got {text!r})")
    return words[text.strip().lower()]


def run_path(run: str, runs_dir: str | Path) -> Path:
    """The folder of ``run``: a run id in ``runs_dir``, or the path of a run directory.

    Raises:
        UserError: Neither names a run (a folder with a config or a status); the message says where it looked.
    """
    from engine.runs.names import RUN_ID_PATTERN
    from engine.runs.rundir import RunDir

    if RUN_ID_PATTERN.fullmatch(run) and (Path(runs_dir) / run).is_dir():
        path = Path(runs_dir) / run
    elif Path(run).is_dir():
        path = Path(run)
    else:
        raise UserError(
            f"no run {run!r}: not a run id in {runs_dir} nor a run directory; `python -m engine runs --runs-dir DIR` "
            "lists the runs"
        )
    if not RunDir(path).looks_like_run():
        raise UserError(f"{path} is not a run directory (it has no config.json or status.json)")
    return path
