"""Training: the loop alone (trainer, data-parallel group, early stopping, checkpoints, evaluation and metrics)."""

from engine.training.checkpoint import CheckpointError
from engine.training.evaluation import EvalData, evaluate
from engine.training.load import LoadedRun, load_run
from engine.training.metrics import compute_metrics
from engine.training.optimizers import RowSparseAdam, TableAdam
from engine.training.trainer import resume, train

__all__ = [
    "CheckpointError",
    "EvalData",
    "LoadedRun",
    "RowSparseAdam",
    "TableAdam",
    "compute_metrics",
    "evaluate",
    "load_run",
    "resume",
    "train",
]
