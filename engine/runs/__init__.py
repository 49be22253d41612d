"""Runs on disk: what a run directory holds (config, status, metrics, arrays), read and written safely; no torch."""

from engine.runs.config import TrainConfig, model_params, resolve
from engine.runs.logs import log_tail
from engine.runs.names import (
    ACTIVE_STATES,
    DEFAULT_RUNS_DIR,
    RUN_STATES,
    RunDirError,
    check_run_id,
    experiment_log_path,
    experiment_path,
    new_run_id,
    process_alive,
)
from engine.runs.rundir import RunDir, RunInfo, read_run
from engine.runs.runstore import RunNotFound, RunStore

__all__ = [
    "ACTIVE_STATES",
    "DEFAULT_RUNS_DIR",
    "RUN_STATES",
    "RunDir",
    "RunDirError",
    "RunInfo",
    "RunNotFound",
    "RunStore",
    "TrainConfig",
    "check_run_id",
    "experiment_log_path",
    "experiment_path",
    "log_tail",
    "model_params",
    "new_run_id",
    "process_alive",
    "read_run",
    "resolve",
]
