"""Training: config, trainer, metrics, checkpoints, the run directory the dashboard reads, and background processes."""

from engine.training.checkpoint import CheckpointError
from engine.training.cli import train_command
from engine.training.config import TrainConfig, model_params, resolve
from engine.training.evaluation import EvalData, evaluate
from engine.training.load import LoadedRun, load_run
from engine.training.metrics import compute_metrics
from engine.training.process import (
    ExperimentLaunch,
    Launch,
    is_training_process,
    log_tail,
    resume_command,
    resume_training,
    start_experiment,
    start_projection,
    start_training,
    stop_training,
)
from engine.training.rundir import (
    ACTIVE_STATES,
    RUN_STATES,
    RunDir,
    RunDirError,
    RunInfo,
    check_run_id,
    new_run_id,
    process_alive,
    read_run,
)
from engine.training.runstore import RunNotFound, RunStore
from engine.training.trainer import resume, train

__all__ = [
    "ACTIVE_STATES",
    "RUN_STATES",
    "CheckpointError",
    "EvalData",
    "ExperimentLaunch",
    "Launch",
    "LoadedRun",
    "RunDir",
    "RunDirError",
    "RunInfo",
    "RunNotFound",
    "RunStore",
    "TrainConfig",
    "check_run_id",
    "compute_metrics",
    "evaluate",
    "is_training_process",
    "load_run",
    "log_tail",
    "model_params",
    "new_run_id",
    "process_alive",
    "read_run",
    "resolve",
    "resume",
    "start_experiment",
    "start_projection",
    "resume_command",
    "resume_training",
    "start_training",
    "stop_training",
    "train",
    "train_command",
]
