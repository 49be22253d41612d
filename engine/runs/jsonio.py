"""Crash-safe JSON files for the run directory.

A training process writes while the dashboard reads, and either may be killed at any moment. JSON documents are
therefore replaced atomically (write a temporary file beside the target, then ``os.replace``), and JSON-lines logs
are appended one flushed line at a time, with readers that skip a half-written last line instead of failing.

Readers are bounded: they read only regular files of at most ``max_bytes``, and only inside ``within`` once links are
resolved, so a file swapped for a link to ``/dev/zero``, a device or a pipe is reported as a problem instead of being
read without end. Every problem is a short phrase naming the file, for a list of what is damaged.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` so a reader sees either the old or the new file, never a partial one."""
    write_text_atomic(path, json.dumps(document, indent=2, sort_keys=True, allow_nan=True) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) as :func:`write_atomic` does."""
    write_atomic(path, lambda stream: stream.write(text.encode("utf-8")))


def write_atomic(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    """Replace ``path`` with what ``write`` writes to a binary stream, so a kill or a full disk leaves the old file
    or the new one, never a part.

    ``write`` fills a temporary file beside ``path``, which is fsynced, then renamed over it; the folder is fsynced
    so the rename itself survives a power cut. The temporary file is removed when anything fails.

    Raises:
        DiskFullError: The disk (or a quota, or a file-size limit) ran out; the message names ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
        fsync_folder(path.parent)
    except BaseException as error:
        Path(temp_name).unlink(missing_ok=True)
        if is_disk_full(error):
            raise disk_full(error, path) from error
        raise


class DiskFullError(OSError):
    """A write that ran out of space; ``str()`` names the file and what to do."""

    def __init__(self, code: int, path: Path) -> None:
        super().__init__(code, os.strerror(code), str(path))
        self.path = path

    def __str__(self) -> str:
        return f"disk full while writing {self.path} ({self.strerror}); free space on that disk, then try again"


# No space left, a quota reached, or RLIMIT_FSIZE (a file-size limit, with SIGXFSZ ignored): all "disk full" to a user.
_DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error``, or an error it was raised from or while handling, is a write that ran out of space (torch's
    writer wraps the ``OSError`` of a full disk in a ``RuntimeError``)."""
    return _disk_full_code(error) is not None


def disk_full(error: BaseException, path: Path) -> DiskFullError:
    """``error`` (one :func:`is_disk_full` accepts) as a :class:`DiskFullError` naming ``path``."""
    if isinstance(error, DiskFullError):
        return error
    return DiskFullError(_disk_full_code(error) or errno.ENOSPC, path)


def _disk_full_code(error: BaseException | None) -> int | None:
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, DiskFullError) or (isinstance(error, OSError) and error.errno in _DISK_FULL):
            return error.errno
        error = error.__cause__ or error.__context__
    return None


def fsync_folder(folder: Path) -> None:
    """Flush ``folder``'s entries (a rename or a new file in it) to disk."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_text(path: Path, max_bytes: int, within: Path | None = None) -> tuple[str | None, str | None]:
    """Read a UTF-8 text file of at most ``max_bytes`` bytes.

    Args:
        path (Path): The file.
        max_bytes (int): Largest size read; a larger file is refused, not truncated.
        within (Path, optional): Folder the file must lie in after resolving links. (default: ``None``, anywhere)

    Returns:
        ``(text, None)``, or ``(None, problem)``; a missing file gives ``(None, None)``.
    """
    if within is not None:
        try:
            resolved = path.resolve()
        except (OSError, RuntimeError):  # a loop of links (RuntimeError before Python 3.13)
            return None, f"{path.name} is a loop of links; it was not read"
        if not resolved.is_relative_to(within.resolve()):
            return None, f"{path.name} is a link to {resolved}, outside {within}; it was not read"
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer; regular files ignore the flag.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"{path.name} is unreadable ({error.strerror})"
    with os.fdopen(descriptor, "rb") as stream:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return None, f"{path.name} is not a regular file; it was not read"
        data = stream.read(max_bytes + 1) if info.st_size <= max_bytes else b""
        if info.st_size > max_bytes or len(data) > max_bytes:
            size = max(info.st_size, len(data))
            return None, f"{path.name} has {size:,} bytes, over the {_size(max_bytes)} limit; it was not read"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, f"{path.name} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"


def read_json(path: Path, max_bytes: int, within: Path | None = None) -> tuple[Any, str | None]:
    """Read a JSON document; returns ``(document, None)`` or ``(None, problem)`` when missing or unreadable.

    ``max_bytes`` and ``within`` bound the read as in :func:`read_text`.
    """
    text, problem = read_text(path, max_bytes, within)
    if text is None:
        return None, problem or f"{path.name} is missing"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, f"{path.name} is not valid JSON ({error.msg} at line {error.lineno})"


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON object as one line and flush it to disk before returning."""
    line = json.dumps(record, sort_keys=True, allow_nan=True)
    try:
        with path.open("a", encoding="utf-8") as stream:
            stream.write(line + "\n")
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:  # a half-written last line is skipped by read_jsonl
        if is_disk_full(error):
            raise disk_full(error, path) from error
        raise


def read_jsonl(path: Path, max_bytes: int, within: Path | None = None) -> tuple[list[dict], str | None]:
    """Read a JSON-lines log, tolerating a half-written last line; ``max_bytes`` and ``within`` as in :func:`read_text`.

    Returns:
        ``(records, problem)``: every complete object, and a description of what was skipped (``None`` when the
        file is whole). A missing file is an empty log, not a problem: a run that has not finished an epoch has none.
    """
    text, problem = read_text(path, max_bytes, within)
    if text is None:
        return [], problem
    records: list[dict] = []
    bad: list[int] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            bad.append(number)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad.append(number)
    if not bad:
        return records, None
    last = len(lines) if lines[-1] else len(lines) - 1
    if bad == [last] and not text.endswith("\n"):
        return records, f"{path.name}: skipped a half-written last line ({last})"
    return records, f"{path.name}: skipped {len(bad)} unreadable line(s): {', '.join(map(str, bad[:5]))}"


def _size(size: int) -> str:
    return f"{size / 2**20:g} MiB" if size >= 2**20 else f"{size / 2**10:g} KiB"
