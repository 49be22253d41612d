"""Which class a run's ``model`` names: one of :data:`MODELS`, a user's ``package.module:ClassName``, or a run
logged with :mod:`engine.track` (``track:<name>``, whose embeddings are its snapshots).

A custom class is imported from the current ``sys.path`` (the folder Python was started in included), so
``--model mypkg.models:TwoTower`` trains ``TwoTower`` with the engine's loader, samplers, trainer and evaluation.
"""

from __future__ import annotations

import dataclasses
import importlib
import re

from engine.models.base import Recommender, TrainDefaults
from engine.models.graphsage import GraphSAGE
from engine.models.lightgcn import LightGCN
from engine.models.mf import MatrixFactorization
from engine.models.pinsage import PinSage
from engine.models.snapshot import SnapshotEmbeddings

MODELS: dict[str, type[Recommender]] = {cls.name: cls for cls in (MatrixFactorization, LightGCN, GraphSAGE, PinSage)}

TRACK_PREFIX = "track:"  # config.json's model of a run logged with engine.track: "track:<name>"
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*$")


def is_import_path(name: str) -> bool:
    """Whether ``name`` reads as ``package.module:ClassName``."""
    return isinstance(name, str) and bool(_IMPORT_PATH.fullmatch(name))


def is_tracked(name: str) -> bool:
    """Whether ``name`` is the model of a run logged with :mod:`engine.track`, which the engine cannot train."""
    return isinstance(name, str) and name.startswith(TRACK_PREFIX)


def model_class(name: str) -> type[Recommender]:
    """The :class:`Recommender` subclass a run's ``model`` names.

    Args:
        name (str): ``mf``, ``lightgcn``, ``graphsage``, ``pinsage``, ``package.module:ClassName`` or
            ``track:<name>``.

    Raises:
        ValueError: An unknown name, a module that cannot be imported, or a class that is not a usable
            :class:`Recommender` (the message says what it lacks).
    """
    if isinstance(name, str) and name in MODELS:
        return MODELS[name]
    if is_tracked(name):
        return SnapshotEmbeddings
    if not is_import_path(name):
        raise ValueError(
            f"unknown model {name!r}: choose one of {', '.join(sorted(MODELS))}, or name your own Recommender "
            "subclass as package.module:ClassName"
        )
    cls = load_class(name)
    problems = class_problems(cls)
    if problems:
        raise ValueError(f"model {name!r} cannot be trained by the engine: {'; '.join(problems)}")
    return cls


def load_class(name: str) -> object:
    """What ``package.module:ClassName`` names, imported but not yet checked (:func:`class_problems` does that).

    Raises:
        ValueError: Not such a path, a module that cannot be imported, or no such name in it.
    """
    if not is_import_path(name):
        raise ValueError(f"{name!r} is not package.module:ClassName (e.g. mypackage.models:TwoTower)")
    module_name, class_name = name.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(
            f"cannot import module {module_name!r} of model {name!r} ({error}); run from the folder that holds "
            "the package, or add it to PYTHONPATH"
        ) from None
    except Exception as error:  # the module itself fails: a SyntaxError, an error at import time
        raise ValueError(
            f"importing module {module_name!r} of model {name!r} raised {type(error).__name__}: {error}"
        ) from None
    if not hasattr(module, class_name):
        raise ValueError(f"module {module_name!r} has no class {class_name!r} (model {name!r})")
    return getattr(module, class_name)


def class_problems(cls: object) -> list[str]:
    """What ``cls`` lacks to be trained by the engine, one phrase each; empty when nothing.

    Checked without building the model: a :class:`Recommender` subclass, no abstract method left, a ``name``,
    a dataclass ``Params`` whose fields have defaults and ``help``/``min``/``max`` metadata, and ``default_train``.
    """
    if not isinstance(cls, type) or not issubclass(cls, Recommender):
        what = cls.__name__ if isinstance(cls, type) else type(cls).__name__
        return [f"{what} is not a subclass of engine.models.Recommender"]
    problems = []
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        problems.append(f"{cls.__name__} does not implement {', '.join(missing)} (abstract in Recommender)")
    if not isinstance(getattr(cls, "name", None), str) or not cls.name.strip():
        problems.append(f"{cls.__name__} has no class attribute name (a str such as 'twotower')")
    params = getattr(cls, "Params", None)
    if not (isinstance(params, type) and dataclasses.is_dataclass(params)):
        problems.append(f"{cls.__name__}.Params must be a dataclass of its hyper-parameters (an empty one if none)")
    else:
        for spec in dataclasses.fields(params):
            if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
                problems.append(f"{cls.__name__}.Params.{spec.name} has no default")
            lacking = [key for key in ("help", "min", "max") if key not in spec.metadata]
            if lacking:
                problems.append(
                    f"{cls.__name__}.Params.{spec.name} lacks metadata {', '.join(lacking)} "
                    "(field(default=..., metadata={'help': ..., 'min': ..., 'max': ...}))"
                )
    if not isinstance(getattr(cls, "default_train", None), TrainDefaults):
        problems.append(
            f"{cls.__name__}.default_train must be a engine.models.base.TrainDefaults(epochs, lr, batch_size, "
            "num_negatives)"
        )
    return problems
