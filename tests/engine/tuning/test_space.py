"""Every model's declared search space is searchable, and ``--space`` narrows it or is refused in words."""

from __future__ import annotations

import optuna
import pytest

from engine.models import MODELS
from engine.models.search import Choices, Range
from engine.runs.config import TrainConfig, resolve
from engine.tuning.space import apply, field_kind, model_space, parse_space, space_from_dict, space_to_dict, suggest


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_models_space_lies_within_its_fields_bounds_and_trains(model):
    space = model_space(model)
    assert {"lr", "batch_size", "reg"} <= set(space), "learning rate, batch size and L2 are searched for every model"
    assert space["lr"].log and space["reg"].log
    for name, dimension in space.items():
        kind, low, high = field_kind(model, name)
        values = dimension.values if isinstance(dimension, Choices) else (dimension.low, dimension.high)
        assert all((low is None or v >= low) and (high is None or v <= high) for v in values), (name, values)
        if isinstance(dimension, Range):
            assert dimension.low < dimension.high and (kind is float or float(dimension.low).is_integer())
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(5):  # any draw gives a config the trainer accepts
        values = suggest(study.ask(), model, space)
        config = resolve(apply(TrainConfig(model=model, dataset="synthetic"), values))
        assert config.lr == values["lr"] and config.params["reg"] == values["reg"]
    assert space_from_dict(space_to_dict(space)) == space


def test_space_flags_narrow_ranges_and_give_choices():
    space = parse_space("lightgcn", ["lr=1e-3:1e-2", "num_layers=1:2", "batch_size=1024,2048"])
    assert space["lr"] == Range(1e-3, 1e-2, log=True), "a narrowed range keeps the model's log scale"
    assert space["num_layers"] == Range(1, 2) and space["batch_size"] == Choices((1024, 2048))
    assert parse_space("mf", ["init_std=0.01:0.2"])["init_std"] == Range(0.01, 0.2), "a field the model leaves fixed"


@pytest.mark.parametrize(
    ("model", "texts", "message"),
    [
        ("gcn", [], "unknown model 'gcn'"),
        ("mf", ["num_layers=1:3"], "unknown parameter 'num_layers' in the search space of model 'mf'"),
        ("lightgcn", ["num_layers=3:1"], "the range is inverted"),
        ("lightgcn", ["num_layers=2:2"], "the range is empty"),
        ("lightgcn", ["num_layers=1.5:3"], "'1.5' is not one of the whole numbers"),
        ("lightgcn", ["num_layers=1:9"], "9 lies outside num_layers's bounds [1, 6]"),
        ("mf", ["lr=0.01:0.1:1"], "a range is LOW:HIGH"),
        ("mf", ["batch_size=512,512"], "a value is repeated"),
        ("mf", ["=1:2"], "--space expects NAME=LOW:HIGH or NAME=V1,V2"),
    ],
)
def test_bad_spaces_are_refused_naming_the_text(model, texts, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_space(model, texts)
