"""A study's search space: the model's own (``Recommender.search_space``, beside its ``Params``), narrowed from the
command line (``--space lr=1e-4:1e-2 --space batch_size=1024,2048``), checked, and handed to Optuna.

Names are the model's ``Params`` fields or the trainer settings every model has a default for (``lr``,
``batch_size``, ``num_negatives``); a range's kind (integer or real) follows the field's type, and it must stay
within the field's bounds.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import typing
from collections.abc import Sequence
from typing import Any

import optuna

from engine.models.search import Choices, Dimension, Range, dimension_from_dict
from engine.runs.config import TrainConfig

TRAINER_NAMES = ("lr", "batch_size", "num_negatives")  # TrainConfig fields a space may search


def model_space(model: str) -> dict[str, Dimension]:
    """The search space ``model`` declares beside its ``Params``.

    Raises:
        ValueError: An unknown model, naming the known ones.
    """
    from engine.models import MODELS

    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: choose one of {', '.join(sorted(MODELS))}")
    return dict(MODELS[model].search_space)


def field_kind(model: str, name: str) -> tuple[type, float | None, float | None]:
    """``(int | float | bool, min, max)`` of a searchable field of ``model``.

    Raises:
        ValueError: ``name`` is neither a trainer setting nor a ``Params`` field of ``model``; the message lists them.
    """
    from engine.models import MODELS

    params_class = MODELS[model].Params
    specs = {f.name: f for f in dataclasses.fields(params_class)}
    hints = typing.get_type_hints(params_class, globalns=vars(sys.modules[params_class.__module__]))
    if name in TRAINER_NAMES:
        spec = {f.name: f for f in dataclasses.fields(TrainConfig)}[name]
        kind = float if name == "lr" else int
        return kind, spec.metadata.get("min"), spec.metadata.get("max")
    if name not in specs:
        raise ValueError(
            f"unknown parameter {name!r} in the search space of model {model!r}; it can search: "
            f"{', '.join([*TRAINER_NAMES, *specs])}"
        )
    hint = hints[name]
    kind = next((t for t in (bool, int, float) if hint is t or t in typing.get_args(hint)), float)
    return kind, specs[name].metadata.get("min"), specs[name].metadata.get("max")


def parse_space(model: str, texts: Sequence[str]) -> dict[str, Dimension]:
    """The model's space with each ``NAME=LOW:HIGH`` (a range, log-scaled where the model's is) or
    ``NAME=V1,V2,...`` (choices) replacing or adding that dimension.

    Raises:
        ValueError: An unknown model or name, text that is neither form, an empty or inverted range, or a value
            outside the field's bounds; the message names the ``--space`` text.
    """
    space = model_space(model)
    for text in texts:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise ValueError(f"--space expects NAME=LOW:HIGH or NAME=V1,V2 (got {text!r}), e.g. --space lr=1e-4:1e-2")
        kind, low, high = field_kind(model, name)
        if ":" in value:
            ends = value.split(":")
            numbers = [_number(text, end, kind) for end in ends] if len(ends) == 2 else None
            if numbers is None:
                raise ValueError(f"--space {text!r}: a range is LOW:HIGH, e.g. {name}=1:3")
            if not numbers[0] < numbers[1]:
                raise ValueError(
                    f"--space {text!r}: the range is {'empty' if numbers[0] == numbers[1] else 'inverted'}; "
                    f"give LOW < HIGH, or one value to fix it ({name}={ends[0].strip()})"
                )
            previous = space.get(name)
            log = previous.log if isinstance(previous, Range) else False
            dimension: Dimension = Range(numbers[0], numbers[1], log=log and numbers[0] > 0)
            values = numbers
        else:
            values = [_number(text, part, kind) for part in value.split(",")]
            if len(set(values)) != len(values):
                raise ValueError(f"--space {text!r}: a value is repeated")
            dimension = Choices(tuple(values))
        for number in values:
            if (low is not None and number < low) or (high is not None and number > high):
                raise ValueError(f"--space {text!r}: {number} lies outside {name}'s bounds [{low}, {high}]")
        space[name] = dimension
    return space


def _number(text: str, part: str, kind: type) -> Any:
    part = part.strip()
    try:
        if kind is bool:
            words = {"true": True, "1": True, "false": False, "0": False}
            return words[part.lower()]
        value = float(part)
        if not math.isfinite(value) or (kind is int and not value.is_integer()):
            raise ValueError
        return int(value) if kind is int else value
    except (ValueError, KeyError):
        noun = {int: "whole numbers", bool: "true or false"}.get(kind, "numbers")
        raise ValueError(f"--space {text!r}: {part!r} is not one of the {noun} this field takes") from None


def space_to_dict(space: dict[str, Dimension]) -> dict[str, dict[str, Any]]:
    """The space as plain JSON data (what a study's user attrs keep), names sorted."""
    return {name: space[name].to_dict() for name in sorted(space)}


def space_from_dict(values: dict[str, dict[str, Any]]) -> dict[str, Dimension]:
    """The inverse of :func:`space_to_dict`."""
    return {name: dimension_from_dict(value) for name, value in values.items()}


def suggest(trial: optuna.Trial, model: str, space: dict[str, Dimension]) -> dict[str, Any]:
    """One value per dimension, drawn by the study's sampler through ``trial``."""
    values = {}
    for name in sorted(space):
        dimension = space[name]
        if isinstance(dimension, Choices):
            values[name] = trial.suggest_categorical(name, list(dimension.values))
        elif field_kind(model, name)[0] is int:
            values[name] = trial.suggest_int(name, int(dimension.low), int(dimension.high), log=dimension.log)
        else:
            values[name] = trial.suggest_float(name, float(dimension.low), float(dimension.high), log=dimension.log)
    return values


def current_values(config: TrainConfig, space: dict[str, Dimension]) -> dict[str, Any]:
    """The values resolved ``config`` already has for the names of ``space`` that lie inside it (its defaults, for a
    config of defaults): the trial a study starts from with ``--defaults-first``."""
    values = {}
    for name, dimension in space.items():
        value = getattr(config, name) if name in TRAINER_NAMES else config.params.get(name)
        inside = (
            value in dimension.values
            if isinstance(dimension, Choices)
            else value is not None and dimension.low <= value <= dimension.high
        )
        if inside:
            values[name] = value
    return values


def apply(config: TrainConfig, values: dict[str, Any]) -> TrainConfig:
    """``config`` with the trainer settings and model parameters of ``values`` set."""
    trainer = {name: value for name, value in values.items() if name in TRAINER_NAMES}
    params = {name: value for name, value in values.items() if name not in TRAINER_NAMES}
    return dataclasses.replace(config, **trainer, params={**config.params, **params})
