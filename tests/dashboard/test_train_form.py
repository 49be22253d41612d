"""The Train page's form model: fields from Params and TrainConfig, and validation of submitted values."""

from __future__ import annotations

import dataclasses

import pytest

from dashboard.components.train_form import (
    LABELS,
    TRAINER_FIELDS,
    build_config,
    help_text,
    label,
    model_fields,
    parse_int_list,
    trainer_fields,
)
from engine.models import MODELS
from engine.runs.config import TrainConfig, resolve


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_fields_mirror_the_params_dataclass(model: str) -> None:
    params = MODELS[model].Params
    fields = model_fields(model)
    assert [f.name for f in fields] == [f.name for f in dataclasses.fields(params)]
    for form_field, spec in zip(fields, dataclasses.fields(params), strict=True):
        assert form_field.default == spec.default
        assert form_field.help == spec.metadata.get("help", "")
        assert form_field.kind in ("int", "float", "bool", "str", "choice")
        if form_field.kind in ("int", "float") and form_field.min is not None:
            assert form_field.min <= form_field.default <= form_field.max


@pytest.mark.parametrize("model", sorted(MODELS))
def test_trainer_fields_take_the_models_defaults_from_train_config(model: str) -> None:
    defaults = resolve(TrainConfig(model=model))
    specs = {spec.name: spec for spec in dataclasses.fields(TrainConfig)}
    fields = {f.name: f for f in trainer_fields(model)}
    assert list(fields) == list(TRAINER_FIELDS)
    for name, field in fields.items():
        assert field.default == getattr(defaults, name)
        assert (field.min, field.max) == (specs[name].metadata.get("min"), specs[name].metadata.get("max"))
    assert fields["ks"].kind == "int_list" and fields["split"].kind == "choice"
    assert fields["lr"].kind == "float" and fields["epochs"].kind == "int" and fields["min_rating"].kind == "float"
    assert all(f.default is not None for f in fields.values() if f.name != "min_rating")


def form_values(**overrides) -> dict:
    values = {f.name: f.default for f in trainer_fields("lightgcn")}
    values["ks"] = "10, 20"
    return {**values, **overrides}


def test_build_config_gives_a_validated_config() -> None:
    params = {f.name: f.default for f in model_fields("lightgcn")}
    config = build_config("synthetic", "", "lightgcn", params, form_values(epochs=2, ks="20, 5"))
    assert isinstance(config, TrainConfig)
    assert (config.model, config.epochs, config.ks, config.data_dir) == ("lightgcn", 2, [5, 20], None)
    assert config.params == params


@pytest.mark.parametrize(
    ("params", "trainer", "message"),
    [
        ({"num_layers": 99}, {}, "'num_layers' of LightGCNParams must lie in \\[1, 6\\] \\(got 99\\)"),
        ({}, {"lr": 0.0}, "'lr' must be a number in \\[1e-09, 1.0\\] \\(got 0.0\\)"),
        ({}, {"epochs": 0}, "'epochs' must be an integer in \\[1, 10000\\] \\(got 0\\); the default is 50"),
        ({}, {"test_ratio": 0.95}, "'test_ratio' must be a number in \\[0.01, 0.9\\]"),
        ({}, {"ks": "10, ten"}, "got 'ten'"),
        ({}, {"ks": " , "}, "needs at least one value"),
        ({}, {"ks": "0, 10"}, "every K must be an integer in \\[1, 10000\\]"),
        ({}, {"val_ratio": 0.5, "test_ratio": 0.5}, "must leave training data"),
        ({"no_such_param": 1}, {}, "unknown parameter"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(params: dict, trainer: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_config("synthetic", None, "lightgcn", params, form_values(**trainer))


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model 'gpt'"):
        model_fields("gpt")


def test_parse_int_list_accepts_commas_and_semicolons() -> None:
    assert parse_int_list("5; 10,20 ,") == [5, 10, 20]


@pytest.mark.parametrize("model", list(MODELS))
def test_every_field_has_a_human_label_and_names_the_engine_field_in_its_help(model: str) -> None:
    for form_field in model_fields(model) + trainer_fields(model):
        assert form_field.name in LABELS, f"{form_field.name} has no label"
        assert len(label(form_field.name)) <= 18, label(form_field.name)  # fits a form column two fields wide
        assert help_text(form_field).endswith(f"(engine name `{form_field.name}`)")
