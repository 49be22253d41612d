"""Exclusive locks on files of a runs directory, which name the pid that holds them."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.runs.names import RunDirError


@contextmanager
def hold_lock(path: Path, what: str, where: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (which then holds this pid) until the block ends.

    Args:
        path (Path): The lock file, created when missing (never through a link).
        what (str): What the lock guards, for messages (``"run 'abc'"``).
        where (str): The folder it lies in, for messages (``"the run directory"``).

    Raises:
        RunDirError: Another process holds the lock (the message names its pid), or the file cannot be created.
    """
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise RunDirError(
            f"cannot lock {what} ({error.strerror}: {path}); {where} must be a folder this user can write to"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunDirError(
                f"{what} is in use by pid {_lock_holder(descriptor)}, which holds {path}; wait for it to finish or "
                "stop it first"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)


def _lock_holder(descriptor: int) -> str:
    """The pid a lock holder wrote into the lock file, waiting briefly for one that has only just taken it."""
    deadline = time.monotonic() + 1.0
    while True:
        text = os.pread(descriptor, 32, 0).decode("ascii", errors="replace").strip()
        if text.isdigit() or time.monotonic() > deadline:
            return text if text.isdigit() else "(unknown)"
        time.sleep(0.05)
