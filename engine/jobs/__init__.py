"""Jobs: the engine's background processes (training, experiments, maps), started, stopped, and served warm by the
dashboard's worker (its client and server in separate modules)."""

from engine.jobs.process import (
    ExperimentLaunch,
    Launch,
    is_training_process,
    resume_training,
    start_experiment,
    start_maps,
    start_projection,
    start_training,
    stop_training,
)

__all__ = [
    "ExperimentLaunch",
    "Launch",
    "is_training_process",
    "resume_training",
    "start_experiment",
    "start_maps",
    "start_projection",
    "start_training",
    "stop_training",
]
