"""The worker's job queues: folders of ``<time ns>-<random>.json`` files, written whole and claimed by one reader."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

MAX_JOB_BYTES = 2**20


def new_job_id() -> str:
    """``<time ns>-<6 hex>``: jobs sort by the time they were queued, and two queued in one nanosecond differ."""
    return f"{time.time_ns():020d}-{secrets.token_hex(3)}"


def write_job(queue: Path, job_id: str, job: dict[str, Any]) -> None:
    queue.mkdir(parents=True, exist_ok=True)
    partial = queue / f".{job_id}.partial"
    partial.write_text(json.dumps(job))
    os.replace(partial, queue / f"{job_id}.json")  # the worker sees whole jobs only


def claim(queue: Path, newest: bool = False) -> tuple[str, dict[str, Any]] | None:
    """The oldest (or newest) job of ``queue``, removed from it (so exactly one reader gets it); ``None`` when empty.

    Jobs are ``<time ns>-<random>.json``; other files of the queue (the job being computed) are not jobs.
    """
    try:
        names = sorted((n for n in os.listdir(queue) if n.endswith(".json") and n[0].isdigit()), reverse=newest)
    except FileNotFoundError:
        return None
    for name in names:
        path = queue / name
        try:
            job = json.loads(path.read_text()[:MAX_JOB_BYTES])
            path.unlink()
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as error:
            print(f"worker: dropping unreadable job {path}: {error}", flush=True)
            path.unlink(missing_ok=True)
            continue
        if isinstance(job, dict):
            return name.removesuffix(".json"), job
    return None
