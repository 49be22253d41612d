"""Every default a ``--help`` shows, and every default a flag takes, is the one of the dataclass that owns it."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re

import pytest

from engine.cli import sample as sampling_cli
from engine.cli import train as training_cli
from engine.cli.args import Parser
from engine.models import MODELS
from engine.models.base import TrainDefaults
from engine.runs.config import TrainConfig
from engine.sampling import FanoutSampler, RandomWalkSampler


def command_actions(module, command: str) -> dict[str, argparse.Action]:
    """``{dest: action}`` of one sub-command as ``python -m engine`` registers it."""
    subparsers = Parser(prog="python -m engine").add_subparsers()
    module.register(subparsers)
    return {action.dest: action for action in subparsers.choices[command]._actions}


def shown_default(action: argparse.Action) -> str:
    """What the flag's help prints after ``default:``."""
    text = action.help % {**vars(action), "prog": "python -m engine"}
    match = re.search(r"\(default: ([^)]*)\)", text)
    assert match, f"{action.option_strings[0]} shows no default: {text!r}"
    return match.group(1)


def field_default(spec: dataclasses.Field):
    return spec.default_factory() if spec.default is dataclasses.MISSING else spec.default


TRAIN_FIELDS = {spec.name: spec for spec in dataclasses.fields(TrainConfig)}
MODEL_DEPENDENT = {spec.name for spec in dataclasses.fields(TrainDefaults)}


@pytest.mark.parametrize("name", sorted(set(TRAIN_FIELDS) & set(command_actions(training_cli, "train"))))
def test_train_help_shows_the_train_config_default(name: str) -> None:
    action = command_actions(training_cli, "train")[name]
    default = field_default(TRAIN_FIELDS[name])
    shown = shown_default(action)
    if name in MODEL_DEPENDENT:
        assert default is None
        assert shown == "the model's: " + ", ".join(
            f"{key} {getattr(cls.default_train, name)}" for key, cls in MODELS.items()
        )
    elif default is None:
        with pytest.raises(ValueError):
            float(shown)  # a None default is described in words, never as a number
    elif isinstance(default, list):
        assert shown == " ".join(map(str, default))
    else:
        assert shown == str(default)
    assert action.default is None, "flags override --config, so TrainConfig alone supplies the default"


def test_every_train_config_field_but_the_structural_ones_has_a_flag() -> None:
    flags = set(command_actions(training_cli, "train"))
    # --param NAME=VALUE; config files only; what torchrun started, recorded; what tune and --refit record
    assert set(TRAIN_FIELDS) - flags == {"params", "eval_batch_size", "world_size", "study", "trial", "refit_of"}


@pytest.mark.parametrize("spec", dataclasses.fields(RandomWalkSampler.Settings), ids=lambda spec: spec.name)
def test_sample_help_and_defaults_are_the_random_walk_settings(spec: dataclasses.Field) -> None:
    action = command_actions(sampling_cli, "sample")[spec.name]
    assert action.default is None  # unset: the settings' default, or with --run the run's own value
    assert shown_default(action) == f"{spec.default}, or the run's"


def test_sample_fanouts_default_is_the_fanout_settings() -> None:
    action = command_actions(sampling_cli, "sample")["fanouts"]
    defaults = FanoutSampler.Settings()
    assert action.default is None
    assert shown_default(action) == ",".join(map(str, defaults.fanouts)) + ", or the run's"
    assert command_actions(sampling_cli, "sample")["replace"].default is None
    assert shown_default(command_actions(sampling_cli, "sample")["replace"]) == "no, or the run's"


def test_sample_without_flags_uses_the_settings_defaults(capsys) -> None:
    from engine.cli import main

    assert main(["sample", "--dataset", "synthetic", "--node", "item:1", "--sampler", "randomwalk"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [out[name] for name in ("num_walks", "walk_length", "restart_prob", "top_t")] == list(
        dataclasses.astuple(RandomWalkSampler.Settings())
    )
    assert main(["sample", "--dataset", "synthetic", "--node", "item:1"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (
        out["fanouts"] == list(FanoutSampler.Settings().fanouts) and out["replace"] is FanoutSampler.Settings().replace
    )


def test_pinsage_walks_like_the_sampler_by_default() -> None:
    params, settings = MODELS["pinsage"].Params(), RandomWalkSampler.Settings()
    assert (params.num_walks, params.walk_length, params.restart_prob) == (
        settings.num_walks,
        settings.walk_length,
        settings.restart_prob,
    )
