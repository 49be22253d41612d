"""Run an experiment's members one after another, resuming where an earlier invocation stopped.

A member that finished is not rerun; one that was stopped, interrupted or failed resumes from its checkpoint (or
starts over when it died before its first epoch). The member runs are ordinary runs in the runs directory, so
``python -m engine runs`` and the dashboard list them; ``<runs-dir>/experiments/<name>/experiment.json`` groups them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.experiments.experiment_schema import experiment_problem
from engine.experiments.spec import ExperimentSpec, Member
from engine.runs.config import TrainConfig
from engine.runs.jsonio import read_json, write_json_atomic
from engine.runs.locks import hold_lock
from engine.runs.names import ACTIVE_STATES, MAX_JSON_BYTES, RunDirError, experiment_path
from engine.runs.rundir import RunDir
from engine.runs.runstore import RunStore

EXPERIMENT_FORMAT = "gnn-recsys-explorer/experiment"
EXPERIMENT_LOCK = ".experiment.lock"  # beside experiment.json, held by the process that runs the experiment


class ExperimentInterrupted(RuntimeError):
    """A member was stopped (SIGTERM, Ctrl-C): the experiment ends there and resumes on the next invocation."""


def list_experiments(runs_dir: str | Path) -> list[str]:
    """Names of the experiments in ``runs_dir`` (those with an ``experiment.json``), sorted."""
    folder = experiment_path(runs_dir, "x").parent.parent
    if not folder.is_dir():
        return []
    return sorted(path.parent.name for path in folder.glob("*/experiment.json") if path.is_file())


def read_experiment(runs_dir: str | Path, name: str) -> dict[str, Any]:
    """The saved ``experiment.json`` of ``name``.

    Raises:
        ValueError: There is no such experiment, or its file is damaged.
    """
    path = ExperimentSpec(name, "", [], []).path(runs_dir)
    document, problem = read_json(path, MAX_JSON_BYTES, path.parent)
    if problem or not isinstance(document, dict) or document.get("format") != EXPERIMENT_FORMAT:
        if not path.exists():
            names = sorted(p.parent.name for p in path.parent.parent.glob("*/experiment.json"))
            raise ValueError(
                f"no experiment {name!r} in {Path(runs_dir)}"
                + (
                    f"; experiments there: {', '.join(names)}"
                    if names
                    else "; start one with `python -m engine experiment`"
                )
            )
        raise ValueError(f"experiment file {path} is damaged ({problem or 'not an experiment'})")
    if problem := experiment_problem(document):
        raise ValueError(
            f"experiment {name!r} in {Path(runs_dir)} has a damaged experiment.json ({problem}); fix or delete {path}"
        )
    return document


def run_experiment(spec: ExperimentSpec, runs_dir: str | Path, progress: bool = True) -> dict[str, Any]:
    """Train every member not finished yet, then record which grid point each model's validation chose.

    Returns:
        The experiment document, as saved in ``experiment.json``.

    Raises:
        ValueError: Bad settings (before anything trains), or an experiment of that name with other settings.
        ExperimentInterrupted: A member was stopped; rerunning the same command continues.
    """
    spec.members()  # bad settings are refused before anything is written
    path = spec.path(runs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One process per experiment: a second one started with the same name is refused, naming the first's pid (two
    # at once used to delete each other's new member folders and both train into one).
    with hold_lock(path.parent / EXPERIMENT_LOCK, f"experiment {spec.name!r}", "its folder"):
        return _run_locked(spec, runs_dir, path, progress)


def _run_locked(spec: ExperimentSpec, runs_dir: str | Path, path: Path, progress: bool) -> dict[str, Any]:
    members = check_experiment(spec, runs_dir)
    document = {"format": EXPERIMENT_FORMAT, "spec": spec.to_dict(), "members": [m.to_dict() for m in members]}
    write_json_atomic(path, document)

    store = RunStore(runs_dir)
    done = sum(_finished(store.path(member.run_id)) for member in members)
    with tqdm(
        total=len(members), initial=done, desc=f"experiment {spec.name}", unit="run", disable=not progress
    ) as bar:
        for member in members:
            run_dir = store.path(member.run_id)
            if _finished(run_dir):
                continue
            bar.set_postfix_str(member.run_id)
            _train_member(member, runs_dir, run_dir)
            bar.update(1)
    document["selected"] = select_grid_points(spec, members, store)
    if spec.refit:
        document["refits"] = _refit_chosen(members, document["selected"], store)
    write_json_atomic(path, document)
    return document


def refit_id(member_run_id: str) -> str:
    """The run id of a member's refit on train + validation (``experiment --refit``)."""
    return f"{member_run_id}-refit"


def _refit_chosen(members: list[Member], selected: dict[str, Any], store: RunStore) -> dict[str, str]:
    """Refit every seed of each model's chosen grid point (those not refit yet); ``{member run id: refit run id}``."""
    from engine.training.refit import refit

    refits = {}
    for member in members:
        if member.grid_point != selected.get(member.model, {}).get("grid_point", 0):
            continue
        path = store.path(refit_id(member.run_id))
        if path.is_dir() and RunDir(path).read().state != "finished":
            with RunDir(path).lock():
                RunDir(path).remove()  # a refit cut short: it has no checkpoint worth resuming at these few epochs
        if not path.is_dir():
            refit(store.path(member.run_id), path.name, progress=False)
        if RunDir(path).read().state != "finished":
            raise ExperimentInterrupted(f"the refit {path.name} was stopped; run the same command again to finish it")
        refits[member.run_id] = path.name
    return refits


def check_experiment(spec: ExperimentSpec, runs_dir: str | Path) -> list[Member]:
    """The members of ``spec``, every config checked, once it is sure ``spec`` may run (or resume) in ``runs_dir``.

    Raises:
        ValueError: Bad settings, or an experiment of that name with other settings (naming what differs).
    """
    members = spec.members()
    path = spec.path(runs_dir)
    if path.exists():
        saved = read_experiment(runs_dir, spec.name)
        if saved.get("spec") != _jsonable(spec.to_dict()):
            raise ValueError(
                f"experiment {spec.name!r} already exists in {path.parent} with other settings "
                f"({_differences(saved.get('spec') or {}, _jsonable(spec.to_dict()))}); repeat its settings to resume "
                "it, or pick another --name"
            )
        store = RunStore(runs_dir)
        for member in members:
            path = store.path(member.run_id)
            info = RunDir(path).read() if path.is_dir() else None
            if info is not None and info.state in ACTIVE_STATES:
                raise ValueError(
                    f"experiment {spec.name!r} is already running: its member {member.run_id} is {info.state} "
                    f"(pid {info.status.get('pid')}); wait for it or stop that process"
                )
    return members


def member_states(runs_dir: str | Path, name: str) -> dict[str, str]:
    """Each member run of experiment ``name`` and its state (``"not started"`` before its folder exists), in order.

    Raises:
        ValueError: There is no such experiment, or its file is damaged.
    """
    document = read_experiment(runs_dir, name)
    store = RunStore(runs_dir)
    states = {}
    for member in document.get("members") or []:
        run_id = member.get("run_id") if isinstance(member, dict) else None
        if isinstance(run_id, str):
            path = store.path(run_id)
            states[run_id] = RunDir(path).read().state if path.is_dir() else "not started"
    return states


def select_grid_points(spec: ExperimentSpec, members: list[Member], store: RunStore) -> dict[str, Any]:
    """Per model, the grid point with the best mean validation value of the monitored metric over its seeds."""
    selected = {}
    for model in spec.models:
        scores: dict[int, list[float]] = {}
        for member in (m for m in members if m.model == model):
            summary = RunDir(store.path(member.run_id)).read().summary or {}
            value = (summary.get("validation") or {}).get(member.config.monitor_key)
            if isinstance(value, (int, float)):
                scores.setdefault(member.grid_point, []).append(float(value))
        if not scores:
            continue
        best = max(scores, key=lambda point: sum(scores[point]) / len(scores[point]))
        selected[model] = {
            "grid_point": best,
            "settings": spec.grid_points(model)[best],
            "monitor": members[0].config.monitor_key,
            "validation_mean": sum(scores[best]) / len(scores[best]),
            "validation_by_point": {str(p): sum(v) / len(v) for p, v in sorted(scores.items())},
        }
    return selected


def _finished(run_dir: Path) -> bool:
    if not run_dir.is_dir():
        return False
    info = RunDir(run_dir).read()
    return info.state == "finished" and info.summary is not None and RunDir(run_dir).per_user_path.is_file()


def _train_member(member: Member, runs_dir: str | Path, run_dir: Path) -> None:
    from engine.training.trainer import resume, train

    run = RunDir(run_dir)
    if run_dir.is_dir():
        info = run.read()
        if info.state in ACTIVE_STATES:
            raise RunDirError(
                f"member {member.run_id} of the experiment is {info.state} in another process "
                f"(pid {info.status.get('pid')}); wait for it or stop it"
            )
        if not info.config and not info.status.get("epoch"):
            with run.lock():  # a process that is still writing its config holds the lock: never delete under it
                run.remove()  # died before it wrote its config: nothing to keep
        elif _comparable(info.config) != _comparable(_jsonable(member.config.to_dict())):
            raise RunDirError(
                f"run {member.run_id} exists with settings other than this experiment's; delete it "
                "(python -m engine runs lists it) or pick another --name"
            )
        else:
            resume(run_dir, progress=False)
    if not run_dir.is_dir():
        train(member.config, runs_dir, member.run_id, progress=False)
    state = run.read().state
    if state != "finished":
        raise ExperimentInterrupted(
            f"member {member.run_id} was {state}; run the same experiment command again to continue it"
        )


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    """A member's config as the experiment compares it: a field its file predates at :class:`TrainConfig`'s default,
    and no thread count, which says how the member ran rather than what it is (resuming it keeps its own)."""
    defaults = {spec.name: spec.default for spec in dataclasses.fields(TrainConfig) if spec.name not in config}
    return {name: value for name, value in {**defaults, **config}.items() if name != "threads"}


def _jsonable(values: dict[str, Any]) -> Any:
    return json.loads(json.dumps(values))


def _differences(saved: dict[str, Any], given: dict[str, Any]) -> str:
    keys = sorted(key for key in set(saved) | set(given) if saved.get(key) != given.get(key))
    return "; ".join(f"{key}: {saved.get(key)!r} there, {given.get(key)!r} now" for key in keys)
