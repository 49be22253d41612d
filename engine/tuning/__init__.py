"""Hyper-parameter search with Optuna (``python -m engine tune``): one study per (dataset, model), every trial an
ordinary run of the runs directory, pruned on the validation metric, resumable, shareable through a database.

What other parts read: :func:`load_study` and :func:`study_storage` (the Optuna study and its storage),
:func:`list_studies` / :func:`study_info` (:class:`StudyInfo`: settings, budget, best trial and its runs) and
:func:`best_config` (the best trial's :class:`~engine.runs.TrainConfig`).
"""

from engine.tuning.space import model_space, parse_space
from engine.tuning.storage import STUDIES, load_study, study_names, study_storage
from engine.tuning.studies import StudyInfo, best_config, describe, list_studies, study_info

__all__ = [
    "STUDIES",
    "StudyInfo",
    "best_config",
    "describe",
    "list_studies",
    "load_study",
    "model_space",
    "parse_space",
    "study_info",
    "study_names",
    "study_storage",
]
