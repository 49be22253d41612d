"""The field types of a run's JSON files, checked where they are read.

A file can be valid JSON and still wrong for its reader: ``status.json`` with ``"started_at": "yesterday"`` used to
take the whole runs listing down, and ``summary.json`` with ``"test": []`` the Runs page. :func:`checked` keeps the
fields whose values have their declared type, drops the others, and says which, so a reader sees a run with a
field missing (as an older run would be) and the listing names what is wrong. Fields no schema declares are kept.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

from engine.runs.config import TrainConfig
from engine.runs.names import CONFIG, METRICS, RUN_STATES, STATUS, SUMMARY

Number = float  # a JSON number: int or float, never a bool

STATUS_FIELDS: dict[str, Any] = {
    "state": str,
    "pid": int | None,
    "host": str | None,
    "started_at": Number | None,
    "updated_at": Number | None,
    "resumed_at": Number | None,
    "finished_at": Number | None,
    "epoch": int | None,
    "total_epochs": int | None,
    "batch": int | None,
    "total_batches": int | None,
    "error": str | None,
    "traceback": str | None,
    "reason": str | None,
    "protocol": str | None,
    "device": str | None,
    "world_size": int | None,
    "threads": int | None,  # torch CPU threads the run trained with (absent in runs before it was recorded)
    "recorded_state": str | None,
}
SUMMARY_FIELDS: dict[str, Any] = {
    "best_epoch": int | None,
    "dataset": str,
    "model": str,
    "epochs_run": int,
    "num_parameters": int | None,
    "peak_gpu_mib": Number | None,
    "peak_rss_mib": Number | None,
    "protocol": str | None,
    "seconds_per_epoch": Number | None,
    "train_seconds": Number | None,
    "selected_by": str | None,
    "stopped_early": bool | None,
    "split": dict[str, Any] | None,
    "test": dict[str, Number | None] | None,
    "test_source": str | None,  # "engine" (its evaluator) or "user" (reported to engine.track); absent: engine
    "validation": dict[str, Number | None] | None,  # null in a test-selected run (no validation slice)
}
# One line of metrics.jsonl: the declared fields, and every other field a metric value.
METRIC_FIELDS: dict[str, Any] = {"epoch": int, "loss": Number | None, "seconds": Number | None, "split": str | None}
METRIC_VALUE = Number | None
CONFIG_FIELDS: dict[str, Any] = typing.get_type_hints(TrainConfig)
TAGS_FIELDS: dict[str, Any] = {"tags": list[str], "note": str}


def checked(
    document: dict[str, Any], fields: dict[str, Any], file: str, other: Any = None
) -> tuple[dict[str, Any], list[str]]:
    """``document`` without the fields whose values lack their declared type, and a phrase for each one dropped.

    Args:
        document (dict): A JSON object as read.
        fields (dict): Field name -> type hint (``int``, ``str | None``, ``dict[str, float]`` ...).
        file (str): The file's name, for the phrases.
        other (type hint, optional): The type of the fields ``fields`` does not name. (default: not checked)
    """
    kept, problems = {}, []
    for name, value in document.items():
        hint = fields.get(name, other)
        if hint is None or conforms(value, hint):
            kept[name] = value
        else:
            problems.append(f"{file}: {name!r} is {_shown(value)}, not {_described(hint)}")
    return kept, problems


def conforms(value: Any, hint: Any) -> bool:
    """Whether the JSON ``value`` has the type ``hint`` (bools are never numbers; NaN and infinities are)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return any(conforms(value, argument) for argument in arguments)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if hint in (int, float):
        return isinstance(value, (int, float) if hint is float else int) and not isinstance(value, bool)
    if hint in (str, bool):
        return isinstance(value, hint)
    if origin is list or origin is tuple:
        return isinstance(value, list) and all(conforms(item, arguments[0]) for item in value)
    if origin is dict or hint is dict:
        values = arguments[1] if arguments else Any
        return isinstance(value, dict) and all(isinstance(k, str) and conforms(v, values) for k, v in value.items())
    return not dataclasses.is_dataclass(hint)  # a type this schema does not describe: not checked


def _described(hint: Any) -> str:
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_described(argument) for argument in arguments)
    if hint is type(None):
        return "null"
    if origin in (list, tuple):
        return f"a list whose items are {_described(arguments[0])}"
    if origin is dict or hint is dict:
        values = arguments[1] if arguments else Any
        return "an object" + (f" whose values are {_described(values)}" if values is not Any else "")
    return {int: "a whole number", float: "a number", str: "text", bool: "true or false"}.get(hint, str(hint))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def well_typed(
    config: dict[str, Any],
    status: dict[str, Any],
    metrics: list[dict[str, Any]],
    summary: dict[str, Any] | None,
    damaged: list[str],
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """The run's documents without their wrong-typed fields (:mod:`engine.runs.schema`), each one dropped
    named in ``damaged``; a metrics line without a whole-number epoch is dropped whole."""
    config, problems = checked(config, CONFIG_FIELDS, CONFIG)
    damaged.extend(problems)
    status, problems = checked(status, STATUS_FIELDS, STATUS)
    damaged.extend(problems)
    if status.get("state") not in (*RUN_STATES, "unknown"):
        if "state" in status:
            damaged.append(f"{STATUS}: 'state' is {status['state']!r}, not one of {', '.join(RUN_STATES)}")
        status = {**status, "state": "unknown"}
    if summary is not None:
        summary, problems = checked(summary, SUMMARY_FIELDS, SUMMARY)
        damaged.extend(problems)
    lines, problems = [], []
    for record in metrics:
        kept, wrong = checked(record, METRIC_FIELDS, METRICS, other=METRIC_VALUE)
        problems.extend(wrong)
        if "epoch" in kept:
            lines.append(kept)
    if problems:
        damaged.append(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return config, status, lines, summary
