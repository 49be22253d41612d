"""Experiments: every model x seed (x grid point) on one split, resumable, and their comparison against a baseline."""

from engine.experiments.results import (
    SPLIT_FIELDS,
    check_one_split,
    comparison,
    experiment_comparison,
    render,
    runs_of_directories,
    runs_of_experiment,
    validation_test_note,
)
from engine.experiments.runner import (
    ExperimentInterrupted,
    check_experiment,
    list_experiments,
    member_states,
    read_experiment,
    run_experiment,
    select_grid_points,
)
from engine.experiments.spec import ExperimentSpec, Member, parse_grid

__all__ = [
    "SPLIT_FIELDS",
    "ExperimentInterrupted",
    "ExperimentSpec",
    "Member",
    "check_experiment",
    "check_one_split",
    "comparison",
    "experiment_comparison",
    "list_experiments",
    "member_states",
    "parse_grid",
    "read_experiment",
    "render",
    "run_experiment",
    "runs_of_directories",
    "runs_of_experiment",
    "select_grid_points",
    "validation_test_note",
]
