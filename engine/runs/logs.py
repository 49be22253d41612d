"""Reading the end of a process's log (a run's, an experiment's, a projection's) without reading all of it."""

from __future__ import annotations

import os
from pathlib import Path

LOG_TAIL_BYTES = 64 * 2**10  # how much of the end of a log is read to show its last lines


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log (read from its last ``LOG_TAIL_BYTES``), or ``""`` when it does not exist."""
    try:
        with open(path, "rb") as stream:
            stream.seek(max(stream.seek(0, os.SEEK_END) - LOG_TAIL_BYTES, 0))
            data = stream.read(LOG_TAIL_BYTES)
    except FileNotFoundError:
        return ""
    return "\n".join(data.decode("utf-8", errors="replace").rstrip("\n").split("\n")[-lines:])
