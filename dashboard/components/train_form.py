"""The Train page's form, described as data: one :class:`FormField` per model hyper-parameter and trainer setting.

Model fields come from the model's ``Params`` dataclass (default, and ``help``/``min``/``max`` metadata); trainer
fields take their defaults from :func:`engine.training.resolve` for the chosen model (epochs, learning rate, batch
size and negatives default per model), their bounds from :class:`engine.runs.TrainConfig`'s field metadata and
their help from :data:`TRAINER_FIELDS`. :func:`build_config` turns submitted values into a resolved ``TrainConfig``.
"""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.models import model_class
from engine.runs.config import DEVICES, METRIC_NAMES, TrainConfig, resolve
from engine.splits import SPLIT_METHODS


@dataclass(frozen=True)
class FormField:
    """One input of the form."""

    name: str  # attribute of Params / TrainConfig
    kind: str  # int | float | bool | str | choice | int_list
    default: Any  # shown first
    help: str  # one line under the label
    min: float | None = None  # inclusive lower bound, numbers only
    max: float | None = None  # inclusive upper bound, numbers only
    choices: tuple[str, ...] = ()  # allowed values of a choice field
    advanced: bool = False  # shown folded


# Field name (TrainConfig's or a model Params') -> the label the form shows; the name itself is named in the help.
# Short enough for a form column two fields wide: a longer label is cut to "Hard negat…".
LABELS: dict[str, str] = {
    "epochs": "Epochs",
    "dim": "Embedding size",
    "lr": "Learning rate",
    "batch_size": "Batch size",
    "split": "Split",
    "test_ratio": "Test share",
    "ks": "Cut-offs K",
    "seed": "Seed",
    "device": "Device",
    "num_negatives": "Negatives",
    "val_ratio": "Validation share",
    "monitor": "Best-epoch metric",
    "eval_every": "Evaluate every",
    "patience": "Patience",
    "max_snapshots": "Snapshots kept",
    "min_rating": "Minimum rating",
    "k_core": "k-core",
    "reg": "L2 weight",
    "init_std": "Initial std",
    "num_layers": "Layers",
    "fanout": "Fanouts",
    "id_embeddings": "ID embeddings",
    "top_t": "Top-T",
    "num_walks": "Walks",
    "walk_length": "Walk length",
    "restart_prob": "Restart prob.",
    "margin": "Margin",
    "max_hard_negatives": "Hard negatives",
    "hard_band_lo": "Hard band start",
    "hard_band_hi": "Hard band end",
    "minibatch": "Mini-batches",
    "pool_size": "History pool",
}


def label(name: str) -> str:
    """The form's label of a field (a name without one reads with spaces, capitalised)."""
    return LABELS.get(name, name.replace("_", " ").capitalize())


def help_text(field: FormField) -> str:
    """The field's help, ending with the engine's name for it (``--param``, ``config.json``, ``TrainConfig``)."""
    return f"{field.help} (engine name `{field.name}`)" if field.help else f"engine name `{field.name}`"


# name -> (help, choices, advanced); defaults and bounds come from TrainConfig.
TRAINER_FIELDS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "epochs": ("training epochs (early stopping may end sooner)", (), False),
    "dim": ("embedding dimension d", (), False),
    "lr": ("Adam learning rate", (), False),
    "batch_size": ("training edges (user, positive item) per step", (), False),
    "split": ("how test interactions are held out", SPLIT_METHODS, False),
    "test_ratio": ("share of each user's interactions held out for testing", (), False),
    "ks": ("cut-offs K of the ranking metrics, comma-separated", (), False),
    "seed": ("seeds the split, the model, batches and negatives", (), False),
    "device": ("auto picks CUDA when a GPU is visible", DEVICES, False),
    "num_negatives": ("uniform negatives per positive", (), True),
    "val_ratio": ("validation share per user: curves, best epoch, early stopping; 0 = test-selected", (), True),
    "monitor": ("metric (at the largest K) that picks the best epoch", METRIC_NAMES, True),
    "eval_every": ("evaluate every N epochs (the last is always evaluated)", (), True),
    "patience": ("evaluations without improvement before stopping early; 0 = never", (), True),
    "max_snapshots": ("embedding snapshots kept for the Embeddings page", (), True),
    "min_rating": ("keep only interactions rated at least this (implicit feedback); empty keeps all", (), True),
    "k_core": ("drop users and items with fewer interactions than this, repeatedly; 0 = no filter", (), True),
}


def _kind(hint: Any) -> str:
    if typing.get_origin(hint) is list:
        return "int_list"
    for kind in (bool, int, float, str):
        if hint is kind or kind in typing.get_args(hint):
            return kind.__name__
    raise TypeError(f"form fields must be bool, int, float, str or list[int] (got {hint!r})")


def model_fields(model: str) -> list[FormField]:
    """The hyper-parameters of ``model`` (a key of ``engine.models.MODELS`` or ``package.module:ClassName``) as
    form fields."""
    params = model_class(model).Params
    hints = typing.get_type_hints(params, globalns=vars(sys.modules[params.__module__]))
    fields = []
    for spec in dataclasses.fields(params):
        meta = spec.metadata
        choices = tuple(meta.get("choices", ()))
        fields.append(
            FormField(
                name=spec.name,
                kind="choice" if choices else _kind(hints[spec.name]),
                default=spec.default,
                help=str(meta.get("help", "")),
                min=meta.get("min"),
                max=meta.get("max"),
                choices=choices,
            )
        )
    return fields


def trainer_fields(model: str) -> list[FormField]:
    """The trainer settings of :class:`TrainConfig` shown in the form, with ``model``'s defaults."""
    defaults = resolve(TrainConfig(model=model))
    hints = typing.get_type_hints(TrainConfig, globalns=vars(sys.modules[TrainConfig.__module__]))
    specs = {spec.name: spec for spec in dataclasses.fields(TrainConfig)}
    fields = []
    for name, (help_text, choices, advanced) in TRAINER_FIELDS.items():
        fields.append(
            FormField(
                name=name,
                kind="choice" if choices else _kind(hints[name]),
                default=getattr(defaults, name),
                help=help_text,
                min=specs[name].metadata.get("min"),
                max=specs[name].metadata.get("max"),
                choices=choices,
                advanced=advanced,
            )
        )
    return fields


def out_of_range(fields: list[FormField], values: Mapping[str, Any]) -> list[str]:
    """Every number of ``values`` outside its field's bounds, as ``Epochs must be at least 1 (got 0)``, in order.

    The form's number inputs carry no bounds of their own (a browser refuses an out-of-range value without telling
    the server, so Start did nothing and said nothing); the bounds are checked here, all at once.
    """
    problems = []
    for field in fields:
        value = values.get(field.name)
        if field.kind not in ("int", "float") or not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if field.min is not None and value < field.min:
            problems.append(f"{label(field.name)} must be at least {field.min:g} (got {value:g})")
        elif field.max is not None and value > field.max:
            problems.append(f"{label(field.name)} must be at most {field.max:g} (got {value:g})")
    return problems


def parse_int_list(text: str, name: str = "ks") -> list[int]:
    """``"10, 20"`` -> ``[10, 20]``; raises ``ValueError`` naming the field and the bad entry."""
    values = []
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ValueError(f"'{name}' must be whole numbers separated by commas, e.g. 10, 20 (got {part!r})")
        values.append(int(part))
    if not values:
        raise ValueError(f"'{name}' needs at least one value, e.g. 10, 20")
    return values


def build_config(
    dataset: str, data_dir: str | None, model: str, params: Mapping[str, Any], trainer: Mapping[str, Any]
) -> TrainConfig:
    """A resolved ``TrainConfig`` from the form's values; raises ``ValueError`` saying what to change.

    Bounds are :class:`TrainConfig`'s and the model's ``Params``', checked by :func:`engine.training.resolve`.

    Args:
        dataset (str): Registry name or ``csv:PATH``.
        data_dir (str, optional): MovieLens folder.
        model (str): Key of ``engine.models.MODELS``.
        params (Mapping[str, Any]): Model hyper-parameters by name.
        trainer (Mapping[str, Any]): Trainer settings by name; ``ks`` may be text (``"10, 20"``).
    """
    values = dict(trainer)
    if isinstance(values.get("ks"), str):
        values["ks"] = parse_int_list(values["ks"])
    return resolve(TrainConfig(dataset=dataset, data_dir=data_dir or None, model=model, params=dict(params), **values))
