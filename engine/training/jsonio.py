"""Crash-safe JSON files for the run directory.

A training process writes while the dashboard reads, and either may be killed at any moment. JSON documents are
therefore replaced atomically (write a temporary file beside the target, then ``os.replace``), and JSON-lines logs
are appended one flushed line at a time, with readers that skip a half-written last line instead of failing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` so a reader sees either the old or the new file, never a partial one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=2, sort_keys=True, allow_nan=True)
            stream.write("\n")
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> tuple[Any, str | None]:
    """Read a JSON document; returns ``(document, None)`` or ``(None, problem)`` when missing or unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"{path.name} is missing"
    except OSError as error:
        return None, f"{path.name} is unreadable ({error.strerror})"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, f"{path.name} is not valid JSON ({error.msg} at line {error.lineno})"


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON object as one line and flush it to disk before returning."""
    line = json.dumps(record, sort_keys=True, allow_nan=True)
    with path.open("a", encoding="utf-8") as stream:
        stream.write(line + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def read_jsonl(path: Path) -> tuple[list[dict], str | None]:
    """Read a JSON-lines log, tolerating a half-written last line.

    Returns:
        ``(records, problem)``: every complete object, and a description of what was skipped (``None`` when the
        file is whole). A missing file is an empty log, not a problem: a run that has not finished an epoch has none.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return [], None
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
