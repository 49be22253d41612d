"""Training: config, trainer, metrics, checkpoints and the run directory the dashboard reads."""

from engine.training.checkpoint import CheckpointError
from engine.training.cli import train_command
from engine.training.config import TrainConfig, model_params, resolve
from engine.training.evaluation import EvalData, evaluate
from engine.training.load import LoadedRun, load_run
from engine.training.metrics import compute_metrics
from engine.training.runstore import RUN_STATES, RunDir, RunInfo, RunNotFound, RunStore, check_run_id, read_run
from engine.training.trainer import resume, train

__all__ = [
    "RUN_STATES",
    "CheckpointError",
    "EvalData",
    "LoadedRun",
    "RunDir",
    "RunInfo",
    "RunNotFound",
    "RunStore",
    "TrainConfig",
    "check_run_id",
    "compute_metrics",
    "evaluate",
    "load_run",
    "model_params",
    "read_run",
    "resolve",
    "resume",
    "train",
    "train_command",
]
