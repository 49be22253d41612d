"""Picking runs out of a listing and telling two apart: ``--where FIELD=VALUE`` filters and the config diff.

Shared by ``python -m engine runs | diff`` and the Runs page, so both filter and compare the same way.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from engine.runs.rundir import RunInfo

# What --where can name: each a value of the run (tag and experiment: one of its values).
WHERE_FIELDS = ("dataset", "model", "state", "tag", "experiment")


def parse_where(pairs: Iterable[str]) -> list[tuple[str, str]]:
    """``["dataset=synthetic", ...]`` as ``[("dataset", "synthetic"), ...]``.

    Raises:
        ValueError: A pair without ``=``, or a field not in :data:`WHERE_FIELDS` (the message lists them).
    """
    parsed = []
    for pair in pairs:
        field, sep, value = pair.partition("=")
        field = field.strip()
        if not sep:
            raise ValueError(f"--where expects FIELD=VALUE (got {pair!r}), e.g. --where dataset=synthetic")
        if field not in WHERE_FIELDS:
            raise ValueError(f"--where: unknown field {field!r}; the fields are: {', '.join(WHERE_FIELDS)}")
        parsed.append((field, value.strip()))
    return parsed


def run_values(run: RunInfo, experiments: Mapping[str, Sequence[str]] | None = None) -> dict[str, set[str]]:
    """The values of each :data:`WHERE_FIELDS` field for ``run`` (``experiments``: run id -> experiment names)."""
    return {
        "dataset": {str(run.config.get("dataset", "?"))},
        "model": {str(run.config.get("model", "?"))},
        "state": {run.state},
        "tag": set(run.tags),
        "experiment": set((experiments or {}).get(run.run_id, ())),
    }


def filter_runs(
    runs: Iterable[RunInfo],
    where: Sequence[tuple[str, str]] = (),
    experiments: Mapping[str, Sequence[str]] | None = None,
) -> list[RunInfo]:
    """The runs that match every ``(field, value)`` of ``where`` (so two tags mean both), in their order."""
    kept = []
    for run in runs:
        values = run_values(run, experiments)
        if all(value in values[field] for field, value in where):
            kept.append(run)
    return kept


def select_runs(runs: Iterable[RunInfo], chosen: Mapping[str, Collection[str]], search: str = "") -> list[RunInfo]:
    """The runs with, for each field of ``chosen`` that names values, one of those values (none named: any), and
    ``search`` (case-insensitive) in their id, tags or note; what the Runs page's filters keep."""
    needle = search.strip().casefold()
    kept = []
    for run in runs:
        values = run_values(run)
        if not all(values[field] & set(wanted) for field, wanted in chosen.items() if wanted):
            continue
        if needle and needle not in "\n".join([run.run_id, *run.tags, run.note]).casefold():
            continue
        kept.append(run)
    return kept


def flat_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The config with its model ``params`` spread out as ``params.<name>``, keys sorted."""
    flat = {key: value for key, value in config.items() if key != "params"}
    params = config.get("params")
    if isinstance(params, Mapping):
        flat.update({f"params.{name}": value for name, value in params.items()})
    elif "params" in config:
        flat["params"] = params
    return dict(sorted(flat.items()))


MISSING = "(not set)"  # a field one run's config lacks, as the diff shows it


def shown_value(value: Any) -> str:
    """A config value as one line of JSON, or :data:`MISSING` as it is."""
    return MISSING if value is MISSING else json.dumps(value)


def config_diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(field, value in a, value in b)`` for each field of the flattened configs that differs, by field name; a
    field only one has shows :data:`MISSING` on the other side. Empty when the configs are the same."""
    flat_a, flat_b = flat_config(a), flat_config(b)
    rows = []
    for field in sorted(set(flat_a) | set(flat_b)):
        value_a, value_b = flat_a.get(field, MISSING), flat_b.get(field, MISSING)
        if value_a != value_b:
            rows.append((field, value_a, value_b))
    return rows
