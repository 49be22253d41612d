"""Starting a background process of the engine: its own session, from the project root, output to a log."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import BinaryIO

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def spawn(command: list[str], output: BinaryIO) -> subprocess.Popen:
    """``command`` in its own process session from the project root, no input, stdout and stderr to ``output``."""
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
