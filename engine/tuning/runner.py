"""``python -m engine tune``'s work: open (or resume) a study, run trials until it holds the asked number, refit.

Optuna does the searching: a seeded TPE sampler proposes each trial's values, a median pruner stops a trial whose
validation metric, reported every evaluated epoch, falls below the median of earlier trials at the same epoch, and
the storage (a journal file, or a database several processes share) hands out trial numbers. Each trial is an
ordinary run of the runs directory (``<study>-trial0003``) whose config names the study and trial; its value is the
validation metric at its best epoch. Test metrics are never read here: a trial's run computes them when it
finishes, like every run, and only a refit's are printed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import resource
import socket
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from engine.runs.config import METRIC_NAMES, TrainConfig, resolve
from engine.runs.names import process_alive
from engine.runs.rundir import RunDir
from engine.tuning.space import apply, current_values, parse_space, space_to_dict, suggest
from engine.tuning.storage import check_study_name, open_storage, read_meta
from engine.tuning.studies import META_KEYS, StudyInfo, describe

MAX_FAILURES_IN_A_ROW = 3  # trials failing one after another: the settings, not the draw, are wrong
COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)  # the trials of the budget (queued: not yet)


class TuneInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the study; the trial it stopped is marked failed, the finished ones are kept."""


@dataclass
class TuneSettings:
    """What ``tune`` was asked.

    Args:
        name (str): The study's name (its journal file, its runs' prefix).
        base (TrainConfig): Dataset, model, split flags, epochs (``None``: the model's), seed and cut-offs every
            trial shares.
        metric (str): The validation metric maximised, ``ndcg@20``-style (``mrr`` has no K). (default: ``"ndcg@20"``)
        space (Sequence[str]): ``--space`` texts narrowing the model's space. (default: none)
        trials (int): Trials the study must hold (finished or pruned) when this process stops. (default: ``20``)
        timeout (float, optional): Start no trial after this many seconds. (default: ``None``)
        cpu_minutes (float, optional): The study's CPU budget: its trials' CPU time, summed over every process and
            every run of the command; no trial starts once it is spent, and the trial that spends it stops at its
            next evaluated epoch (marked pruned, "budget"), so studies given the same budget spent the same, within
            an epoch. Unlike ``timeout``, other work sharing the machine does not shrink it. (default: ``None``)
        storage (str, optional): A database URL; ``None`` = the journal file in the runs directory.
        refit (bool): Refit the best trial on train + validation at the end. (default: ``False``)
        pruner_startup (int): Trials finished before the pruner judges any. (default: ``5``)
        defaults_first (bool): A new study's first trial is the model's defaults (those inside the space), so the
            study says whether they hold against its draws on the same budget. (default: ``False``)
    """

    name: str
    base: TrainConfig
    metric: str = "ndcg@20"
    space: Sequence[str] = ()
    trials: int = 20
    timeout: float | None = None
    cpu_minutes: float | None = None
    storage: str | None = None
    refit: bool = False
    pruner_startup: int = 5
    defaults_first: bool = False
    ks_given: bool = field(default=False, repr=False)  # the cut-offs came from --k (so must end at the metric's K)


def prepare(settings: TuneSettings) -> tuple[TrainConfig, dict[str, Any], dict[str, Any]]:
    """``(base config, space, meta)`` of ``settings``, every value checked and nothing created.

    Raises:
        ValueError: Naming the bad setting.
    """
    check_study_name(settings.name)
    if not isinstance(settings.trials, int) or settings.trials < 1:
        raise ValueError(f"--trials must be at least 1 (got {settings.trials})")
    if settings.timeout is not None and not settings.timeout > 0:
        raise ValueError(f"--timeout must be a positive number of seconds (got {settings.timeout})")
    if settings.cpu_minutes is not None and not settings.cpu_minutes > 0:
        raise ValueError(f"--cpu-minutes must be a positive number of minutes (got {settings.cpu_minutes})")
    if settings.pruner_startup < 0:
        raise ValueError(f"--pruner-startup must be 0 or more (got {settings.pruner_startup})")
    monitor, k = _metric(settings.metric)
    ks = sorted({value for value in settings.base.ks if value < k} | {k}) if k else settings.base.ks
    if settings.ks_given and k and max(settings.base.ks) != k:
        raise ValueError(f"--metric {settings.metric} needs {k} to be the largest --k (got {settings.base.ks})")
    base = resolve(dataclasses.replace(settings.base, monitor=monitor, ks=ks, study=settings.name, trial=None))
    if base.val_ratio <= 0:
        raise ValueError(
            f"tune chooses on the validation slice, so --val-ratio must be above 0 (got {base.val_ratio}); "
            "the test split is never read by the search"
        )
    space = parse_space(base.model, settings.space)
    meta = {key: getattr(base, key) for key in META_KEYS if key not in ("metric", "space")}
    meta.update(metric=base.monitor_key, space=space_to_dict(space))
    return base, space, meta


def _metric(text: str) -> tuple[str, int | None]:
    name, _, k = text.partition("@")
    if name == "mrr" and not k:
        return name, None
    if name not in METRIC_NAMES or name == "mrr" or not k.isdigit() or int(k) < 1:
        raise ValueError(
            f"--metric {text!r} is not a validation metric; use NAME@K with NAME one of "
            f"{', '.join(m for m in METRIC_NAMES if m != 'mrr')} (e.g. ndcg@20), or mrr"
        )
    return name, int(k)


def open_study(settings: TuneSettings, runs_dir: str | Path) -> optuna.Study:
    """Create study ``settings.name``, or reopen it when its settings are these.

    Raises:
        ValueError: A bad setting (nothing is created), a storage that cannot be reached, or a study of that name
            started with other settings (naming each that differs).
    """
    _, _, meta = prepare(settings)
    storage = open_storage(runs_dir, settings.name, settings.storage, create=True)
    study = optuna.create_study(
        study_name=settings.name,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=settings.pruner_startup, n_warmup_steps=1),
    )
    saved = read_meta(study)
    if saved:
        differ = [f"{key} {saved.get(key)!r} (now {meta[key]!r})" for key in meta if saved.get(key) != meta[key]]
        if differ:
            raise ValueError(
                f"study {settings.name!r} was started with other settings: {'; '.join(differ)}; "
                "use another --name, or the same settings to continue it"
            )
    else:
        study.set_user_attr("meta", meta)
    return study


def run_study(
    settings: TuneSettings,
    runs_dir: str | Path,
    report: Callable[[str], None] = print,
    progress: bool = False,
) -> StudyInfo:
    """Run trials of study ``settings.name`` until it holds ``settings.trials`` finished or pruned ones (counting
    those of earlier runs and of other processes), or the timeout passes; then refit the best when asked.

    Args:
        settings (TuneSettings): The study.
        runs_dir (str | Path): Where the trials' runs (and the default journal file) go.
        report (Callable[[str], None]): Receives one line per trial. (default: ``print``)
        progress (bool): A progress bar per trial. (default: ``False``)

    Returns:
        StudyInfo: The study after this process's trials (``refit_run`` set when refit).

    Raises:
        TuneInterrupted: Ctrl-C or SIGTERM; the trial it stopped is marked failed, finished ones are kept.
        ValueError: As :func:`open_study`, or no trial finished so nothing can be refit.
    """
    base, space, _ = prepare(settings)
    study = open_study(settings, runs_dir)
    if settings.defaults_first and not study.get_trials(deepcopy=False):
        study.enqueue_trial(current_values(base, space), user_attrs={"defaults": True})
    clock = _Clock(settings.timeout)
    failures: list[str] = []  # errors of the trials that failed in a row
    while not clock.over() and not _budget_spent(study, settings) and _counted(study) < settings.trials:
        if len(failures) >= MAX_FAILURES_IN_A_ROW:
            raise ValueError(
                f"{len(failures)} trials of study {settings.name!r} failed in a row (the last: {failures[-1]}); "
                "fix the settings or narrow --space, then run the same command again"
            )
        reap_stale_trials(study, report)
        with warnings.catch_warnings():  # Optuna expects heartbeats with its own optimize(); ours beat per trial
            warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used", UserWarning)
            trial = study.ask()
        if _counted(study, before=trial.number) >= settings.trials:  # another process took the last trial first
            trial.set_user_attr("surplus", True)
            study.tell(trial, state=TrialState.FAIL)
            break
        failure = _run_trial(study, trial, base, space, settings, runs_dir, report, progress)
        failures = [*failures, failure] if failure else []
    info = describe(settings.name, study)
    if settings.refit:
        info.refit_run = _refit(study, info, runs_dir, report, progress).name
    return info


def reap_stale_trials(study: optuna.Study, report: Callable[[str], None] = print) -> list[int]:
    """Mark failed the running trials whose ``tune`` process is gone, so they neither hold the budget nor read as
    running forever: on this machine, those whose recorded process no longer exists (a SIGKILL, a crash, a reboot);
    in a database, also those of any machine whose heartbeat stopped (Optuna's ``fail_stale_trials``). Their runs
    read as interrupted and can be deleted; the study draws new trials in their place.

    Returns:
        list[int]: The trial numbers marked failed here.
    """
    with warnings.catch_warnings():  # Optuna calls its heartbeat API experimental (since 2.9); it is what it has
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # a no-op without heartbeats (the journal file)
    host, reaped = socket.gethostname(), []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = trial.user_attrs.get("pid")
        if trial.user_attrs.get("host") != host or not isinstance(pid, int) or process_alive(pid):
            continue
        why = f"its tune process (pid {pid} on {host}) ended without finishing it (killed?)"
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "error", why)
            study.tell(trial.number, state=TrialState.FAIL)
        except (ValueError, RuntimeError):  # another process of the study reaped it first
            continue
        reaped.append(trial.number)
        report(f"trial {trial.number} marked failed: {why}")
    return reaped


@contextlib.contextmanager
def _heartbeat(study: optuna.Study, trial: optuna.Trial):
    """Record the trial's heartbeat every ``heartbeat_interval`` seconds while it trains (database storages)."""
    storage = study._storage  # Optuna's cache over the database, a heartbeat storage itself
    interval = storage.get_heartbeat_interval() if hasattr(storage, "record_heartbeat") else None
    if interval is None:
        yield
        return
    stop = threading.Event()

    def beat() -> None:
        while True:
            storage.record_heartbeat(trial._trial_id)
            if stop.wait(interval):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-trial-{trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _cpu_spent(study: optuna.Study) -> float:
    """CPU-seconds the study's trials have spent, in every process (each records its own when it ends)."""
    return sum(float(t.user_attrs.get("cpu_seconds", 0.0)) for t in study.get_trials(deepcopy=False))


def _budget_spent(study: optuna.Study, settings: TuneSettings) -> bool:
    return settings.cpu_minutes is not None and _cpu_spent(study) >= settings.cpu_minutes * 60


def _counted(study: optuna.Study, before: int | None = None) -> int:
    trials = study.get_trials(deepcopy=False, states=COUNTED)
    return sum(1 for t in trials if (before is None or t.number < before) and not t.user_attrs.get("surplus"))


class _Clock:
    def __init__(self, timeout: float | None) -> None:
        import time

        self.deadline = None if timeout is None else time.monotonic() + timeout

    def over(self) -> bool:
        import time

        return self.deadline is not None and time.monotonic() >= self.deadline


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_trial(
    study: optuna.Study,
    trial: optuna.Trial,
    base: TrainConfig,
    space: dict[str, Any],
    settings: TuneSettings,
    runs_dir: str | Path,
    report: Callable[[str], None],
    progress: bool,
) -> str | None:
    """Train trial ``trial`` and tell the study how it ended; the error of a failed trial, else ``None``."""
    from engine.training.trainer import train

    started = _cpu_seconds()
    spent_before = _cpu_spent(study)
    run_id = f"{settings.name}-trial{trial.number:04d}"
    pruned: list[str] = []

    def judge(epoch: int, metrics: dict[str, Any]) -> str | None:
        trial.report(float(metrics[base.monitor_key]), epoch)
        if settings.cpu_minutes is not None and spent_before + _cpu_seconds() - started >= settings.cpu_minutes * 60:
            trial.set_user_attr("budget", True)
            pruned.append(f"stopped by study {settings.name} after epoch {epoch}: its CPU budget of "
                          f"{settings.cpu_minutes:g} CPU-minutes is spent")  # fmt: skip
            return pruned[0]
        if trial.should_prune():
            pruned.append(f"pruned by study {settings.name} after epoch {epoch} (validation {base.monitor_key} "
                          f"{metrics[base.monitor_key]:.4f}, below the median of earlier trials)")  # fmt: skip
            return pruned[0]
        return None

    try:
        # TPE's own random stream, seeded per trial: a resumed or parallel study draws new values, the same ones
        # every time for the same seed and history
        study.sampler = optuna.samplers.TPESampler(seed=base.seed * 100_003 + trial.number)
        values = suggest(trial, base.model, space)
        config = resolve(dataclasses.replace(apply(base, values), trial=trial.number))
        trial.set_user_attr("run_id", run_id)
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        with _heartbeat(study, trial):
            path = train(config, runs_dir, run_id, progress=progress, on_evaluation=judge)
    except KeyboardInterrupt:
        _tell_failed(study, trial, started, "interrupted (Ctrl-C)")
        raise TuneInterrupted(f"trial {trial.number} interrupted") from None
    except (FloatingPointError, ValueError, RuntimeError, OSError) as error:
        _tell_failed(study, trial, started, " ".join(str(error).split())[:500])
        report(f"trial {trial.number} failed: {' '.join(str(error).split())}")
        return " ".join(str(error).split())
    info = RunDir(path).read()
    trial.set_user_attr("cpu_seconds", _cpu_seconds() - started)
    shown = ", ".join(f"{name}={_short(value)}" for name, value in sorted(values.items()))
    if trial.user_attrs.get("defaults"):
        shown += " (the model's defaults)"
    if pruned:
        study.tell(trial, state=TrialState.PRUNED)
        why = "stopped, the CPU budget spent," if trial.user_attrs.get("budget") else "pruned"
        report(f"trial {trial.number} {why} after epoch {info.status.get('epoch')}: {shown}  ({path.name})")
        return None
    if info.state != "finished":
        _tell_failed(study, trial, started, info.status.get("reason") or info.state)
        raise TuneInterrupted(f"trial {trial.number} was {info.state}: {info.status.get('reason') or ''}")
    summary = info.summary or {}
    value = float((summary.get("validation") or {})[base.monitor_key])
    trial.set_user_attr("best_epoch", summary.get("best_epoch"))
    study.tell(trial, value)
    report(
        f"trial {trial.number} finished: validation {base.monitor_key} {value:.4f} at epoch "
        f"{summary.get('best_epoch')}: {shown}  ({path.name})"
    )
    return None


def _tell_failed(study: optuna.Study, trial: optuna.Trial, started: float, why: str) -> None:
    trial.set_user_attr("cpu_seconds", _cpu_seconds() - started)
    trial.set_user_attr("error", why)
    study.tell(trial, state=TrialState.FAIL)


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _refit(
    study: optuna.Study, info: StudyInfo, runs_dir: str | Path, report: Callable[[str], None], progress: bool
) -> Path:
    """The refit run of the best trial (reused when a finished one exists), recorded in the study's user attrs."""
    from engine.training.refit import refit

    if info.best_run is None:
        raise ValueError(f"study {info.name!r} has no finished trial to refit; run more trials")
    if not (Path(runs_dir) / info.best_run).is_dir():
        raise ValueError(
            f"the best trial's run {info.best_run} is not in {runs_dir} (another machine trained it); run tune "
            "--refit there, or copy that run directory here"
        )
    run_id = f"{info.best_run}-refit"
    path = Path(runs_dir) / run_id
    existing = RunDir(path).read() if path.is_dir() else None
    if existing is None or existing.state != "finished":
        if existing is not None:
            raise ValueError(f"refit run {path} exists and is {existing.state}; resume it or remove it")
        report(f"refit of trial {info.best_trial} ({info.best_run}) on train + validation")
        path = refit(Path(runs_dir) / info.best_run, run_id, progress=progress)
    study.set_user_attr("refit_run", path.name)
    return path
