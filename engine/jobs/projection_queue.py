"""The warm worker's UMAP queue: who wants which map, newest request first, and the child that computes them.

Each job in ``<runs-dir>/.worker/projection/`` names a run, its epochs and the method; a job a page asked for also
names its *requester* (one page of one browser session, and which map of that page). A page asks for the map it
shows now, so its newest request supersedes its older ones: :func:`withdraw` drops that requester's other jobs,
still queued or being computed, unless another requester wants the same map. Dragging the epoch slider across
ten epochs therefore computes the epoch it stops on, not the nine it passed. Jobs without a requester (the
*Compute UMAP for every epoch* button, the trainer's map of its final snapshot) are never withdrawn.

The projection child (forked by the worker once, umap compiled) takes the newest job first and, while a map is
computed, checks between UMAP's progress lines whether its job was withdrawn (a ``<job id>.cancel`` file).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from engine.jobs.client import POLL_S, WorkerPaths, worker_info
from engine.jobs.queue import MAX_JOB_BYTES, claim
from engine.runs.jsonio import write_json_atomic

RUNNING_PROJECTION = "running.json"  # in the projection queue: the job being computed, with its id
PROJECTION_NICENESS = 5  # a run starting while a map is computed gets the cores first
Map = tuple[str, int, str]  # (resolved run directory, epoch, method)


def job_maps(job: dict[str, Any]) -> set[Map]:
    """The maps a job asks for."""
    run, method = str(job.get("run", "")), str(job.get("method", ""))
    return {(run, int(epoch), method) for epoch in job.get("epochs", []) if isinstance(epoch, int)}


def queued(queue: Path) -> list[tuple[str, dict[str, Any]]]:
    """The jobs waiting in ``queue``, oldest first (unreadable ones are left to :func:`claim` to drop)."""
    jobs = []
    for path in sorted(queue.glob("*.json")):
        if path.name == RUNNING_PROJECTION:
            continue
        try:
            job = json.loads(path.read_text()[:MAX_JOB_BYTES])
        except (OSError, ValueError):
            continue
        if isinstance(job, dict):
            jobs.append((path.name.removesuffix(".json"), job))
    return jobs


def running(queue: Path) -> dict[str, Any] | None:
    try:
        job = json.loads((queue / RUNNING_PROJECTION).read_text())
    except (OSError, ValueError):
        return None
    return job if isinstance(job, dict) else None


def withdraw(runs_dir: str | Path, requester: str, keep: set[Map]) -> set[Map] | None:
    """Drop ``requester``'s jobs for maps other than ``keep`` that no other requester wants.

    A dropped map nobody else wants loses its pending mark (the page shows it as not computed); the job being
    computed is told to stop when none of its maps is wanted any more.

    Returns:
        The maps of ``keep`` that ``requester`` already has a job for (queued or being computed), or ``None`` when
        the runs directory has no worker with a projection child (maps are computed by plain processes then).
    """
    from engine.runs.names import process_alive
    from engine.runs.rundir import RunDir

    info = worker_info(runs_dir)
    if info is None or not process_alive(info.get("projection_pid")):
        return None
    queue = WorkerPaths.of(runs_dir).queue("projection")
    held: set[Map] = set()
    dropped: set[Map] = set()
    others: set[Map] = set()
    for job_id, job in queued(queue):
        maps = job_maps(job)
        if job.get("requester") != requester:
            others |= maps
        elif maps <= keep:
            held |= maps
        else:
            try:
                (queue / f"{job_id}.json").unlink()
                dropped |= maps
            except FileNotFoundError:  # claimed meanwhile: it is the running job now
                pass
    current = running(queue)
    if current is not None:
        maps = job_maps(current)
        if current.get("requester") != requester:
            others |= maps
        elif maps & keep:
            held |= maps & keep
            others |= maps
        elif not maps & others:
            (queue / f"{current.get('id')}.cancel").touch()
        else:
            others |= maps
    for run, epoch, method in dropped - others - keep:
        RunDir(run).projection_pending_path(epoch, method).unlink(missing_ok=True)
    return held


def serve_projections(paths: WorkerPaths, worker_pid: int) -> None:
    """The projection child's loop: newest job first, one map at a time, until the worker is gone."""
    from engine.analysis.projection import warm_up
    from engine.analysis.store import ProjectionCancelled, ProjectionStore

    os.nice(PROJECTION_NICENESS)
    started = time.time()
    warm_up()
    print(f"worker: umap ready ({time.time() - started:.1f}s to import and compile)", flush=True)
    queue = paths.queue("projection")
    queue.mkdir(parents=True, exist_ok=True)
    while os.getppid() == worker_pid:
        claimed = claim(queue, newest=True)
        if claimed is None:
            time.sleep(POLL_S)
            continue
        job_id, job = claimed
        problem = job_problem(job, paths.root.parent)
        if problem is not None:
            print(f"worker: dropping projection job {job_id}: {problem}", flush=True)
            continue
        write_json_atomic(queue / RUNNING_PROJECTION, {**job, "id": job_id})
        cancel = queue / f"{job_id}.cancel"
        store, method = ProjectionStore(job.get("run", "")), str(job.get("method"))
        epochs = [int(epoch) for epoch in job.get("epochs", []) if isinstance(epoch, int)]
        for epoch in epochs:
            began = time.perf_counter()
            try:
                if cancel.exists():
                    raise ProjectionCancelled
                if store.path(epoch, method).is_file():
                    continue  # another requester's job made it meanwhile
                projection = store.compute(epoch, method, stop_if=cancel.exists)
                print(
                    f"worker: {method} of {len(projection.coords):,} points, {store.run_dir.name} epoch "
                    f"{epoch}: {time.perf_counter() - began:.1f}s",
                    flush=True,
                )
            except ProjectionCancelled:
                print(f"worker: {store.run_dir.name} epoch {epoch}: superseded by a newer request", flush=True)
            except Exception as error:  # noqa: BLE001 - compute() wrote the reason where the page reads it
                print(f"worker: {store.run_dir.name} epoch {epoch}: error: {error}", flush=True)
            finally:
                store.finish_pending(epoch, method)
        _clear_running(queue, job_id)
        cancel.unlink(missing_ok=True)


def job_problem(job: dict[str, Any], runs_dir: Path) -> str | None:
    """Why the worker of ``runs_dir`` refuses a projection job, or ``None``: only jobs its own client writes, for a
    run directly inside ``runs_dir``, a known method and whole-number epochs (never any folder a queue file names)."""
    from engine.analysis.projection import METHODS

    run = job.get("run")
    if not isinstance(run, str) or Path(run).parent.resolve() != runs_dir.resolve() or not Path(run).is_dir():
        return f"its run {run!r} is not a run directory of {runs_dir}"
    if Path(run).is_symlink():
        return f"its run {run!r} is a link out of {runs_dir}"
    if job.get("method") not in METHODS:
        return f"its method {job.get('method')!r} is not one of {', '.join(METHODS)}"
    epochs = job.get("epochs")
    if not isinstance(epochs, list) or not all(isinstance(e, int) and not isinstance(e, bool) for e in epochs):
        return f"its epochs {epochs!r} are not a list of whole numbers"
    return None


def _clear_running(queue: Path, job_id: str) -> None:
    """Remove the running-job file if it is still this job's: a child orphaned by its worker finishes its last map
    while the next worker's child may have written its own job there."""
    current = running(queue)
    if current is not None and current.get("id") == job_id:
        (queue / RUNNING_PROJECTION).unlink(missing_ok=True)


def fail_running_projection(paths: WorkerPaths, why: str) -> None:
    """The projection child stopped mid-job (killed, out of memory, the worker exiting): say so on that job's maps."""
    queue = paths.queue("projection")
    job = running(queue)
    if job is not None:
        fail_projection_job(job, why)
        (queue / f"{job.get('id')}.cancel").unlink(missing_ok=True)
    (queue / RUNNING_PROJECTION).unlink(missing_ok=True)


def fail_projection_job(job: dict[str, Any], why: str) -> None:
    from engine.analysis.store import ProjectionStore

    if not isinstance(job, dict) or not isinstance(job.get("run"), str):
        return
    store = ProjectionStore(job["run"])
    for epoch in job.get("epochs", []):
        if isinstance(epoch, int) and not store.path(epoch, str(job.get("method"))).is_file():
            store.fail(epoch, str(job.get("method")), why)
